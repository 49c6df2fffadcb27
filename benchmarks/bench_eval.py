"""COCO evaluation: mmext's ``FastCocoMetric`` (each backend) vs mmdet's ``CocoMetric`` (pycocotools).

Ground truth: a synthetic COCO-like file (:mod:`benchmarks.coco_synth`; 5,000 images, 80 classes). Detections:
100 per image made from the ground truth with noise (jittered copies of the objects, some with the wrong class,
and random false positives), as ``CocoMetric.process`` stores them. Timed end to end from the processed results:
``metric.evaluate()``, i.e. for the anchor the results converted and dumped to json, reloaded, ``loadRes``,
evaluate, accumulate, summarise, and the per-class table (``classwise=True``); for mmext whatever its backend
does from the same results to the same metrics. The contenders (:data:`CONTENDERS`):

- ``mmext``: the default backend (numpy arrays straight from the results; no results file, since without
  ``outfile_prefix`` mmdet's file only lives in a temporary directory);
- ``mmext + files``: the same with ``outfile_prefix`` set, so the results files are written (byte for byte
  mmdet's) inside the timing;
- ``faster-coco-eval``: the optional backend.

Every metric is built (and reads the annotation file) outside the timing, as a validation loop builds it once.
Rounds alternate anchor and contenders.

Correctness: for each backend, the 12 summary numbers, the precision and recall arrays and the per-class APs
(6 columns x 80 classes) are compared at full precision with pycocotools' on the same results (one extra,
untimed run of ``FastCocoMetric(backend='pycocotools')``, which ``tests/evaluation`` shows equal to mmdet's
metric), and the rounded numbers mmdet's metric returns are compared with the backend's.
"""
from __future__ import annotations

import contextlib
import io
import os
import tempfile
import time

import numpy as np

from benchmarks.common import Row, interleaved, load_average, speedup_row
from benchmarks.coco_synth import COCO_CAT_IDS, coco_class_names, coco_like_file

GOAL = 6.0
ANCHOR = 'anchor'
# what is timed against the anchor: name -> (FastCocoMetric backend, results files written)
CONTENDERS = {'mmext': ('mmext', False), 'mmext + files': ('mmext', True),
              'faster-coco-eval': ('faster-coco-eval', False)}


def make_results(gt: dict, dets_per_image: int = 100, with_masks: bool = False, seed: int = 0) -> list:
    """Detections from the ground truth with noise, in the form ``CocoMetric.process`` stores: a list of
    ``(gt_info, prediction)`` pairs, boxes xyxy float32, labels 0..79, masks as RLE with bytes counts."""
    from pycocotools import mask as mask_utils
    rng = np.random.default_rng(seed)
    label_of = {cid: i for i, cid in enumerate(COCO_CAT_IDS)}
    by_image: dict[int, list] = {img['id']: [] for img in gt['images']}
    for ann in gt['annotations']:
        if not ann['iscrowd']:
            by_image[ann['image_id']].append(ann)
    results = []
    for img in gt['images']:
        w, h, anns = img['width'], img['height'], by_image[img['id']]
        boxes = np.array([a['bbox'] for a in anns], np.float64).reshape(-1, 4)
        labels = np.array([label_of[a['category_id']] for a in anns], np.int64)
        copies = np.minimum(1 + rng.poisson(0.8, len(anns)), 4)
        src = np.repeat(np.arange(len(anns)), copies)[:dets_per_image]
        jitter = rng.normal(0, 0.12, (len(src), 4)) * boxes[src][:, [2, 3, 2, 3]]
        xyxy = np.column_stack([boxes[src, :2], boxes[src, :2] + boxes[src, 2:]]) + jitter
        true_labels = np.where(rng.random(len(src)) < 0.85, labels[src], rng.integers(0, 80, len(src)))
        quality = np.exp(-np.abs(jitter).sum(1) / (boxes[src, 2] + boxes[src, 3] + 1e-6) * 4)
        scores = np.clip(quality * rng.uniform(0.5, 1.0, len(src)), 0.01, 1.0)
        extra = dets_per_image - len(src)
        side = np.exp(rng.normal(3.8, 0.9, extra))
        x0, y0 = rng.random(extra) * w, rng.random(extra) * h
        rand_xyxy = np.column_stack([x0, y0, x0 + side * rng.uniform(0.5, 1.5, extra),
                                     y0 + side * rng.uniform(0.5, 1.5, extra)])
        all_xyxy = np.concatenate([xyxy, rand_xyxy])
        all_xyxy[:, [0, 2]] = all_xyxy[:, [0, 2]].clip(0, w)
        all_xyxy[:, [1, 3]] = all_xyxy[:, [1, 3]].clip(0, h)
        pred = dict(img_id=img['id'], bboxes=all_xyxy.astype(np.float32),
                    scores=np.concatenate([scores, rng.uniform(0.01, 0.5, extra)]).astype(np.float32),
                    labels=np.concatenate([true_labels, rng.integers(0, 80, extra)]).astype(np.int64))
        order = np.argsort(-pred['scores'], kind='stable')
        pred = {k: (v[order] if isinstance(v, np.ndarray) else v) for k, v in pred.items()}  # by score, as mmdet
        if with_masks:
            polys = []
            for x1, y1, x2, y2 in pred['bboxes'].astype(np.float64):  # an octagon inside each box
                cx, cy, rx, ry = (x1 + x2) / 2, (y1 + y2) / 2, max((x2 - x1) / 2, 0.5), max((y2 - y1) / 2, 0.5)
                t = np.arange(8) * np.pi / 4
                polys.append(np.column_stack([cx + rx * np.cos(t), cy + ry * np.sin(t)]).ravel().tolist())
            pred['masks'] = mask_utils.frPyObjects(polys, h, w)
        results.append((dict(width=w, height=h, img_id=img['id']), pred))
    return results


