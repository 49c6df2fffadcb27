"""Per-class precision-recall curves (matplotlib), one panel per class, at IoU 0.5 and 0.75."""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from mmext.analysis.coco_eval import mean_ap

RECALLS = np.linspace(0.0, 1.0, 101)  # pycocotools' recall thresholds
CURVES = ((0, 'IoU 0.50', '#1f77b4'), (5, 'IoU 0.75', '#ff7f0e'))  # index into the 10 IoU thresholds


def draw_pr_curves(precision: np.ndarray, classes: Sequence[str], path: str, cols: int = 4) -> None:
    """One panel per class: precision against recall (area all, 100 detections per image) at IoU 0.5 and 0.75,
    the class's AP50 and AP75 in its title. A class without ground truth gets an empty panel saying so.

    Args:
        precision: pycocotools' ``eval['precision']``.
        classes: Names in the precision array's class order.
        path: The PNG to write.
        cols: Panels per row. Defaults to 4.
    """
    from matplotlib.figure import Figure
    cols = max(1, min(cols, len(classes)))
    rows = math.ceil(len(classes) / cols)
    fig = Figure(figsize=(3.2 * cols, 2.9 * rows + 0.4))
    axes = fig.subplots(rows, cols, squeeze=False)
    for k, ax in enumerate(axes.flat):
        if k >= len(classes):
            ax.set_visible(False)
            continue
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
        ax.set_xlabel('recall', fontsize=8)
        ax.set_ylabel('precision', fontsize=8)
        ax.tick_params(labelsize=7)
        if precision[0, 0, k, 0, -1] < 0:
            ax.set_title(f'{classes[k]}: no ground truth', fontsize=9)
            continue
        for t, label, colour in CURVES:
            ax.plot(RECALLS, np.clip(precision[t, :, k, 0, -1], 0, None), color=colour, label=label)
        ax.set_title(f'{classes[k]}: AP50 {mean_ap(precision, 0, klass=k):.3f}, '
                     f'AP75 {mean_ap(precision, 5, klass=k):.3f}', fontsize=9)
        if k == 0:
            ax.legend(fontsize=7, loc='lower left')
    fig.suptitle(f'precision-recall per class (mAP {mean_ap(precision):.3f}, mAP50 {mean_ap(precision, 0):.3f})')
    fig.tight_layout()
    fig.savefig(path, dpi=90)
