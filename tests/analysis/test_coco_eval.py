"""The precision array of the predictions equals pycocotools' own, and mean_ap averages it as summarize does."""
import contextlib
import io

import numpy as np
import pytest
from pycocotools.cocoeval import COCOeval

from mmext.analysis.coco_eval import mean_ap, precision_array
from mmext.analysis.inputs import Predictions


def _pycocotools(gt, results):
    with contextlib.redirect_stdout(io.StringIO()):
        E = COCOeval(gt.coco, gt.coco.loadRes(results), 'bbox')
        E.evaluate(), E.accumulate(), E.summarize()
    return E


def test_precision_array_is_pycocotools(hand):
    precision = precision_array(hand['gt'], hand['preds'])
    E = _pycocotools(hand['gt'], hand['results'])
    assert precision.shape == (10, 101, 2, 4, 3)
    np.testing.assert_array_equal(precision, E.eval['precision'])
    assert mean_ap(precision) == pytest.approx(E.stats[0], abs=1e-12)
    assert mean_ap(precision, 0) == pytest.approx(E.stats[1], abs=1e-12)
    assert mean_ap(precision, 5) == pytest.approx(E.stats[2], abs=1e-12)
    # the cat: 1 of 2 found with the best score -> AP50 0.5 on pycocotools' 101 recall points; the dog: none
    assert mean_ap(precision, 0, klass=0) == pytest.approx(51 / 101)
    assert mean_ap(precision, 0, klass=1) == 0.0


def test_no_predictions_give_zero_precision_where_there_is_ground_truth(hand):
    none = Predictions(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros((0, 4)), np.zeros(0), {})
    precision = precision_array(hand['gt'], none)
    assert (precision[:, :, :, 0, :] == 0).all()
    assert mean_ap(precision) == 0.0


def test_mean_ap_leaves_out_entries_without_ground_truth():
    precision = np.full((10, 101, 2, 4, 3), -1.0)
    assert np.isnan(mean_ap(precision))
    precision[:, :, 0, 0, -1] = 0.25
    precision[0, :, 1, 0, -1] = 1.0
    assert mean_ap(precision, 0) == pytest.approx(0.625)
    assert mean_ap(precision, klass=1) == pytest.approx(1.0)
    assert np.isnan(mean_ap(precision, area=3))
