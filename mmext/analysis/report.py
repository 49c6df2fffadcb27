"""``analyze``: every picture and table of an error analysis, written into one folder."""
from __future__ import annotations

import json
import os
import os.path as osp
from dataclasses import dataclass, field
from typing import Sequence

import cv2
import numpy as np

from mmext.analysis.ap_bars import ap_by_class_chart, ap_by_size_chart
from mmext.analysis.coco_eval import AREAS, mean_ap, precision_array
from mmext.analysis.confusion import draw_confusion, write_confusion_csv
from mmext.analysis.gallery import draw_gallery, worst_images
from mmext.analysis.inputs import load_ground_truth, load_predictions
from mmext.analysis.matching import confusion_and_errors
from mmext.analysis.pr_curves import draw_pr_curves
from mmext.errors import ConfigError
from mmext.evaluation.coco_classwise import per_class_ap


@dataclass
class AnalysisReport:
    """What :func:`analyze` found and wrote.

    Args:
        out_dir: The folder.
        files: ``{what: path}`` of every file written.
        metrics: mAP, mAP50, mAP75 and mAP by size (NaN where nothing to average).
        counts: Matched with the right class, confused with another class, false positives (background), missed.
        worst: ``(file name, missed, false positives)`` of the gallery's images, worst first.
        unreadable: Gallery images that could not be read (drawn on a grey canvas).
    """
    out_dir: str
    files: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)
    counts: dict = field(default_factory=dict)
    worst: list = field(default_factory=list)
    unreadable: list = field(default_factory=list)

    def summary(self) -> str:
        """The lines a tool prints."""
        m, c = self.metrics, self.counts
        lines = [f'  analysis:        {self.out_dir}',
                 f"    mAP {m['mAP']:.3f} (small {m['mAP_small']:.3f}, medium {m['mAP_medium']:.3f}, "
                 f"large {m['mAP_large']:.3f})",
                 f"    at IoU {c['iou_thr']:g}, score {c['score_thr']:g}: {c['correct']} correct, {c['confused']} "
                 f"with the wrong class, {c['false_positives']} false positives, {c['missed']} missed"]
        lines += [f'    {what + ":":<18}{path}' for what, path in self.files.items()]
        if self.unreadable:
            lines.append(f'    {len(self.unreadable)} gallery image(s) not found or unreadable, drawn on grey (e.g. '
                         f'{self.unreadable[0]}): pass the image folder (--img-dir)')
        return '\n'.join(lines)


def analyze(results: str, ann_file: str, out_dir: str, *, img_dirs: Sequence[str] = (), iou_thr: float = 0.5,
            score_thr: float = 0.3, num_worst: int = 8) -> AnalysisReport:
    """Compare predictions with ground truth and write the pictures and tables into ``out_dir``.

    Writes ``confusion_matrix.png`` / ``.csv`` (background row and column), ``pr_curves.png``,
    ``ap_by_class.png``, ``ap_by_size.png``, ``worst_images.png`` and ``summary.json``.

    Args:
        results: A COCO results json, ``tools/infer.py``'s json, or mmdet's results pkl
            (see :func:`mmext.analysis.inputs.load_predictions`).
        ann_file: The COCO annotation file of the same images.
        out_dir: Where the files go (made if missing).
        img_dirs: Folders the images' file names are relative to (for the gallery); the annotation file's
            folder is tried after them.
        iou_thr: Lowest IoU of a match, for the confusion matrix and the gallery. Defaults to 0.5.
        score_thr: Lowest score counted in the confusion matrix and drawn in the gallery (the PR curves and APs
            use every detection). Defaults to 0.3.
        num_worst: Images in the gallery. Defaults to 8.

    Returns:
        The report.

    Raises:
        ConfigError: A threshold outside its range.
        mmext.errors.DatasetError: A file is missing or does not fit the other (the message says which).
    """
    if not 0 < iou_thr <= 1:
        raise ConfigError(f'the IoU threshold must be in (0, 1], got {iou_thr}')
    if not 0 <= score_thr <= 1:
        raise ConfigError(f'the score threshold must be in [0, 1], got {score_thr}')
    if num_worst < 1:
        raise ConfigError(f'the number of gallery images must be >= 1, got {num_worst}')
    gt = load_ground_truth(ann_file)
    preds = load_predictions(results, gt)
    os.makedirs(out_dir, exist_ok=True)
    report = AnalysisReport(out_dir=out_dir)
    files = report.files

    matrix, errors = confusion_and_errors(gt, preds, iou_thr, score_thr)
    files['confusion csv'] = osp.join(out_dir, 'confusion_matrix.csv')
    write_confusion_csv(matrix, gt.classes, files['confusion csv'])
    files['confusion matrix'] = osp.join(out_dir, 'confusion_matrix.png')
    draw_confusion(matrix, gt.classes, files['confusion matrix'], iou_thr, score_thr)
    k = len(gt.classes)
    correct = int(np.trace(matrix[:k, :k]))
    report.counts = dict(iou_thr=iou_thr, score_thr=score_thr, correct=correct,
                         confused=int(matrix[:k, :k].sum()) - correct, false_positives=int(matrix[k, :k].sum()),
                         missed=int(matrix[:k, k].sum()))

    precision = precision_array(gt, preds)
    report.metrics = dict(mAP=mean_ap(precision), mAP_50=mean_ap(precision, 0), mAP_75=mean_ap(precision, 5),
                          **{f'mAP_{a}': mean_ap(precision, area=i) for i, a in enumerate(AREAS) if i})
    files['pr curves'] = osp.join(out_dir, 'pr_curves.png')
    draw_pr_curves(precision, gt.classes, files['pr curves'])
    files['AP by class'] = osp.join(out_dir, 'ap_by_class.png')
    cv2.imwrite(files['AP by class'], ap_by_class_chart(precision, gt.classes))
    files['AP by size'] = osp.join(out_dir, 'ap_by_size.png')
    cv2.imwrite(files['AP by size'], ap_by_size_chart(precision, gt.classes))

    worst = worst_images(errors, num_worst)
    dirs = list(img_dirs) + [osp.dirname(osp.abspath(ann_file))]
    gallery, report.unreadable = draw_gallery(worst, gt, preds, dirs, score_thr)
    if gallery is not None:
        files['worst images'] = osp.join(out_dir, 'worst_images.png')
        cv2.imwrite(files['worst images'], gallery)
    report.worst = [(gt.coco.imgs[e.image_id]['file_name'], e.missed, e.false_positives) for e in worst]
    files['summary'] = osp.join(out_dir, 'summary.json')
    _write_summary(report, gt.classes, per_class_ap(precision), files['summary'])
    return report


def _write_summary(report: AnalysisReport, classes: Sequence[str], table: np.ndarray, path: str) -> None:
    def number(x: float):
        return None if np.isnan(x) else round(float(x), 6)

    per_class = {name: dict(zip(('AP', 'AP50', 'AP75', 'AP_small', 'AP_medium', 'AP_large'), map(number, row)))
                 for name, row in zip(classes, table)}
    content = dict(metrics={k: number(v) for k, v in report.metrics.items()}, per_class=per_class,
                   counts=report.counts,
                   worst_images=[dict(file_name=f, missed=m, false_positives=fp) for f, m, fp in report.worst],
                   files=report.files)
    with open(path, 'w') as f:
        json.dump(content, f, indent=1)
