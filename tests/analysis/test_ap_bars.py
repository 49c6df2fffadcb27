"""AP bar charts: one group per class (and one for all classes by size), bars as long as the APs."""
import numpy as np

from mmext.analysis.ap_bars import ap_by_class_chart, ap_by_size_chart


def _coloured(img):
    """Pixels that are neither white background nor grey text: the bars."""
    b, g, r = (img[..., i].astype(int) for i in range(3))
    return int(((np.abs(b - g) > 30) | (np.abs(g - r) > 30)).sum())


def _precision(value):
    precision = np.full((10, 101, 3, 4, 3), value, np.float64)
    precision[:, :, 2] = -1  # the third class has no ground truth: "n/a", no bar
    return precision


def test_bars_grow_with_the_ap():
    classes = ['cat', 'dog', 'bird']
    perfect, half, zero = (ap_by_class_chart(_precision(v), classes) for v in (1.0, 0.5, 0.0))
    assert perfect.dtype == np.uint8 and perfect.ndim == 3 and perfect.shape == zero.shape
    assert _coloured(perfect) > 1.8 * _coloured(half) > 0 and _coloured(zero) < _coloured(half) / 10


def test_size_chart_has_an_all_classes_group_before_the_classes():
    classes = ['cat', 'dog', 'bird']
    by_class = ap_by_class_chart(_precision(1.0), classes)
    by_size = ap_by_size_chart(_precision(1.0), classes)
    assert by_size.shape[0] > by_class.shape[0]  # one group more, each of 3 bars
    one_class = ap_by_size_chart(_precision(1.0)[:, :, :1], ['cat'])
    assert by_size.shape[0] > one_class.shape[0]
