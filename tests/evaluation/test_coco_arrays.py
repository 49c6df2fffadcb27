"""Ground truth and detections as columns: the values pycocotools holds after mmdet's json round trip, and what the
columns refuse."""
import json

import numpy as np
import pytest
from pycocotools import mask as mask_utils

from mmext.evaluation.coco_arrays import Unsupported, detections, ground_truth, mask_areas
from mmext.evaluation.coco_results import json_content
from tests.evaluation.test_array_cocoeval import H, W, _coco, make_case


def test_what_the_arrays_cannot_hold_is_refused():
    dataset, preds = make_case(0, False)
    cat_ids = [c['id'] for c in dataset['categories']]
    bad = [dict(p, scores=np.full(len(p['scores']), np.nan, np.float32)) for p in preds]
    with pytest.raises(Unsupported, match='scores'):
        detections(bad, cat_ids, False)
    polygons = [dict(p, masks=[[0.0, 0.0, 5.0, 0.0, 5.0, 5.0]] * len(p['labels'])) for p in preds]
    with pytest.raises(Unsupported, match='compressed RLEs'):
        detections(polygons, cat_ids, True)
    twice = dict(dataset, annotations=dataset['annotations'] + dataset['annotations'][:1])
    with pytest.raises(Unsupported, match='not unique'):
        ground_truth(_coco(twice))


@pytest.mark.parametrize('segm', [False, True], ids=['bbox', 'segm'])
def test_detections_hold_what_load_res_holds_after_the_json_round_trip(segm):
    dataset, preds = make_case(3, segm)
    for p in preds:  # corners that float32 cannot hold exactly: the differences are taken in float64
        p['bboxes'] = p['bboxes'] + np.float32(0.1)
    cat_ids = [c['id'] for c in dataset['categories']]
    kind = 'segm' if segm else 'bbox'
    results = json.loads(json.dumps(json_content(preds, cat_ids)[kind]))  # what mmdet writes and loadRes reads
    if segm:
        for r in results:
            r.pop('bbox')  # mmdet's segm results have one; loadRes recomputes it from the mask
    loaded = _coco(dataset).loadRes(results)
    reference = [loaded.anns[i] for i in sorted(loaded.anns)]
    ours = detections(preds, cat_ids, segm)
    assert len(ours) == len(reference) > 20
    assert ours.ids.tolist() == [a['id'] for a in reference]
    assert ours.image_ids.tolist() == [a['image_id'] for a in reference]
    assert ours.category_ids.tolist() == [a['category_id'] for a in reference]
    assert ours.scores.tolist() == [a['score'] for a in reference]
    assert ours.areas.tolist() == [float(a['area']) for a in reference]
    if not segm:
        assert ours.boxes.tolist() == [a['bbox'] for a in reference]
    assert not ours.crowd.any()


def test_mask_areas_of_more_than_255_masks():
    rng = np.random.default_rng(0)
    masks = [mask_utils.encode(np.asfortranarray((rng.random((H, W)) < 0.3).astype(np.uint8))) for _ in range(600)]
    assert mask_areas(masks).tolist() == [float(mask_utils.area(m)) for m in masks]
    assert mask_areas([]).shape == (0,)


def test_ground_truth_crowd_comes_from_iscrowd_and_masks_from_the_coco_object():
    dataset, _ = make_case(1, True)
    for ann in dataset['annotations']:
        ann['ignore'] = 1 - ann['iscrowd']  # pycocotools overwrites 'ignore' with iscrowd
    coco = _coco(dataset)
    gts = ground_truth(coco)
    assert gts.crowd.tolist() == [bool(a['iscrowd']) for a in dataset['annotations']]
    assert gts.ids.tolist() == [a['id'] for a in dataset['annotations']]
    assert gts.masks_of() == [coco.annToRLE(a) for a in dataset['annotations']]
    assert gts.masks_of() is gts.masks_of()  # made once
    string_ids = dict(dataset, annotations=[dict(a, image_id=str(a['image_id'])) for a in dataset['annotations']])
    with pytest.raises(Unsupported, match='image ids are not all integers'):
        ground_truth(_coco(string_ids))
