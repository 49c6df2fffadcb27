"""The confusion matrix as a CSV and a PNG (matplotlib), with a background row and column."""
from __future__ import annotations

import csv
from typing import Sequence

import numpy as np


def write_confusion_csv(matrix: np.ndarray, classes: Sequence[str], path: str) -> None:
    """Rows: ground-truth class, columns: predicted class; the last of each is ``background``."""
    names = list(classes) + ['background']
    with open(path, 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(['ground truth \\ predicted'] + names)
        for name, row in zip(names, matrix.tolist()):
            writer.writerow([name] + row)


def draw_confusion(matrix: np.ndarray, classes: Sequence[str], path: str, iou_thr: float, score_thr: float) -> None:
    """Counts in the cells, colour by the share of the row (so a rare class reads as well as a common one).

    The background row holds the false positives of each predicted class, the background column each class's
    missed objects; the background-background cell is empty by definition.
    """
    from matplotlib.figure import Figure
    names = list(classes) + ['background']
    n = len(names)
    rows = matrix.sum(1, keepdims=True)
    share = np.divide(matrix, rows, out=np.zeros(matrix.shape), where=rows > 0)
    side = min(max(4.0, 0.55 * n + 2.5), 40.0)
    fig = Figure(figsize=(side + 1.2, side))
    ax = fig.add_subplot()
    image = ax.imshow(share, cmap='Blues', vmin=0, vmax=1)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label='share of the ground-truth row')
    ax.set_xticks(range(n), names, rotation=45 if n > 4 else 0, ha='right' if n > 4 else 'center')
    ax.set_yticks(range(n), names)
    ax.set_xlabel('predicted')
    ax.set_ylabel('ground truth')
    ax.set_title(f'confusion matrix (IoU >= {iou_thr:g}, score >= {score_thr:g})')
    if n <= 40:  # beyond that the numbers no longer fit their cells
        for i in range(n):
            for j in range(n):
                if i == n - 1 and j == n - 1:
                    continue
                ax.text(j, i, str(matrix[i, j]), ha='center', va='center', fontsize=8,
                        color='white' if share[i, j] > 0.5 else 'black')
    fig.tight_layout()
    fig.savefig(path, dpi=100)
