"""Sliced prediction for large images with small objects: overlapping tiles, batched, mapped back and merged."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mmext.inference.prediction import Prediction

MERGES = ('nms', 'matrix_nms')


@dataclass(frozen=True)
class SliceOptions:
    """How to cut and merge.

    Attributes:
        size: Tile side in pixels (tiles are square; an image side shorter than it gives one tile on that side).
        overlap: Fraction of a tile shared with its neighbour, in [0, 1).
        merge: ``'nms'`` (class-wise NMS, mmcv's ``batched_nms``) or ``'matrix_nms'`` (class-wise Matrix NMS on
            boxes: scores decayed by overlap instead of removed).
        iou_thr: Overlap above which ``'nms'`` removes the lower-scoring box of a class.
        sigma: Matrix NMS's Gaussian decay (mmdet's default for SOLOv2).
        min_score: Matrix NMS: decayed scores below this are dropped.
        full_image: Also predict on the whole image (resized by the test pipeline, as without slicing) and merge
            its boxes in: large objects that no tile holds whole are then found too.
        max_per_img: Detections kept per image after merging (most confident first); 0 keeps all. Defaults
            to 1000 (COCO evaluation of crowded large images uses maxDets 1000).
    """
    size: int = 640
    overlap: float = 0.2
    merge: str = 'nms'
    iou_thr: float = 0.5
    sigma: float = 2.0
    min_score: float = 0.05
    full_image: bool = False
    max_per_img: int = 1000

    def __post_init__(self) -> None:
        if self.size < 8:
            raise ValueError(f'slice size must be at least 8 pixels, got {self.size}')
        if not 0 <= self.overlap < 1:
            raise ValueError(f'slice overlap must be in [0, 1), got {self.overlap}')
        if self.merge not in MERGES:
            raise ValueError(f"slice merge must be one of {', '.join(MERGES)}, got {self.merge!r}")


def tile_starts(length: int, size: int, overlap: float) -> list[int]:
    """Start offsets of tiles of ``size`` covering ``length`` with at least ``overlap`` shared between
    neighbours: as many tiles as sahi's ``get_slice_bboxes`` places, spread evenly (sahi pushes only the last one
    back from the border, which can nearly repeat its neighbour), the first at 0 and the last ending at the
    border, every tile whole."""
    if length <= size:
        return [0]
    stride = max(1, int(size * (1 - overlap)))
    count = math.ceil((length - size) / stride) + 1
    return [round(i * (length - size) / (count - 1)) for i in range(count)]


def tiles(height: int, width: int, size: int, overlap: float) -> list[tuple[int, int, int, int]]:
    """``(x1, y1, x2, y2)`` of every tile of an image, row by row."""
    return [(x, y, min(x + size, width), min(y + size, height))
            for y in tile_starts(height, size, overlap) for x in tile_starts(width, size, overlap)]


def predict_sliced(predictor, img: np.ndarray, options: SliceOptions, path: str | None = None) -> Prediction:
    """Predict on ``img`` tile by tile (``predictor.batch_size`` tiles per forward pass) and merge.

    Args:
        predictor: A :class:`~mmext.inference.batching.BatchPredictor`.
        img: The BGR image.
        options: Tile size, overlap, merging.
        path: The image file, kept in the result.

    Returns:
        The merged detections in the image's pixels.
    """
    height, width = img.shape[:2]
    boxes = tiles(height, width, options.size, options.overlap)
    crops = [img[y1:y2, x1:x2] for x1, y1, x2, y2 in boxes]
    parts = predictor.predict_arrays(crops)
    offsets = [np.array([x1, y1, x1, y1], np.float32) for x1, y1, _, _ in boxes]
    if options.full_image and len(boxes) > 1:
        parts += predictor.predict_arrays([img])
        offsets.append(np.zeros(4, np.float32))
    all_boxes = np.concatenate([p.boxes + o for p, o in zip(parts, offsets)]) if parts else np.zeros((0, 4))
    scores = np.concatenate([p.scores for p in parts]) if parts else np.zeros(0)
    labels = np.concatenate([p.labels for p in parts]) if parts else np.zeros(0, np.int64)
    keep, scores = merge_detections(all_boxes, scores, labels, options)
    if options.max_per_img:
        keep, scores = keep[:options.max_per_img], scores[:options.max_per_img]
    return Prediction(all_boxes[keep].astype(np.float32), scores.astype(np.float32), labels[keep].astype(np.int64),
                      predictor.classes, (height, width), None, path)


def merge_detections(boxes: np.ndarray, scores: np.ndarray, labels: np.ndarray,
                     options: SliceOptions) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the detections kept, most confident first, and their (for Matrix NMS: decayed) scores."""
    import torch
    if len(scores) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    b, s, lab = torch.from_numpy(boxes).float(), torch.from_numpy(scores).float(), torch.from_numpy(labels)
    if options.merge == 'nms':
        from mmcv.ops import batched_nms
        _, keep = batched_nms(b, s, lab, dict(type='nms', iou_threshold=options.iou_thr))
        return keep.numpy(), scores[keep.numpy()]
    return _matrix_nms(b, s, lab, options)


def _matrix_nms(boxes, scores, labels, options: SliceOptions) -> tuple[np.ndarray, np.ndarray]:
    """Matrix NMS (SOLOv2, Wang et al. 2020) on boxes, class-wise: each box's score decays by its overlap with
    the higher-scoring boxes of its class, compensated by how much those were themselves overlapped."""
    import torch
    order = torch.argsort(scores, descending=True)
    boxes, scores, labels = boxes[order], scores[order], labels[order]
    area = (boxes[:, 2] - boxes[:, 0]).clamp(min=0) * (boxes[:, 3] - boxes[:, 1]).clamp(min=0)
    lt = torch.max(boxes[:, None, :2], boxes[None, :, :2])
    rb = torch.min(boxes[:, None, 2:], boxes[None, :, 2:])
    inter = (rb - lt).clamp(min=0).prod(-1)
    iou = inter / (area[:, None] + area[None, :] - inter).clamp(min=1e-6)
    iou = (iou * (labels[:, None] == labels[None, :])).triu(diagonal=1)  # iou[i, j]: i scores above j
    compensate = iou.max(0).values  # how much each box is overlapped by a better one
    decay = torch.exp(-options.sigma * (iou ** 2 - compensate[:, None] ** 2)).min(0).values
    decayed = scores * decay
    keep = decayed >= options.min_score
    idx, decayed = order[keep], decayed[keep]
    resort = torch.argsort(decayed, descending=True)
    return idx[resort].numpy(), decayed[resort].numpy()
