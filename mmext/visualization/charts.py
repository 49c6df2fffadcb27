"""Charts drawn with OpenCV (no matplotlib, like :mod:`mmext.visualization.draw`)."""
from __future__ import annotations

from typing import Sequence

import cv2
import numpy as np

from mmext.visualization.draw import class_palette


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
    font, size = cv2.FONT_HERSHEY_SIMPLEX, 0.45
    label_w = max([cv2.getTextSize(str(n)[:40], font, size, 1)[0][0] for n in names] + [40]) + 10
    count_w = cv2.getTextSize(str(max(counts, default=0)), font, size, 1)[0][0] + 10
    top = 30 if title else 8
    width, height = label_w + bar_width + count_w + 10, top + row_height * max(len(names), 1) + 8
    img = np.full((height, width, 3), 255, np.uint8)
    if title:
        cv2.putText(img, title[:100], (8, 20), font, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
    most = max(max(counts, default=0), 1)
    for i, ((r, g, b), name, count) in enumerate(zip(class_palette(len(names)), names, counts)):
        y = top + i * row_height
        cv2.putText(img, str(name)[:40], (6, y + row_height - 5), font, size, (0, 0, 0), 1, cv2.LINE_AA)
        length = int(round(bar_width * count / most))
        if length:
            cv2.rectangle(img, (label_w, y + 2), (label_w + length, y + row_height - 3), (b, g, r), -1)
        cv2.putText(img, str(count), (label_w + length + 4, y + row_height - 5), font, size, (0, 0, 0), 1,
                    cv2.LINE_AA)
    return img
