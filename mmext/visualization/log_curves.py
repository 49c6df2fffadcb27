"""Training curves from mmengine's scalar logs: losses, learning rate and validation metrics, several runs overlaid.

mmengine's LocalVisBackend writes one JSON object per logged step to ``<work_dir>/<timestamp>/vis_data/scalars.json``:
training records carry ``iter`` (and ``loss*``, ``lr``), validation records carry only ``step`` (the epoch, or the
iteration for iteration-based loops) and the metrics.
"""
from __future__ import annotations

import glob
import json
import math
import os.path as osp
from dataclasses import dataclass, field

from mmext.errors import LogError

_NOT_METRICS = {'data_time', 'time', 'step', 'epoch', 'iter', 'memory', 'grad_norm', 'lr'}


@dataclass
class RunLog:
    """One run's scalars: ``train[name] = [(iteration, value)]``, ``val[name] = [(step, value)]``."""
    label: str
    train: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    val: dict[str, list[tuple[int, float]]] = field(default_factory=dict)


def find_scalar_files(path: str) -> list[str]:
    """The ``scalars.json`` files of a work dir (every timestamp, oldest first), a timestamp dir, or the file itself.

    Raises:
        LogError: None found.
    """
    if osp.isfile(path):
        return [path]
    found = []
    for pattern in ('scalars.json', 'vis_data/scalars.json', '*/vis_data/scalars.json'):
        found = sorted(glob.glob(osp.join(path, pattern)))
        if found:
            return found
    raise LogError(f'{path}: no scalars.json found (looked for {path}/<timestamp>/vis_data/scalars.json, written by '
                   "mmengine's LocalVisBackend); is this a training work dir?")


def read_run(path: str, label: str | None = None) -> RunLog:
    """Read every scalar of a run (all its timestamps, so a resumed run is one curve).

    Raises:
        LogError: No log, or a line that is not JSON.
    """
    run = RunLog(label or osp.basename(osp.normpath(path)))
    for file in find_scalar_files(path):
        with open(file) as f:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    raise LogError(f'{file}, line {number}: not JSON') from None
                if 'iter' in record:
                    series, x = run.train, record['iter']
                    keys = [k for k in record if k.startswith('loss') or k == 'lr']
                else:
                    series, x = run.val, record.get('step', 0)
                    keys = [k for k in record if k not in _NOT_METRICS]
                for key in keys:
                    if isinstance(record[key], (int, float)):
                        series.setdefault(key, []).append((int(x), float(record[key])))
    return run


def _panels(runs: list[RunLog]) -> list[tuple[str, str]]:
    """``[(section, name)]``: losses first (total loss first), then lr, then validation metrics."""
    train = sorted({k for r in runs for k in r.train}, key=lambda k: (k == 'lr', k != 'loss', k))
    val = sorted({k for r in runs for k in r.val
                  if any(v >= 0 for _, v in r.val[k])})  # COCO reports -1 for an empty size range
    return [('train', k) for k in train] + [('val', k) for k in val]


def plot_runs(runs: list[RunLog], out: str, columns: int = 3) -> str:
    """Draw one panel per loss, the learning rate and each validation metric, every run in its own colour.

    Args:
        runs: The runs (see :func:`read_run`).
        out: The PNG path.
        columns: Panels per row.

    Returns:
        ``out``.

    Raises:
        LogError: The runs hold no scalar at all.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    panels = _panels(runs)
    if not panels:
        raise LogError(f'no losses, lr or metrics in the logs of {", ".join(r.label for r in runs)}')
    rows = math.ceil(len(panels) / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(5 * columns, 3.4 * rows), squeeze=False)
    for ax, (section, name) in zip(axes.flat, panels):
        for index, run in enumerate(runs):
            points = (run.train if section == 'train' else run.val).get(name)
            if points:
                xs, ys = zip(*points)
                ax.plot(xs, ys, marker='o' if len(xs) < 30 else None, ms=3, color=f'C{index % 10}', label=run.label)
        ax.set_title(name if section == 'train' else f'val: {name}')
        ax.set_xlabel('iteration' if section == 'train' else 'epoch (validation step)')
        if name == 'lr':
            ax.ticklabel_format(axis='y', style='sci', scilimits=(-2, 2))
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(panels):]:
        ax.axis('off')
    axes.flat[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=90)
    plt.close(fig)
    return out


def unique_labels(paths: list[str]) -> list[str]:
    """Short labels for runs: the folder name, with its parent when two runs share a name."""
    names = [osp.basename(osp.normpath(p)) for p in paths]
    return [osp.join(osp.basename(osp.dirname(osp.normpath(p))), n) if names.count(n) > 1 else n
            for p, n in zip(paths, names)]
