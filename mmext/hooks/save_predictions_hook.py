"""Write one PNG per image with its predictions drawn, during testing (``tools/test.py --show-dir``)."""
from __future__ import annotations

import os
import os.path as osp

import cv2
from mmdet.registry import HOOKS
from mmengine.hooks import Hook

from mmext.registry import register
from mmext.visualization.draw import class_palette, draw_boxes


@register(HOOKS)
class SavePredictionsHook(Hook):
    """Draw predictions with score >= ``score_thr`` on each test image and save it as ``out_dir/<name>.png``.

    Every rank draws the images of its own shard, so this scales with the test.

    Args:
        out_dir: Folder for the PNGs (created).
        score_thr: Lowest score drawn. Defaults to 0.3.
        scale: Enlargement of each image. Defaults to 1.0.

    Example:
        >>> custom_hooks = [dict(type='SavePredictionsHook', out_dir='work_dirs/vis', score_thr=0.3)]
    """

    priority = 'LOW'

    def __init__(self, out_dir: str, score_thr: float = 0.3, scale: float = 1.0) -> None:
        self.out_dir = out_dir
        self.score_thr = score_thr
        self.scale = scale

    def before_test(self, runner) -> None:
        os.makedirs(self.out_dir, exist_ok=True)

    def after_test_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        classes = runner.test_dataloader.dataset.metainfo.get('classes', ())
        palette = runner.test_dataloader.dataset.metainfo.get('palette') or class_palette(len(classes))
        for sample in outputs or ():
            img = cv2.imread(sample.img_path)
            if img is None:
                continue
            pred = sample.pred_instances
            keep = (pred.scores >= self.score_thr).cpu().numpy()
            drawn = draw_boxes(img, pred.bboxes.cpu().numpy()[keep], pred.labels.cpu().numpy()[keep], classes,
                               palette, pred.scores.cpu().numpy()[keep], scale=self.scale)
            name = osp.splitext(osp.basename(sample.img_path))[0] + '.png'
            cv2.imwrite(osp.join(self.out_dir, name), drawn)
