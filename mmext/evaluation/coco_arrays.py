"""Ground truth and detections as flat numpy arrays, for :class:`~mmext.evaluation.array_cocoeval.ArrayCOCOeval`.

pycocotools evaluates from one Python dict per object: the detections are written to json, read back and
indexed by ``COCO.loadRes`` (a few dicts per detection). These builders give the same values as columns:

- :func:`detections` takes the results as ``CocoMetric.process`` stores them (one dict of arrays per image) and
  computes what mmdet's json round trip and ``loadRes`` would hold: xywh boxes as the float64 differences of the
  float32 corners, float64 scores, category ids, and the areas ``loadRes`` computes (``w * h`` for boxes, the mask
  area for masks);
- :func:`ground_truth` reads the annotations of a ``COCO`` object once (keep the result: it does not change).

Inputs these arrays cannot represent the way pycocotools' dicts do (non-integer ids, non-finite boxes or
scores, duplicate annotation ids) raise :class:`Unsupported`; the caller then evaluates with pycocotools.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np


class Unsupported(Exception):
    """The input holds something only pycocotools' per-object evaluation reproduces (the message says what)."""


@dataclass
class Objects:
    """One entry per object (ground-truth annotation or detection), in the order pycocotools indexes them
    (the annotation file's order; the results' order, whose ids ``loadRes`` numbers 1, 2, ...).

    Args:
        ids: Annotation ids (detections: 1..N).
        image_ids: Image ids.
        category_ids: Category ids.
        boxes: xywh boxes, float64 (N x 4).
        areas: The ``area`` pycocotools compares with the area ranges, float64.
        crowd: ``iscrowd`` (ground truth; False for detections).
        scores: Detection scores, float64 (None for ground truth).
        masks: The RLE of every object (segm only; ground truth: filled on first use by :meth:`masks_of`).
    """
    ids: np.ndarray
    image_ids: np.ndarray
    category_ids: np.ndarray
    boxes: np.ndarray
    areas: np.ndarray
    crowd: np.ndarray
    scores: np.ndarray | None = None
    masks: list | None = None
    source: Any = None  # the COCO object the ground truth came from (to make its masks)

    def __len__(self) -> int:
        return len(self.ids)

    def masks_of(self) -> list:
        """The RLEs (ground truth: made with ``COCO.annToRLE``, as pycocotools' ``_prepare`` does, once)."""
        if self.masks is None:
            anns = self.source.anns
            self.masks = [self.source.annToRLE(anns[int(i)]) for i in self.ids]
        return self.masks


def _int_ids(values: list, what: str) -> np.ndarray:
    array = np.asarray(values)
    if array.dtype.kind not in 'iu' and len(array):
        raise Unsupported(f'{what} are not all integers')
    return array.astype(np.int64).reshape(-1)


def _finite(array: np.ndarray, what: str) -> np.ndarray:
    if not np.isfinite(array).all():
        raise Unsupported(f'{what} are not all finite')
    return array


def ground_truth(coco: Any) -> Objects:
    """The annotations of a pycocotools ``COCO`` object (or mmdet's subclass) as columns.

    Raises:
        Unsupported: Non-integer ids, non-finite boxes or areas, or two annotations with the same id
            (``COCO.loadAnns`` would return the last one for both).
    """
    anns = coco.dataset.get('annotations', [])
    ids = _int_ids([a['id'] for a in anns], 'annotation ids')
    if len(np.unique(ids)) != len(ids):
        raise Unsupported('annotation ids are not unique')
    boxes = np.asarray([a['bbox'] for a in anns], dtype=np.float64).reshape(-1, 4) if anns else np.zeros((0, 4))
    return Objects(
        ids=ids,
        image_ids=_int_ids([a['image_id'] for a in anns], 'image ids'),
        category_ids=_int_ids([a['category_id'] for a in anns], 'category ids'),
        boxes=_finite(boxes, 'ground-truth boxes'),
        areas=_finite(np.asarray([a['area'] for a in anns], dtype=np.float64), 'ground-truth areas'),
        # pycocotools: ignore = iscrowd (an 'ignore' key in the file is overwritten), crowd IoU if int(iscrowd)
        crowd=np.asarray([bool(a.get('iscrowd', 0)) for a in anns], dtype=bool),
        source=coco)


def detections(preds: Sequence[dict], cat_ids: Sequence[int], with_masks: bool) -> Objects:
    """The results of ``CocoMetric.process`` as the detections ``COCO.loadRes`` would hold after mmdet's json
    dump and reload.

    Args:
        preds: One dict per image: ``img_id``, ``bboxes`` (xyxy), ``scores``, ``labels``, and with masks
            ``masks`` (RLEs) and optionally ``mask_scores``.
        cat_ids: The category id of each label (``CocoMetric.cat_ids``).
        with_masks: The segm detections (mask scores, mask areas) instead of the bbox ones.

    Returns:
        The detections, in mmdet's results order.

    Raises:
        Unsupported: Non-finite boxes or scores, non-integer image ids, or masks other than compressed RLEs.
    """
    image_ids, boxes, scores, labels, masks = [], [], [], [], []
    for idx, result in enumerate(preds):
        labels.append(np.asarray(result['labels']).reshape(-1))
        image_ids.append(np.full(len(labels[-1]), result.get('img_id', idx)))
        # float64 before subtracting: mmdet's xyxy2xywh subtracts the Python floats of float32 corners
        boxes.append(np.asarray(result['bboxes']).astype(np.float64).reshape(-1, 4))
        score = result.get('mask_scores', result['scores']) if with_masks else result['scores']
        scores.append(np.asarray(score).astype(np.float64).reshape(-1))
        if with_masks:
            masks.extend(result['masks'])
    xyxy = np.concatenate(boxes) if boxes else np.zeros((0, 4))
    xywh = np.concatenate([xyxy[:, :2], xyxy[:, 2:] - xyxy[:, :2]], axis=1)
    label = np.concatenate(labels).astype(np.int64) if labels else np.zeros(0, np.int64)
    n = len(label)
    if with_masks:
        if not all(isinstance(m, dict) and isinstance(m.get('counts'), (bytes, str)) for m in masks):
            raise Unsupported('masks that are not compressed RLEs')
        areas = mask_areas(masks)  # loadRes: maskUtils.area
    else:
        areas = xywh[:, 2] * xywh[:, 3]  # loadRes: bb[2] * bb[3]
    return Objects(
        ids=np.arange(1, n + 1, dtype=np.int64),
        image_ids=_int_ids(np.concatenate(image_ids) if image_ids else [], 'image ids of the results'),
        # mmdet indexes its list with each label (so -1 is the last class, as here)
        category_ids=np.asarray(cat_ids, dtype=np.int64)[label],
        boxes=_finite(xywh, 'predicted boxes'),
        areas=areas,
        crowd=np.zeros(n, dtype=bool),
        scores=_finite(np.concatenate(scores) if scores else np.zeros(0), 'predicted scores'),
        masks=masks if with_masks else None)


def mask_areas(masks: list) -> np.ndarray:
    """``maskUtils.area`` of each RLE, as float64.

    pycocotools 2.0.11 on numpy 2 fails on a list of more than 255 masks (it builds a uint8 array holding the
    count), so it is called on chunks of 255.
    """
    from pycocotools import mask as mask_utils
    chunks = [mask_utils.area(masks[i:i + 255]) for i in range(0, len(masks), 255)]
    return np.concatenate(chunks).astype(np.float64) if chunks else np.zeros(0)
