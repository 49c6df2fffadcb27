"""A horizontal grouped bar chart drawn with OpenCV (one row per class, so 3 or 300 classes both stay readable)."""
from __future__ import annotations

import math
from typing import Mapping, Sequence

import cv2
import numpy as np

from mmext.visualization.draw import class_palette

_FONT = cv2.FONT_HERSHEY_SIMPLEX


def _text(img: np.ndarray, text: str, org: tuple[int, int], scale: float = 0.45, colour=(40, 40, 40)) -> None:
    cv2.putText(img, text, org, _FONT, scale, colour, 1, cv2.LINE_AA)


def grouped_bar_chart(labels: Sequence[str], series: Mapping[str, Sequence[float]], title: str,
                      max_value: float = 1.0, bar_width: int = 400) -> np.ndarray:
    """Draw one group of horizontal bars per label, one bar per series, value written at the bar's end.

    Args:
        labels: Row labels (class names).
        series: ``{series name: one value per label}``; NaN (no ground truth) is drawn as "n/a".
        title: Text above the chart.
        max_value: The value of a full-length bar. Defaults to 1.0.
        bar_width: Pixels of a full-length bar. Defaults to 400.

    Returns:
        A BGR uint8 image.
    """
    names = list(series)
    colours = [tuple(int(c) for c in reversed(rgb)) for rgb in class_palette(len(names))]
    label_w = max([cv2.getTextSize(str(s), _FONT, 0.45, 1)[0][0] for s in labels] + [40]) + 16
    bar_h, gap, top = 14, 10, 56
    width = label_w + bar_width + 70
    height = top + len(labels) * (len(names) * bar_h + gap) + 20
    img = np.full((height, width, 3), 255, np.uint8)
    _text(img, title, (10, 22), 0.55)
    x = 10
    for name, colour in zip(names, colours):  # legend
        cv2.rectangle(img, (x, 32), (x + 12, 44), colour, -1)
        _text(img, name, (x + 16, 43))
        x += 30 + cv2.getTextSize(name, _FONT, 0.45, 1)[0][0]
    for tick in range(0, 11, 2):  # grid every 0.2 of max_value
        gx = label_w + int(bar_width * tick / 10)
        cv2.line(img, (gx, top - 4), (gx, height - 16), (225, 225, 225), 1)
        _text(img, f'{max_value * tick / 10:g}', (gx - 8, height - 4), 0.35, (120, 120, 120))
    y = top
    for row, label in enumerate(labels):
        _text(img, str(label), (8, y + (len(names) * bar_h) // 2 + 5))
        for name, colour in zip(names, colours):
            value = float(series[name][row])
            if math.isnan(value):
                _text(img, 'n/a', (label_w + 4, y + bar_h - 3), 0.38, (120, 120, 120))
            else:
                end = label_w + int(bar_width * min(max(value / max_value, 0.0), 1.0))
                cv2.rectangle(img, (label_w, y + 1), (max(end, label_w + 1), y + bar_h - 2), colour, -1)
                _text(img, f'{value:.3f}', (end + 4, y + bar_h - 3), 0.38)
            y += bar_h
        y += gap
    return img
