"""Drawing a prediction onto its image: boxes, class names, scores and masks."""
from __future__ import annotations

import os.path as osp

import numpy as np

from mmext.inference.inputs import InputFile
from mmext.inference.prediction import Prediction


def draw_prediction(img: np.ndarray, pred: Prediction, score_thr: float = 0.3,
                    palette: list[tuple[int, int, int]] | None = None) -> np.ndarray:
    """A copy of the BGR image with the detections scoring at least ``score_thr``.

    Args:
        img: The BGR image the prediction was made on.
        pred: Its prediction.
        score_thr: Lowest score drawn.
        palette: RGB colour per class; generated when None.

    Returns:
        The drawn BGR image (masks blended at 50%, then boxes with "class score" captions).
    """
    from mmext.visualization import class_palette, draw_boxes
    shown = pred.above(score_thr)
    palette = palette or class_palette(len(pred.classes))
    out = np.ascontiguousarray(img if img.dtype == np.uint8 else np.clip(img, 0, 255).astype(np.uint8))
    if out.ndim == 2:
        out = np.repeat(out[..., None], 3, axis=2)
    if shown.masks is not None and len(shown):
        out = out.copy()
        for mask, label in zip(shown.masks, shown.labels):
            r, g, b = palette[int(label) % len(palette)]
            out[mask] = (0.5 * out[mask] + 0.5 * np.array([b, g, r])).astype(np.uint8)
    return draw_boxes(out, shown.boxes, shown.labels, pred.classes, palette, shown.scores)


def png_path(out_dir: str, item: InputFile) -> str:
    """Where an image's drawn prediction goes: its name under ``out_dir``, as PNG."""
    return osp.join(out_dir, osp.splitext(item.name)[0] + '.png')
