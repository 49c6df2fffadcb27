"""Write a PNG grid of predictions next to the ground truth after every validation."""
from __future__ import annotations

import os.path as osp

import cv2
import numpy as np
from mmdet.registry import HOOKS
from mmengine.dist import is_main_process
from mmengine.hooks import Hook

from mmext.registry import register
from mmext.visualization.draw import class_palette, draw_boxes, make_grid


@register(HOOKS)
class PredictionGridHook(Hook):
    """Save ``predictions.png`` in the work dir: the first validation images, predictions beside ground truth.

    Uses the predictions the validation already computed (no extra inference). Left of each pair is the ground
    truth, right the predictions with score >= ``score_thr``. Written on rank 0 after each validation epoch,
    so the file always shows the latest model.

    Args:
        num_images: How many validation images to show. Defaults to 8.
        score_thr: Lowest score drawn. Defaults to 0.3.
        scale: Enlargement of each image (small images are hard to see). Defaults to 2.0.
        filename: File name in the work dir. Defaults to ``'predictions.png'``.

    Example:
        >>> custom_hooks = [dict(type='PredictionGridHook', num_images=8, score_thr=0.3)]
    """

    priority = 'LOW'

    def __init__(self, num_images: int = 8, score_thr: float = 0.3, scale: float = 2.0,
                 filename: str = 'predictions.png') -> None:
        if num_images < 1:
            raise ValueError(f'PredictionGridHook: num_images must be >= 1, got {num_images}')
        self.num_images = num_images
        self.score_thr = score_thr
        self.scale = scale
        self.filename = filename
        self._seen: list[dict] = []

    def before_val_epoch(self, runner) -> None:
        self._seen = []

    def after_val_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if not is_main_process() or len(self._seen) >= self.num_images or not outputs:
            return
        for sample in outputs[:self.num_images - len(self._seen)]:
            pred = sample.pred_instances
            keep = (pred.scores >= self.score_thr).cpu().numpy()
            self._seen.append(dict(img_path=sample.img_path, img_id=sample.get('img_id'),
                                   bboxes=pred.bboxes.detach().cpu().numpy()[keep],
                                   labels=pred.labels.cpu().numpy()[keep],
                                   scores=pred.scores.detach().cpu().numpy()[keep]))

    def after_val_epoch(self, runner, metrics=None) -> None:
        if not is_main_process() or not self._seen:
            return
        dataset = runner.val_dataloader.dataset
        classes = dataset.metainfo.get('classes', ())
        palette = dataset.metainfo.get('palette') or class_palette(len(classes))
        gt_by_path = _ground_truth_by_path(dataset, {s['img_path'] for s in self._seen})
        tiles, titles = [], []
        for seen in self._seen:
            img = cv2.imread(seen['img_path'])
            if img is None:
                continue
            gt_boxes, gt_labels = gt_by_path.get(seen['img_path'], (np.zeros((0, 4)), []))
            tiles.append(draw_boxes(img, gt_boxes, gt_labels, classes, palette, scale=self.scale))
            titles.append(f"{osp.basename(seen['img_path'])} ground truth")
            tiles.append(draw_boxes(img, seen['bboxes'], seen['labels'], classes, palette, seen['scores'],
                                    scale=self.scale))
            titles.append(f'prediction (score >= {self.score_thr})')
        if tiles:
            cv2.imwrite(osp.join(runner.work_dir, self.filename), make_grid(tiles, titles, cols=4))


def _ground_truth_by_path(dataset, paths: set[str]) -> dict[str, tuple[np.ndarray, list[int]]]:
    """Ground-truth boxes (original image pixels) of the given images, from the dataset's annotations."""
    found = {}
    for idx in range(len(dataset)):
        info = dataset.get_data_info(idx)
        if info['img_path'] in paths:
            instances = [i for i in info.get('instances', []) if not i.get('ignore_flag', 0)]
            boxes = np.array([i['bbox'] for i in instances], dtype=np.float64).reshape(-1, 4)
            found[info['img_path']] = (boxes, [i['bbox_label'] for i in instances])
            if len(found) == len(paths):
                break
    return found
