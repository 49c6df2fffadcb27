"""A bar chart of cross-validation metrics: each metric's mean over the folds, its standard deviation as an error
bar, and every fold's value as a dot."""
from __future__ import annotations

import math
from typing import Sequence

_MAX_BARS = 24  # past this (per-class metrics), only the mAP metrics are drawn; the CSV has them all


def plot_fold_metrics(metrics: Sequence[str], rows: Sequence[Sequence[float]], mean: Sequence[float],
                      std: Sequence[float], out: str, title: str) -> str:
    """Draw the chart.

    Args:
        metrics: Metric names (``'coco/bbox_mAP'`` ...).
        rows: One list of values per fold, in ``metrics`` order (NaN: not measured).
        mean: The mean of each metric.
        std: The standard deviation of each metric (NaN: no error bar).
        out: The PNG path.
        title: Text above the chart.

    Returns:
        ``out``.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    index = list(range(len(metrics)))
    if len(index) > _MAX_BARS:
        index = [i for i in index if 'mAP' in metrics[i]][:_MAX_BARS] or index[:_MAX_BARS]
    names = [metrics[i].rsplit('/', 1)[-1] for i in index]
    fig, ax = plt.subplots(figsize=(max(6.0, 0.7 * len(index) + 2), 4.2))
    heights = [0.0 if math.isnan(mean[i]) else mean[i] for i in index]
    errors = [0.0 if math.isnan(std[i]) else std[i] for i in index]
    ax.bar(range(len(index)), heights, yerr=errors, capsize=4, color='C0', alpha=0.75, label='mean ± std')
    for fold, row in enumerate(rows):
        xs = [x + (fold - (len(rows) - 1) / 2) * 0.08 for x in range(len(index))]  # folds side by side
        ys = [row[i] for i in index]
        ax.scatter(xs, ys, s=14, color=f'C{(fold + 1) % 10}', zorder=3, label=f'fold {fold}')
    for x, i in enumerate(index):
        if not math.isnan(mean[i]):
            ax.text(x, heights[x] + errors[x] + 0.02, f'{mean[i]:.3f}', ha='center', fontsize=7)
    ax.set_xticks(range(len(index)), names, rotation=40, ha='right', fontsize=8)
    ax.set_ylim(0, 1.08)
    ax.set_ylabel('value')
    ax.set_title(title, fontsize=10)
    ax.grid(axis='y', alpha=0.3)
    ax.legend(fontsize=7, ncol=min(len(rows) + 1, 6), loc='upper right')
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out
