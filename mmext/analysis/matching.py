"""One-to-one matching of detections to ground truth per image: the confusion matrix and each image's errors."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mmext.analysis.inputs import GroundTruth, Predictions


@dataclass
class ImageErrors:
    """What went wrong on one image (at the matching's IoU and score thresholds).

    Args:
        image_id: The image.
        missed: Ground-truth objects not found with their class.
        false_positives: Detections not matched to an object of their class (background or another class).
        num_gt: Ground-truth objects (crowd regions excluded).
        num_dets: Detections at or above the score threshold.
    """
    image_id: int
    missed: int
    false_positives: int
    num_gt: int
    num_dets: int

    @property
    def errors(self) -> int:
        return self.missed + self.false_positives


def xywh_to_xyxy(boxes: np.ndarray) -> np.ndarray:
    return np.concatenate([boxes[:, :2], boxes[:, :2] + boxes[:, 2:]], axis=1)


def iou_matrix(a: np.ndarray, b: np.ndarray, crowd: np.ndarray | None = None) -> np.ndarray:
    """IoU of every xyxy box of ``a`` with every one of ``b``; for ``crowd`` columns, intersection over ``a``'s
    area (a detection inside a crowd region matches it, as in COCO)."""
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(rb - lt, 0, None), axis=2)
    area_a = np.prod(np.clip(a[:, 2:] - a[:, :2], 0, None), axis=1)[:, None]
    area_b = np.prod(np.clip(b[:, 2:] - b[:, :2], 0, None), axis=1)[None]
    union = area_a + area_b - inter
    if crowd is not None:
        union = np.where(crowd[None], area_a, union)
    with np.errstate(divide='ignore', invalid='ignore'):
        return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def match_image(gt_boxes: np.ndarray, gt_labels: np.ndarray, crowd_boxes: np.ndarray, det_boxes: np.ndarray,
                det_labels: np.ndarray, det_scores: np.ndarray, iou_thr: float
                ) -> tuple[list[tuple[int, int]], np.ndarray, np.ndarray]:
    """Match one image's detections (highest score first) to its ground truth, each object at most once.

    A detection takes the free object of its own class with the highest IoU >= ``iou_thr``; failing that, the
    free object of another class with the highest such IoU (a confusion); failing that, it is a false positive,
    unless it lies in a crowd region (IoU over the detection's area >= ``iou_thr``), where it is ignored.

    Returns:
        (gt label, det label) of each match, labels of the unmatched objects, labels of the false positives.
    """
    order = np.argsort(-det_scores, kind='stable')
    ious = iou_matrix(det_boxes[order], gt_boxes) if len(gt_boxes) else np.zeros((len(order), 0))
    in_crowd = (iou_matrix(det_boxes[order], crowd_boxes, np.ones(len(crowd_boxes), bool)).max(1) >= iou_thr
                if len(crowd_boxes) else np.zeros(len(order), bool))
    free = np.ones(len(gt_boxes), bool)
    pairs, false_pos = [], []
    for row, det in enumerate(order):
        label = det_labels[det]
        reach = free & (ious[row] >= iou_thr)
        for allowed in (reach & (gt_labels == label), reach):
            if allowed.any():
                g = int(np.argmax(np.where(allowed, ious[row], -1)))
                free[g] = False
                pairs.append((int(gt_labels[g]), int(label)))
                break
        else:
            if not in_crowd[row]:
                false_pos.append(int(label))
    return pairs, gt_labels[free], np.asarray(false_pos, np.int64)


def confusion_and_errors(gt: GroundTruth, preds: Predictions, iou_thr: float = 0.5, score_thr: float = 0.3
                         ) -> tuple[np.ndarray, list[ImageErrors]]:
    """The confusion matrix over every image of ``gt``, and each image's errors.

    Args:
        gt: The ground truth.
        preds: The detections.
        iou_thr: Lowest IoU of a match. Defaults to 0.5.
        score_thr: Detections below this score are left out. Defaults to 0.3.

    Returns:
        A (K + 1) x (K + 1) integer matrix, rows the ground-truth class, columns the predicted class, the last row
        and column background (row: false positives, column: missed objects); and one :class:`ImageErrors` per
        image, in the ground truth's image order.
    """
    k = len(gt.cat_ids)
    label_of = {c: i for i, c in enumerate(gt.cat_ids)}
    matrix = np.zeros((k + 1, k + 1), np.int64)
    keep = preds.scores >= score_thr
    det_img, det_box = preds.image_ids[keep], xywh_to_xyxy(preds.boxes[keep])
    det_lab = np.asarray([label_of[c] for c in preds.category_ids[keep].tolist()], np.int64)
    det_score = preds.scores[keep]
    order = np.argsort(det_img, kind='stable')
    starts = np.searchsorted(det_img[order], sorted(gt.coco.imgs) + [np.iinfo(np.int64).max])
    span = dict(zip(sorted(gt.coco.imgs), zip(starts[:-1], starts[1:])))
    errors = []
    for image in gt.coco.dataset['images']:
        anns = gt.coco.imgToAnns.get(image['id'], [])
        plain = [a for a in anns if not a.get('iscrowd', 0)]
        gt_box = xywh_to_xyxy(np.asarray([a['bbox'] for a in plain], np.float64).reshape(-1, 4))
        gt_lab = np.asarray([label_of[a['category_id']] for a in plain], np.int64)
        crowd = xywh_to_xyxy(np.asarray([a['bbox'] for a in anns if a.get('iscrowd', 0)], np.float64).reshape(-1, 4))
        lo, hi = span[image['id']]
        sel = order[lo:hi]
        pairs, missed, false_pos = match_image(gt_box, gt_lab, crowd, det_box[sel], det_lab[sel], det_score[sel],
                                               iou_thr)
        for g, d in pairs:
            matrix[g, d] += 1
        np.add.at(matrix, (missed, k), 1)
        np.add.at(matrix, (k, false_pos), 1)
        wrong = sum(g != d for g, d in pairs)
        errors.append(ImageErrors(image['id'], missed=len(missed) + wrong, false_positives=len(false_pos) + wrong,
                                  num_gt=len(plain), num_dets=len(sel)))
    return matrix, errors
