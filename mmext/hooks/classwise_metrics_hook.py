"""Per-class AP and AP50 after each validation: scalars to every vis backend and a PNG bar chart."""
from __future__ import annotations

import logging
import math
import os.path as osp

import cv2
from mmdet.registry import HOOKS
from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.runner import BaseLoop, EpochBasedTrainLoop

from mmext.errors import ConfigError
from mmext.registry import register
from mmext.visualization.bar_charts import grouped_bar_chart


class _TableCatcher(logging.Handler):
    """Keeps the class-wise tables that CocoMetric logs during one validation."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict[str, dict[str, float]]] = []

    def emit(self, record: logging.LogRecord) -> None:
        table = parse_classwise_table(record.getMessage())
        if table:
            self.tables.append(table)


def parse_classwise_table(text: str) -> dict[str, dict[str, float]]:
    """The ``{class: {column: value}}`` of a CocoMetric class-wise table (``| category | mAP | mAP_50 | ...``).

    Args:
        text: A log message.

    Returns:
        The parsed rows, or an empty dict when ``text`` is not such a table.
    """
    rows = [[c.strip() for c in line.strip().strip('|').split('|')] for line in text.splitlines()
            if line.strip().startswith('|')]
    if not rows or rows[0][:2] != ['category', 'mAP']:
        return {}
    header = rows[0]
    parsed = {}
    for row in rows[1:]:
        if len(row) == len(header):
            parsed[row[0]] = {col: _float(cell) for col, cell in zip(header[1:], row[1:])}
    return parsed


def _float(cell: str) -> float:
    try:
        return float(cell)
    except ValueError:
        return float('nan')


def _is_coco_metric(metric: object) -> bool:
    """mmdet's CocoMetric or a subclass (mmext's FastCocoMetric), known by name so this module imports no metric."""
    return any(cls.__name__ == 'CocoMetric' for cls in type(metric).__mro__)


@register(HOOKS)
class ClasswiseMetricsHook(Hook):
    """After each validation, write per-class AP and AP50 to every vis backend and draw them as a bar chart.

    Needs ``val_evaluator=dict(type='CocoMetric', classwise=True, ...)``. CocoMetric publishes the per-class AP
    (``coco/<class>_precision``) but keeps AP50 inside the class-wise table it logs, so this hook listens to the
    logger while validating and reads AP and AP50 from that table (no second evaluation, no patch of mmdet; with
    several metrics such as bbox and segm, the last table, whose AP CocoMetric also publishes). The scalars
    ``classwise/<class>_AP`` and ``classwise/<class>_AP50`` go through ``runner.visualizer.add_scalars`` to every
    configured backend (``LocalVisBackend``, ``TensorboardVisBackend``, ``MLflowVisBackend``, ``WandbVisBackend``)
    at the same step as mmengine's LoggerHook uses (epoch, or iteration for iteration-based loops). A class with no
    ground truth has AP NaN: it is drawn as "n/a" and not sent to the backends. Written on rank 0.

    Args:
        filename: The chart's file name in the work dir (overwritten at each validation: it shows the latest
            model). Defaults to ``'classwise_ap.png'``.

    Raises:
        ConfigError: When training starts, no CocoMetric with ``classwise=True`` in the validation evaluator.

    Example:
        >>> val_evaluator = dict(type='CocoMetric', ann_file='data/val.json', metric='bbox', classwise=True)
        >>> custom_hooks = [dict(type='ClasswiseMetricsHook')]
    """

    priority = 'BELOW_NORMAL'

    def __init__(self, filename: str = 'classwise_ap.png') -> None:
        if not isinstance(filename, str) or not filename.endswith('.png'):
            raise ConfigError(f'ClasswiseMetricsHook: filename={filename!r} must be a .png file name')
        self.filename = filename
        self._catcher: _TableCatcher | None = None
        self.enabled = True

    def before_run(self, runner) -> None:
        loop = getattr(runner, '_val_loop', None)
        if not isinstance(loop, BaseLoop):  # no validation, or a test-only run (built lazily: leave it be)
            self.enabled = False
            return
        metrics = loop.evaluator.metrics
        if not any(_is_coco_metric(m) and getattr(m, 'classwise', False) for m in metrics):
            found = ', '.join(f'{type(m).__name__}(classwise={getattr(m, "classwise", "-")})' for m in metrics)
            raise ConfigError(f'ClasswiseMetricsHook needs a CocoMetric with classwise=True in val_evaluator, found '
                              f"{found or 'none'}. Set val_evaluator=dict(type='CocoMetric', classwise=True, ...)")

    def before_val_epoch(self, runner) -> None:
        if self.enabled and is_main_process():
            self._catcher = _TableCatcher()
            runner.logger.addHandler(self._catcher)

    def after_val_epoch(self, runner, metrics: dict | None = None) -> None:
        if self._catcher is None:
            return
        runner.logger.removeHandler(self._catcher)
        tables, self._catcher = self._catcher.tables, None
        metrics = metrics or {}
        classes = list(runner.val_evaluator.dataset_meta.get('classes', ()))
        table = tables[-1] if tables else {}  # the last table is the one whose AP became <class>_precision
        if not table:  # CocoMetric skips evaluation (and the table) when there is no detection at all
            runner.logger.warning('ClasswiseMetricsHook: CocoMetric logged no class-wise table in this validation '
                                  '(no detections?); nothing written')
            return
        ap = [table.get(c, {}).get('mAP', float('nan')) for c in classes]
        ap50 = [table.get(c, {}).get('mAP_50', float('nan')) for c in classes]
        # the step mmengine's LoggerHook uses, without building a train loop that a val-only run does not have
        train_loop = getattr(runner, '_train_loop', None)
        by_iter = isinstance(train_loop, BaseLoop) and not isinstance(train_loop, EpochBasedTrainLoop)
        step = runner.iter if by_iter else (runner.epoch if isinstance(train_loop, BaseLoop) else 0)
        scalars = {}
        for name, a, a50 in zip(classes, ap, ap50):
            if not math.isnan(a):
                scalars[f'classwise/{name}_AP'] = a
            if not math.isnan(a50):
                scalars[f'classwise/{name}_AP50'] = a50
        if scalars:
            runner.visualizer.add_scalars(scalars, step=step)
        chart = grouped_bar_chart(classes, {'AP': ap, 'AP50': ap50},
                                  f'class-wise AP on validation ({"iter" if by_iter else "epoch"} {step})')
        cv2.imwrite(osp.join(runner.work_dir, self.filename), chart)
