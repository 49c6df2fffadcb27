"""Drawing boxes and tiling images with OpenCV (no matplotlib: fast, and works headless)."""
from __future__ import annotations

import colorsys
from typing import Sequence

import cv2
import numpy as np


def class_palette(num_classes: int) -> list[tuple[int, int, int]]:
    """Distinct RGB colours for any number of classes (golden-ratio hues, so neighbours differ)."""
    colours = []
    for i in range(num_classes):
        r, g, b = colorsys.hsv_to_rgb((i * 0.618033988749895) % 1.0, 0.85, 0.95)
        colours.append((int(r * 255), int(g * 255), int(b * 255)))
    return colours


def draw_boxes(img: np.ndarray, boxes: np.ndarray, labels: Sequence[int], classes: Sequence[str],
               palette: Sequence[tuple[int, int, int]], scores: Sequence[float] | None = None,
               thickness: int = 2, scale: float = 1.0) -> np.ndarray:
    """Draw xyxy boxes with "class score" captions onto a BGR image (a copy, resized by ``scale``).

    Args:
        img: BGR uint8 image.
        boxes: (N, 4) boxes, x1 y1 x2 y2 in ``img``'s pixels.
        labels: N class indices.
        classes: Class names.
        palette: RGB colour per class.
        scores: N scores, or None for ground truth (drawn without a score).
        thickness: Line width in output pixels.
        scale: Resize factor applied before drawing (small images are easier to see enlarged).

    Returns:
        The drawn image.
    """
    out = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST) if scale != 1 else img.copy()
    for i, (box, label) in enumerate(zip(np.asarray(boxes, dtype=np.float64).reshape(-1, 4), labels)):
        r, g, b = palette[int(label) % len(palette)]
        colour = (b, g, r)
        x1, y1, x2, y2 = (int(round(v * scale)) for v in box)
        cv2.rectangle(out, (x1, y1), (x2, y2), colour, thickness)
        name = classes[int(label)] if 0 <= int(label) < len(classes) else str(label)
        text = name if scores is None else f'{name} {scores[i]:.2f}'
        (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, 0.4, 1)
        ty = max(y1, th + 3)
        cv2.rectangle(out, (x1, ty - th - 3), (x1 + tw + 2, ty), colour, -1)
        cv2.putText(out, text, (x1 + 1, ty - 2), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1, cv2.LINE_AA)
    return out


def make_grid(tiles: Sequence[np.ndarray], titles: Sequence[str] | None = None, cols: int = 4,
              pad: int = 4) -> np.ndarray:
    """Tile BGR images (any sizes) into one image, each with an optional title bar above it."""
    if not tiles:
        raise ValueError('make_grid needs at least one image')
    title_h = 18 if titles else 0
    cell_h = max(t.shape[0] for t in tiles) + title_h
    cell_w = max(t.shape[1] for t in tiles)
    cols = min(cols, len(tiles))
    rows = (len(tiles) + cols - 1) // cols
    grid = np.full((rows * (cell_h + pad) + pad, cols * (cell_w + pad) + pad, 3), 255, np.uint8)
    for i, tile in enumerate(tiles):
        y, x = pad + (i // cols) * (cell_h + pad), pad + (i % cols) * (cell_w + pad)
        if titles:
            cv2.putText(grid, titles[i][:60], (x, y + 13), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 1,
                        cv2.LINE_AA)
        grid[y + title_h:y + title_h + tile.shape[0], x:x + tile.shape[1]] = tile
    return grid
