"""Horizontal bar charts: bar lengths follow the values, one colour per series, "n/a" for NaN, any number of rows."""
import math

import numpy as np

from mmext.visualization.bar_charts import bar_chart, grouped_bar_chart
from mmext.visualization.draw import class_palette


def _saturated(img: np.ndarray) -> np.ndarray:
    """Bars are saturated colours; text, grid and background are grey."""
    return (img.max(axis=2).astype(int) - img.min(axis=2)) > 60


def test_bar_lengths_follow_the_counts():
    img = bar_chart(['a', 'bb', 'c'], [10, 5, 0], bar_width=400, row_height=18)
    coloured = (img.max(axis=2).astype(int) - img.min(axis=2)) > 60  # bars are saturated, text is grey
    lengths = [int(coloured[8 + i * 18 + 9].sum()) for i in range(3)]
    assert abs(lengths[0] - 400) <= 2 and abs(lengths[1] - 200) <= 2 and lengths[2] == 0



def test_grouped_bars_follow_the_values_one_colour_per_series():
    labels, series = ['cat', 'dog', 'fish'], {'AP': [0.5, 1.0, math.nan], 'AP50': [0.25, 1.5, 0.0]}
    img = grouped_bar_chart(labels, series, 'per-class AP', bar_width=400)
    top, bar_h, gap = 56, 14, 10
    assert img.shape == (top + 3 * (2 * bar_h + gap) + 20, img.shape[1], 3) and img.dtype == np.uint8
    coloured = _saturated(img)
    lengths, colours = {}, {}
    for row, label in enumerate(labels):
        for k, name in enumerate(series):
            y = top + row * (2 * bar_h + gap) + k * bar_h + bar_h // 2
            lengths[label, name] = int(coloured[y].sum())
            if lengths[label, name]:
                colours[label, name] = tuple(img[y][coloured[y]][0])
    assert abs(lengths['cat', 'AP'] - 200) <= 2 and abs(lengths['cat', 'AP50'] - 100) <= 2
    assert abs(lengths['dog', 'AP'] - 400) <= 2 and abs(lengths['dog', 'AP50'] - 400) <= 2  # 1.5 stops at the end
    assert lengths['fish', 'AP'] == 0 and 0 < lengths['fish', 'AP50'] <= 3  # NaN: no bar; 0: a sliver
    rgb = class_palette(2)
    assert colours['cat', 'AP'] == tuple(reversed(rgb[0])) and colours['cat', 'AP50'] == tuple(reversed(rgb[1]))


def test_a_chart_of_many_rows_gives_each_row_its_height():
    names = [f'class_{i}' for i in range(300)]
    img = bar_chart(names, list(range(300)), title='300 classes', row_height=18)
    assert img.shape[0] == 30 + 18 * 300 + 8
    assert abs(int(_saturated(img)[30 + 299 * 18 + 9].sum()) - 400) <= 2  # the largest count: a full bar
    assert bar_chart([], [], row_height=18).shape[0] == 8 + 18 + 8  # nothing to show: still an image
