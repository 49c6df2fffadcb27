"""A gallery of the worst images: ground truth beside the predictions, most errors first."""
from __future__ import annotations

import os.path as osp
from typing import Sequence

import cv2
import numpy as np

from mmext.analysis.inputs import GroundTruth, Predictions
from mmext.analysis.matching import ImageErrors, xywh_to_xyxy
from mmext.visualization.draw import class_palette, draw_boxes, make_grid


def worst_images(errors: Sequence[ImageErrors], count: int) -> list[ImageErrors]:
    """The ``count`` images with the most errors (missed + false positives), ties by more missed, then image order;
    images without any error are left out."""
    ranked = sorted((e for e in errors if e.errors), key=lambda e: (-e.errors, -e.missed))
    return ranked[:count]


def find_image(file_name: str, img_dirs: Sequence[str]) -> str | None:
    """The first existing path of ``file_name`` (absolute, or under one of ``img_dirs``)."""
    if osp.isabs(file_name) and osp.isfile(file_name):
        return file_name
    for folder in img_dirs:
        path = osp.join(folder, file_name)
        if osp.isfile(path):
            return path
    return None


def draw_gallery(worst: Sequence[ImageErrors], gt: GroundTruth, preds: Predictions, img_dirs: Sequence[str],
                 score_thr: float, cols: int = 4) -> tuple[np.ndarray | None, list[str]]:
    """Draw each image twice, ground truth then predictions (score >= ``score_thr``), enlarged when small.

    Returns:
        The gallery (None when there is nothing to show) and the file names of images that could not be read
        (drawn on a grey canvas of the image's size, so the boxes still show).
    """
    classes, palette = gt.classes, class_palette(len(gt.classes))
    label_of = {c: i for i, c in enumerate(gt.cat_ids)}
    tiles, titles, unreadable = [], [], []
    for item in worst:
        info = gt.coco.imgs[item.image_id]
        path = find_image(info['file_name'], img_dirs)
        img = cv2.imread(path) if path else None
        if img is None:
            unreadable.append(info['file_name'])
            img = np.full((int(info.get('height') or 256), int(info.get('width') or 256), 3), 200, np.uint8)
        scale = min(2.0, max(1.0, 256 / max(img.shape[:2])))
        anns = [a for a in gt.coco.imgToAnns.get(item.image_id, []) if not a.get('iscrowd', 0)]
        gt_boxes = xywh_to_xyxy(np.asarray([a['bbox'] for a in anns], np.float64).reshape(-1, 4))
        keep = (preds.image_ids == item.image_id) & (preds.scores >= score_thr)
        tiles.append(draw_boxes(img, gt_boxes, [label_of[a['category_id']] for a in anns], classes, palette,
                                scale=scale))
        titles.append(f"{osp.basename(info['file_name'])}: {item.missed} missed")
        tiles.append(draw_boxes(img, xywh_to_xyxy(preds.boxes[keep]),
                                [label_of[c] for c in preds.category_ids[keep].tolist()], classes, palette,
                                preds.scores[keep], scale=scale))
        titles.append(f'predicted: {item.false_positives} false pos.')
    if not tiles:
        return None, unreadable
    return make_grid(tiles, titles, cols=cols), unreadable
