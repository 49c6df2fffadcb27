"""Precision-recall curves: one panel per class, in rows of ``cols``."""
import cv2
import numpy as np

from mmext.analysis.pr_curves import draw_pr_curves


def _precision(classes):
    precision = np.tile(np.linspace(1, 0, 101)[None, :, None, None, None], (10, 1, classes, 4, 3))
    precision[:, :, -1] = -1  # the last class has no ground truth: an empty panel that says so
    return precision


def test_one_panel_per_class_in_rows(tmp_path):
    draw_pr_curves(_precision(3), ['a', 'b', 'c'], str(tmp_path / 'three.png'))
    draw_pr_curves(_precision(5), list('abcde'), str(tmp_path / 'five.png'))
    draw_pr_curves(_precision(5), list('abcde'), str(tmp_path / 'cols2.png'), cols=2)
    sizes = {name: cv2.imread(str(tmp_path / f'{name}.png')).shape[:2] for name in ('three', 'five', 'cols2')}
    # 3.2 x 2.9 in a panel (+ 0.4 in title) at 90 dpi
    assert sizes == {'three': (297, 864), 'five': (558, 1152), 'cols2': (819, 576)}
