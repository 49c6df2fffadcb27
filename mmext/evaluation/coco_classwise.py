"""Per-class AP from COCOeval's precision array, and the table mmdet's ``CocoMetric`` logs (``classwise=True``)."""
from __future__ import annotations

import itertools
from typing import Sequence

import numpy as np
from terminaltables import AsciiTable

HEADERS = ['category', 'mAP', 'mAP_50', 'mAP_75', 'mAP_s', 'mAP_m', 'mAP_l']


def per_class_ap(precision: np.ndarray) -> np.ndarray:
    """Per-class AP from COCOeval's ``eval['precision']`` ([iou, recall, class, area, max dets]).

    Returns:
        An array (classes x 6): AP over all IoUs, AP@0.5, AP@0.75, AP small, medium, large (largest max-dets
        setting); NaN where a class has no ground truth in that column.
    """
    columns = [(slice(None), 0), (0, 0), (5, 0), (slice(None), 1), (slice(None), 2), (slice(None), 3)]
    out = np.full((precision.shape[2], len(columns)), np.nan)
    for k in range(precision.shape[2]):
        for c, (iou, area) in enumerate(columns):
            values = precision[iou, :, k, area, -1]
            values = values[values > -1]
            if values.size:
                out[k, c] = np.mean(values)
    return out


def classwise_table(names: Sequence[str], table: np.ndarray) -> str:
    """mmdet's per-class table (rounded to 3 decimals, as its log shows it) of :func:`per_class_ap`'s rows."""
    rows = [[name] + [f'{round(v, 3)}' for v in row] for name, row in zip(names, table)]
    columns = len(rows[0])
    flat = list(itertools.chain(*rows))
    table_data = [HEADERS] + list(itertools.zip_longest(*[flat[i::columns] for i in range(columns)]))
    return AsciiTable(table_data).table
