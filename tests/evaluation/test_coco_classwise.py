"""Per-class AP from COCOeval's precision array, and mmdet's per-class table, character for character."""
import logging

import numpy as np
from mmdet.evaluation.metrics import CocoMetric
from mmengine.logging import MMLogger

from mmext.evaluation import FastCocoMetric
from mmext.evaluation.coco_classwise import HEADERS, classwise_table, per_class_ap
from tests.evaluation.test_coco_metric import CLASSES, _kwargs, _run, case  # noqa: F401  (case: a fixture)


def test_each_column_averages_its_slice_leaving_out_minus_one():
    precision = np.full((10, 101, 3, 4, 3), -1.0)  # [iou, recall, class, area, max dets]
    precision[:, :, 0, 0, -1] = np.linspace(0, 1, 10)[:, None]  # class 0: all areas, the last max-dets only
    precision[:, :, 0, 0, 0] = 0.9  # another max-dets setting: not used
    precision[0, :50, 1, 0, -1] = 0.5  # class 1: only at IoU 0.5, half the recall points
    precision[:, :, 1, 2, -1] = 0.25  # class 1, medium objects
    ap = per_class_ap(precision)
    assert ap.shape == (3, len(HEADERS) - 1)
    assert np.allclose(ap[0, :3], [0.5, 0.0, 5 / 9]) and np.isnan(ap[0, 3:]).all()
    assert ap[1, 0] == 0.5 and ap[1, 1] == 0.5 and np.isnan(ap[1, 2]) and ap[1, 4] == 0.25
    assert np.isnan(ap[1, [3, 5]]).all() and np.isnan(ap[2]).all()  # class 2: no ground truth anywhere


def test_the_table_is_the_one_mmdets_coco_metric_logs(case):  # noqa: F811
    logger = MMLogger.get_current_instance()
    messages = []
    handler = logging.Handler()
    handler.emit = lambda record: messages.append(record.getMessage())
    logger.addHandler(handler)
    try:
        _run(CocoMetric(**_kwargs(case)), case['samples'])
    finally:
        logger.removeHandler(handler)
    logged = [m for m in messages if 'mAP_50' in m]
    reference = FastCocoMetric(**_kwargs(case, backend='pycocotools'))
    _run(reference, case['samples'])
    ours = ['\n' + classwise_table(CLASSES, per_class_ap(reference.last_evals[kind].eval['precision']))
            for kind in ('bbox', 'segm')]
    assert logged == ours
    assert '| fish     | nan   | nan    | nan    | nan   | nan   | nan   |' in ours[0]  # no ground truth
