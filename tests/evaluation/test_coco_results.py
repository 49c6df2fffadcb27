"""The results files (<prefix>.bbox.json, .segm.json): byte for byte what mmdet's CocoMetric writes."""
import copy

import numpy as np
import pytest
from mmdet.evaluation.metrics import CocoMetric
from pycocotools import mask as mask_utils

from mmext.evaluation.coco_results import json_content, write_results

CAT_IDS = [3, 7, 11]


def _results(with_masks: bool, mask_scores: bool, img_ids: bool = True) -> list:
    """Three images' results as CocoMetric.process stores them (one without detections)."""
    rng = np.random.default_rng(0)
    results = []
    for idx, n in enumerate([5, 0, 3]):
        xy = rng.uniform(0, 50, (n, 2))
        boxes = np.concatenate([xy, xy + rng.uniform(1, 30, (n, 2))], 1).astype(np.float32)
        result = dict(bboxes=boxes, scores=rng.random(n).astype(np.float32), labels=rng.integers(0, 3, n))
        if img_ids:
            result['img_id'] = 100 + idx
        if with_masks:
            result['masks'] = [mask_utils.encode(np.asfortranarray((rng.random((40, 60)) < 0.2).astype(np.uint8)))
                               for _ in range(n)]
            if mask_scores:
                result['mask_scores'] = rng.random(n).astype(np.float32)
        results.append(result)
    return results


@pytest.mark.parametrize('with_masks, mask_scores, img_ids', [(False, False, True), (True, False, True),
                                                              (True, True, True), (False, False, False)],
                         ids=['bbox', 'segm', 'segm with mask scores', 'no img_id'])
def test_files_are_mmdets_byte_for_byte(tmp_path, with_masks, mask_scores, img_ids):
    results = _results(with_masks, mask_scores, img_ids)
    metric = CocoMetric(ann_file=None)
    metric.cat_ids = CAT_IDS
    theirs = metric.results2json(copy.deepcopy(results), str(tmp_path / 'mmdet'))  # mmdet decodes the masks in place
    ours = write_results(json_content(results, CAT_IDS), str(tmp_path / 'mmext'))
    assert ours.keys() == theirs.keys() == ({'bbox', 'proposal', 'segm'} if with_masks else {'bbox', 'proposal'})
    for kind in ours:
        assert open(ours[kind], 'rb').read() == open(theirs[kind], 'rb').read(), kind
    assert ours['proposal'] == ours['bbox']


def test_the_results_are_left_unchanged():
    results = _results(True, True)
    before = copy.deepcopy(results)
    content = json_content(results, CAT_IDS)
    assert all(isinstance(m['counts'], bytes) for r in results for m in r['masks'])  # still as pycocotools made them
    assert [[m['counts'] for m in r['masks']] for r in results] == [[m['counts'] for m in r['masks']] for r in before]
    assert content['proposal'] is content['bbox'] and len(content['segm']) == len(content['bbox']) == 8
