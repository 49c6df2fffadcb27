"""The numpy steps around the exported graph: mmdet's test-time resize, normalisation and padding before it, and
RetinaNet's post-processing after it (anchors, box decoding, score threshold, top-k, class-wise NMS).

Everything they need is in the model's metadata (:func:`mmext.export.onnx_export.export_metadata`), so a deployed
model needs numpy, OpenCV and onnxruntime only. Each step repeats mmdet 3.3's float32 operations in its order
(``tests/export`` holds them to mmdet's own results).
"""
from __future__ import annotations

import cv2
import numpy as np


def preprocess(img: np.ndarray, meta: dict) -> tuple[np.ndarray, dict]:
    """A BGR uint8 image as the graph's input (1 x 3 x H x W float32) and what the post-processing needs.

    mmdet's ``Resize(scale, keep_ratio=True)`` (mmcv's ``imrescale``: the largest factor that fits the scale,
    sizes rounded half up, bilinear), then ``DetDataPreprocessor``: BGR to RGB, ``(x - mean) / std``, zero
    padding to a multiple of ``pad_size_divisor`` (or to the fixed input size).
    """
    h, w = img.shape[:2]
    if meta['keep_ratio']:
        long_edge, short_edge = max(meta['scale']), min(meta['scale'])
        factor = min(long_edge / max(h, w), short_edge / min(h, w))
        new_w, new_h = int(w * float(factor) + 0.5), int(h * float(factor) + 0.5)
    else:
        new_w, new_h = meta['scale']
    resized = cv2.resize(img, (new_w, new_h), interpolation=cv2.INTER_LINEAR) if (new_w, new_h) != (w, h) else img
    x = resized.astype(np.float32)
    if meta['bgr_to_rgb']:
        x = x[..., ::-1]
    x = (x - np.asarray(meta['mean'], np.float32)) / np.asarray(meta['std'], np.float32)
    if meta.get('input_size'):
        pad_h, pad_w = meta['input_size']
        if new_h > pad_h or new_w > pad_w:
            raise ValueError(f'the image resized to {new_h}x{new_w} does not fit the fixed input size {pad_h}x{pad_w}')
    else:
        d = meta['pad_size_divisor']
        pad_h, pad_w = -(-new_h // d) * d, -(-new_w // d) * d
    batch = np.zeros((1, 3, pad_h, pad_w), np.float32)
    batch[0, :, :new_h, :new_w] = x.transpose(2, 0, 1)
    return batch, dict(img_shape=(new_h, new_w), scale_factor=(new_w / w, new_h / h))


def grid_anchors(base_anchors: np.ndarray, stride: tuple[int, int], size: tuple[int, int]) -> np.ndarray:
    """mmdet's ``AnchorGenerator.single_level_grid_priors``: every base anchor at every cell, row by row."""
    h, w = size
    shift_x = np.arange(w, dtype=np.float32) * np.float32(stride[0])
    shift_y = np.arange(h, dtype=np.float32) * np.float32(stride[1])
    xx, yy = np.meshgrid(shift_x, shift_y)
    shifts = np.stack([xx.ravel(), yy.ravel(), xx.ravel(), yy.ravel()], axis=1)
    return (base_anchors[None].astype(np.float32) + shifts[:, None]).reshape(-1, 4)


def decode(anchors: np.ndarray, deltas: np.ndarray, meta: dict, max_shape: tuple[int, int]) -> np.ndarray:
    """``DeltaXYWHBBoxCoder.decode`` (``delta2bbox``), clipped to the resized image when ``clip_border``."""
    d = deltas * np.asarray(meta['coder_stds'], np.float32) + np.asarray(meta['coder_means'], np.float32)
    pxy = (anchors[:, :2] + anchors[:, 2:]) * np.float32(0.5)
    pwh = anchors[:, 2:] - anchors[:, :2]
    max_ratio = np.float32(abs(np.log(meta['wh_ratio_clip'])))
    gxy = pxy + pwh * d[:, :2]
    gwh = pwh * np.exp(np.clip(d[:, 2:], -max_ratio, max_ratio))
    boxes = np.concatenate([gxy - gwh * np.float32(0.5), gxy + gwh * np.float32(0.5)], axis=1)
    if meta['clip_border']:
        boxes[:, 0::2] = np.clip(boxes[:, 0::2], 0, max_shape[1])
        boxes[:, 1::2] = np.clip(boxes[:, 1::2], 0, max_shape[0])
    return boxes


def nms(boxes: np.ndarray, scores: np.ndarray, iou_thr: float, max_keep: int = -1) -> np.ndarray:
    """mmcv's CPU ``nms``: highest score first, a box is dropped when its IoU with a kept one is > ``iou_thr``.

    Greedy NMS keeps boxes in score order, so stopping at ``max_keep`` (mmdet's ``max_per_img``, applied after
    NMS) gives the same boxes, sooner."""
    order = np.argsort(-scores, kind='stable')
    x1, y1, x2, y2 = boxes.T
    areas = (x2 - x1) * (y2 - y1)
    keep = []
    alive = np.ones(len(order), bool)
    for i, idx in enumerate(order):
        if not alive[i]:
            continue
        keep.append(idx)
        if len(keep) == max_keep:
            break
        rest = order[i + 1:]
        w = np.clip(np.minimum(x2[idx], x2[rest]) - np.maximum(x1[idx], x1[rest]), 0, None)
        h = np.clip(np.minimum(y2[idx], y2[rest]) - np.maximum(y1[idx], y1[rest]), 0, None)
        inter = w * h
        alive[i + 1:] &= ~(inter / (areas[idx] + areas[rest] - inter) > iou_thr)
    return np.asarray(keep, np.int64)


def postprocess(outputs: list[np.ndarray], meta: dict, info: dict) -> dict:
    """Detections of one image from the graph's raw outputs, in the original image's pixels.

    mmdet's ``BaseDenseHead._predict_by_feat_single`` and ``_bbox_post_process``: per level, sigmoid scores
    above ``score_thr``, the ``nms_pre`` best (class, anchor) pairs, decoded; over all levels, rescaled to the
    original image, ``min_bbox_size``, class-wise NMS (mmcv's ``batched_nms`` offset trick), ``max_per_img``.

    Returns:
        ``bboxes`` (N x 4, xyxy), ``scores`` (N), ``labels`` (N), best first.
    """
    levels = len(meta['strides'])
    cfg = meta['test_cfg']
    all_boxes, all_scores, all_labels = [], [], []
    for lvl in range(levels):
        cls, reg = outputs[lvl][0], outputs[levels + lvl][0]
        scores = 1 / (1 + np.exp(-cls.transpose(1, 2, 0).reshape(-1, meta['num_classes'])))
        deltas = reg.transpose(1, 2, 0).reshape(-1, 4)
        flat = scores.ravel()
        valid = np.flatnonzero(flat > cfg['score_thr'])
        best = valid[np.argsort(-flat[valid], kind='stable')][:cfg['nms_pre'] if cfg['nms_pre'] > 0 else None]
        anchor_idx, labels = best // meta['num_classes'], best % meta['num_classes']
        anchors = grid_anchors(np.asarray(meta['base_anchors'][lvl], np.float32), meta['strides'][lvl],
                               cls.shape[1:])
        all_boxes.append(decode(anchors[anchor_idx], deltas[anchor_idx], meta, info['img_shape']))
        all_scores.append(flat[best])
        all_labels.append(labels)
    boxes, scores = np.concatenate(all_boxes), np.concatenate(all_scores).astype(np.float32)
    labels = np.concatenate(all_labels).astype(np.int64)
    sx, sy = info['scale_factor']
    boxes = boxes * np.asarray([1 / sx, 1 / sy, 1 / sx, 1 / sy], np.float32)
    if cfg.get('min_bbox_size', -1) >= 0:
        ok = ((boxes[:, 2] - boxes[:, 0]) > cfg['min_bbox_size']) & ((boxes[:, 3] - boxes[:, 1]) > cfg['min_bbox_size'])
        boxes, scores, labels = boxes[ok], scores[ok], labels[ok]
    if len(boxes):
        offsets = labels.astype(np.float32) * (boxes.max() + np.float32(1))
        keep = nms(boxes + offsets[:, None], scores, cfg['iou_threshold'], cfg['max_per_img'])
        boxes, scores, labels = boxes[keep], scores[keep], labels[keep]
    return dict(bboxes=boxes, scores=scores, labels=labels)
