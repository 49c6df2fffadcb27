"""Horizontal bar charts drawn with OpenCV (one row per class, so 3 or 300 classes both stay readable)."""
from __future__ import annotations

import math
from typing import Mapping, Sequence

import cv2
import numpy as np

from mmext.visualization.draw import class_palette

_FONT = cv2.FONT_HERSHEY_SIMPLEX


def _text(img: np.ndarray, text: str, org: tuple[int, int], scale: float = 0.45, colour=(40, 40, 40)) -> None:
    cv2.putText(img, text, org, _FONT, scale, colour, 1, cv2.LINE_AA)


def _label_width(labels: Sequence[str]) -> int:
    return max([cv2.getTextSize(str(s), _FONT, 0.45, 1)[0][0] for s in labels] + [40])


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
    label_w = _label_width(labels) + 16
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


def bar_chart(names: Sequence[str], counts: Sequence[int], title: str = '', bar_width: int = 400,
              row_height: int = 18) -> np.ndarray:
    """A horizontal bar chart (one row per name, readable for any number of classes) as a BGR image.

    Args:
        names: Row labels.
        counts: One non-negative number per row.
        title: A line above the bars.
        bar_width: Pixels of the longest bar.
        row_height: Pixels per row.

    Returns:
        The chart.
    """
    label_w = _label_width([str(n)[:40] for n in names]) + 10
    count_w = cv2.getTextSize(str(max(counts, default=0)), _FONT, 0.45, 1)[0][0] + 10
    top = 30 if title else 8
    width, height = label_w + bar_width + count_w + 10, top + row_height * max(len(names), 1) + 8
    img = np.full((height, width, 3), 255, np.uint8)
    if title:
        _text(img, title[:100], (8, 20), 0.5, (0, 0, 0))
    most = max(max(counts, default=0), 1)
    for i, ((r, g, b), name, count) in enumerate(zip(class_palette(len(names)), names, counts)):
        y = top + i * row_height
        _text(img, str(name)[:40], (6, y + row_height - 5), colour=(0, 0, 0))
        length = int(round(bar_width * count / most))
        if length:
            cv2.rectangle(img, (label_w, y + 2), (label_w + length, y + row_height - 3), (b, g, r), -1)
        _text(img, str(count), (label_w + length + 4, y + row_height - 5), colour=(0, 0, 0))
    return img