def _fresh(results: list) -> list:
    """A copy a run may change (mmdet's metric decodes the masks' counts in place)."""
    return [(g, dict(p, masks=[dict(m) for m in p['masks']]) if 'masks' in p else p) for g, p in results]


def _metric(ann_file: str, metric: str, backend: str | None, outfile_prefix: str | None = None):
    """mmdet's ``CocoMetric`` (``backend`` None: the anchor) or ``FastCocoMetric`` with ``backend``."""
    from mmdet.evaluation.metrics import CocoMetric
    from mmext.evaluation import FastCocoMetric
    kwargs = dict(ann_file=ann_file, metric=metric, classwise=True, outfile_prefix=outfile_prefix)
    with contextlib.redirect_stdout(io.StringIO()):
        m = CocoMetric(**kwargs) if backend is None else FastCocoMetric(**kwargs, backend=backend)
    m.dataset_meta = dict(classes=coco_class_names())
    return m


def _evaluate(metric, results: list) -> dict:
    """``metric.evaluate`` on what ``process`` would have collected (``metric.results``, set beforehand)."""
    with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints its summary
        return metric.evaluate(len(results))


def compare(name: str, ann_file: str, results: list, repeats: int) -> list[Row]:
    """Time the anchor and each backend on the same results, then check their numbers against pycocotools'."""
    from mmext.evaluation.coco_classwise import per_class_ap
    out: dict[str, dict] = {}
    made: dict[str, object] = {}
    files = tempfile.TemporaryDirectory()

    def timed(key: str, backend: str | None, keep_files: bool = False):
        def run() -> float:
            prefix = os.path.join(files.name, key.replace(' ', '_')) if keep_files else None
            metric = _metric(ann_file, name, backend, prefix)  # built untimed: a validation loop builds it once
            metric.results = _fresh(results)
            start = time.perf_counter()
            out[key] = _evaluate(metric, results)
            elapsed = time.perf_counter() - start
            made[key] = metric
            return elapsed
        return run

    cases = {ANCHOR: timed(ANCHOR, None)}
    cases.update({key: timed(key, backend, keep) for key, (backend, keep) in CONTENDERS.items()})
    times = interleaved(cases, repeats)
    files.cleanup()
    reference = _metric(ann_file, name, 'pycocotools')  # untimed: the full-precision numbers of pycocotools
    reference.results = _fresh(results)
    _evaluate(reference, results)
    ref_eval = reference.last_evals[name]
    ref_ap = per_class_ap(ref_eval.eval['precision'])
    size = f'{len(results)} img x 100 det'
    found = []
    for key, (backend, keep) in CONTENDERS.items():
        what = 'results files written (outfile_prefix)' if keep else 'no outfile_prefix'
        found.append(speedup_row(f'COCO eval {name}, {size}, end to end: backend {key}', times[key],
                                 times[ANCHOR], GOAL, f'FastCocoMetric(backend={backend!r}) vs CocoMetric '
                                 f'(pycocotools), {what}; {load_average()}'))
        if keep:
            continue
        fast_eval = made[key].last_evals[name]
        stats_diff = float(np.max(np.abs(np.asarray(ref_eval.stats[:12]) - np.asarray(fast_eval.stats[:12]))))
        fast_ap = per_class_ap(fast_eval.eval['precision'])
        ap_diff = float(np.nanmax(np.abs(ref_ap - fast_ap)))
        same_arrays = all(np.array_equal(ref_eval.eval[k], fast_eval.eval[k]) for k in ('precision', 'recall'))
        same_rounded = _same_numbers(out[ANCHOR], out[key])
        identical = (np.array_equal(ref_eval.stats, fast_eval.stats) and same_arrays and same_rounded
                     and np.array_equal(ref_ap, fast_ap, equal_nan=True))
        found.append(Row(f'COCO eval {name}: numbers of backend {key} vs pycocotools',
                         f'max abs diff {max(stats_diff, ap_diff):.2g}', '0', None, 'identical', identical,
                         f'12 stats max abs diff={stats_diff:.2g}, {ref_ap.size} per-class APs max abs diff='
                         f'{ap_diff:.2g}, '
                         f'precision/recall arrays equal: {same_arrays}; 3-decimal metrics returned equal to '
                         f"mmdet's: {same_rounded}"))
    return found


def _same_numbers(a: dict, b: dict) -> bool:
    """Same keys and the same values (NaN equal to NaN)."""
    return a.keys() == b.keys() and all(
        (np.isnan(a[k]) and np.isnan(b[k])) or a[k] == b[k] for k in a)


def rows(quick: bool = False) -> list[Row]:
    """bbox on 5,000 images (quick: 100) and segm on 500 images (quick: 10), 100 detections each."""
    return measure(*((100, 10, 2) if quick else (5000, 500, 3)))


def measure(bbox_images: int, segm_images: int, repeats: int) -> list[Row]:
    """The rows for ``bbox_images`` (bbox) and ``segm_images`` (segm) generated images."""
    import json
    from mmengine.logging import MMLogger
    MMLogger.get_instance('mmext-bench-eval', log_level='ERROR')  # the metrics log per-class tables at INFO
    found = []
    for metric, num, masks in (('bbox', bbox_images, False), ('segm', segm_images, True)):
        ann_file = str(coco_like_file(num, seed=1))
        with open(ann_file) as f:
            gt = json.load(f)
        results = make_results(gt, with_masks=masks, seed=2)
        found += compare(metric, ann_file, results, repeats)
    return found
