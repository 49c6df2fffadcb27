"""COCO evaluation of the predictions, keeping the precision array (IoU x recall x class x area x max dets)."""
from __future__ import annotations

import contextlib
import io

import numpy as np

from mmext.analysis.inputs import GroundTruth, Predictions

AREAS = ('all', 'small', 'medium', 'large')


def precision_array(gt: GroundTruth, preds: Predictions) -> np.ndarray:
    """pycocotools' ``eval['precision']`` for the bbox predictions, by mmext's array evaluation
    (:class:`~mmext.evaluation.array_cocoeval.ArrayCOCOeval`, bit-identical to pycocotools; pycocotools itself
    for input the arrays cannot hold).

    Returns:
        An array (10 IoUs 0.5:0.95, 101 recall points, classes in ``gt.cat_ids`` order, 4 areas, 3 max dets);
        -1 where a class has no ground truth.
    """
    from mmext.evaluation.array_cocoeval import ArrayCOCOeval
    from mmext.evaluation.coco_arrays import Objects, Unsupported, ground_truth
    n = len(preds)
    dts = Objects(ids=np.arange(1, n + 1, dtype=np.int64), image_ids=preds.image_ids,
                  category_ids=preds.category_ids, boxes=preds.boxes, areas=preds.boxes[:, 2] * preds.boxes[:, 3],
                  crowd=np.zeros(n, bool), scores=preds.scores)
    try:
        evaluator = ArrayCOCOeval(ground_truth(gt.coco), dts, 'bbox', gt.coco.getImgIds(), gt.cat_ids)
    except Unsupported:
        evaluator = _pycocotools(gt, preds)
    with contextlib.redirect_stdout(io.StringIO()):
        evaluator.evaluate()
        evaluator.accumulate()
    return evaluator.eval['precision']


def _pycocotools(gt: GroundTruth, preds: Predictions):
    from pycocotools.cocoeval import COCOeval
    results = [dict(image_id=int(i), category_id=int(c), bbox=b, score=float(s))
               for i, c, b, s in zip(preds.image_ids, preds.category_ids, preds.boxes.tolist(), preds.scores)]
    with contextlib.redirect_stdout(io.StringIO()):
        dt = gt.coco.loadRes(results) if results else _empty_results(gt)
    return COCOeval(gt.coco, dt, 'bbox')


def _empty_results(gt: GroundTruth):
    from pycocotools.coco import COCO
    dt = COCO()
    dt.dataset = dict(images=gt.coco.dataset['images'], categories=gt.coco.dataset['categories'], annotations=[])
    dt.createIndex()
    return dt


def mean_ap(precision: np.ndarray, iou: int | slice = slice(None), area: int = 0,
            klass: int | slice = slice(None)) -> float:
    """pycocotools' ``summarize`` average over the entries that have ground truth (NaN when none has)."""
    values = precision[iou, :, klass, area, -1]
    values = values[values > -1]
    return float(np.mean(values)) if values.size else float('nan')
