"""The K-fold table: every metric per fold with mean and standard deviation, printed and saved as CSV, JSON and PNG."""
from __future__ import annotations

import csv
import json
import math
import os.path as osp
import statistics
from dataclasses import dataclass

RESULTS = 'kfold_results'  # .csv, .json, .png in the run's work dir


@dataclass
class FoldTable:
    """Metric values per fold (NaN where COCO had nothing to measure, e.g. no large objects: it reports -1)."""
    metrics: list[str]
    rows: list[list[float]]  # one per fold, in ``metrics`` order

    def mean(self) -> list[float]:
        return [_stat(col, statistics.fmean) for col in self._columns()]

    def std(self) -> list[float]:
        """The sample standard deviation (n - 1) of each metric over the folds that measured it."""
        return [_stat(col, statistics.stdev, least=2) for col in self._columns()]

    def _columns(self) -> list[list[float]]:
        return [[row[i] for row in self.rows if math.isfinite(row[i])] for i in range(len(self.metrics))]


def _stat(values: list[float], fn, least: int = 1) -> float:
    return fn(values) if len(values) >= least else float('nan')


def build_table(records: list[dict]) -> FoldTable:
    """The table of the fold records of :func:`mmext.engine.commands.kfold.run_kfold` (metrics in first-seen order)."""
    metrics: list[str] = []
    for record in records:
        metrics += [m for m in record['metrics'] if m not in metrics]
    rows = [[_value(record['metrics'].get(m)) for m in metrics] for record in records]
    return FoldTable(metrics, rows)


def _value(value) -> float:
    if value is None or not math.isfinite(value) or value < 0:  # COCO's -1: nothing of that size to measure
        return float('nan')
    return float(value)


def short_name(metric: str) -> str:
    """``'coco/bbox_mAP_50'`` -> ``'bbox_mAP_50'``."""
    return metric.rsplit('/', 1)[-1]


def format_table(table: FoldTable, max_columns: int = 12) -> str:
    """Folds as rows, metrics as columns (3 decimals, ``n/a`` where nothing was measured), then mean and std."""
    shown = list(range(len(table.metrics)))[:max_columns]
    names = [short_name(table.metrics[i]) for i in shown]
    widths = [max(len(n), 6) for n in names]
    head = f'{"fold":<6}' + ''.join(f'  {n:>{w}}' for n, w in zip(names, widths))
    lines = [head, '-' * len(head)]
    labelled = [(str(k), row) for k, row in enumerate(table.rows)] + [('mean', table.mean()), ('std', table.std())]
    for label, row in labelled:
        if label == 'mean':
            lines.append('-' * len(head))
        lines.append(f'{label:<6}' + ''.join(f'  {_fmt(row[i]):>{w}}' for i, w in zip(shown, widths)))
    if len(table.metrics) > max_columns:
        lines.append(f'({len(table.metrics) - max_columns} more metrics in the CSV and JSON)')
    return '\n'.join(lines)


def _fmt(value: float) -> str:
    return 'n/a' if not math.isfinite(value) else f'{value:.3f}'


def write_results(table: FoldTable, records: list[dict], work_dir: str, title: str) -> list[str]:
    """Write ``kfold_results.csv`` (folds, mean, std), ``.json`` (the same, plus each fold's files and checkpoint)
    and ``.png`` (mean of each metric with a std error bar, each fold a dot).

    Returns:
        The files written.
    """
    from mmext.visualization.fold_chart import plot_fold_metrics
    base = osp.join(work_dir, RESULTS)
    with open(base + '.csv', 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(['fold'] + table.metrics)
        for label, row in [(str(k), r) for k, r in enumerate(table.rows)] + [('mean', table.mean()),
                                                                           ('std', table.std())]:
            writer.writerow([label] + ['' if not math.isfinite(v) else f'{v:.6g}' for v in row])
    mean, std = table.mean(), table.std()
    summary = dict(
        metrics=table.metrics,
        folds=[dict(fold=r['fold'], metrics={m: _json(v) for m, v in zip(table.metrics, row)},
                    train_file=r.get('train_file'), val_file=r.get('val_file'), checkpoint=r.get('checkpoint'),
                    seconds=r.get('seconds')) for r, row in zip(records, table.rows)],
        mean={m: _json(v) for m, v in zip(table.metrics, mean)},
        std={m: _json(v) for m, v in zip(table.metrics, std)}, std_is='sample standard deviation (n - 1)')
    with open(base + '.json', 'w') as f:
        json.dump(summary, f, indent=1)
    plot_fold_metrics(table.metrics, table.rows, mean, std, base + '.png', title)
    return [base + '.csv', base + '.json', base + '.png']


def _json(value: float) -> float | None:
    return value if math.isfinite(value) else None
