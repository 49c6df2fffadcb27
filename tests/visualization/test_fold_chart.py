"""The cross-validation chart: one bar per metric, NaN drawn as no bar, per-class metrics left out past 24."""
import math

import cv2

from mmext.visualization.fold_chart import plot_fold_metrics


def test_one_bar_per_metric_and_only_the_map_metrics_past_24(tmp_path):
    metrics = ['coco/bbox_mAP', 'coco/bbox_mAP_50', 'coco/bbox_mAP_l']
    rows = [[0.5, 0.7, math.nan], [0.6, 0.8, math.nan]]
    out = plot_fold_metrics(metrics, rows, [0.55, 0.75, math.nan], [0.05, 0.05, math.nan], str(tmp_path / 'a.png'),
                            'two folds')
    assert out == str(tmp_path / 'a.png') and cv2.imread(out).shape[:2] == (420, 600)  # 6 x 4.2 in, 100 dpi
    many = metrics + [f'coco/class_{i}_precision' for i in range(30)]
    wide = [[0.5] * len(many)] * 2
    out = plot_fold_metrics(many, wide, [0.5] * len(many), [0.0] * len(many), str(tmp_path / 'b.png'), 'many')
    assert cv2.imread(out).shape[:2] == (420, 600)  # the 3 mAP bars only, not 33 (which would be 2510 px wide)
    out = plot_fold_metrics(many[3:28], [[0.5] * 25] * 2, [0.5] * 25, [0.0] * 25, str(tmp_path / 'c.png'), 'no mAP')
    assert cv2.imread(out).shape[1] == 1880  # no mAP metric: the first 24 bars, (0.7 x 24 + 2) in
