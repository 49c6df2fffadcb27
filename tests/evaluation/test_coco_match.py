"""pycocotools' matching over all groups at once: its box IoU bit for bit, its grouping and order, and pairs made a
few at a time."""
import numpy as np
import pytest
from pycocotools import mask as mask_utils

from mmext.evaluation import coco_match
from mmext.evaluation.coco_arrays import Objects
from mmext.evaluation.coco_match import box_iou, group
from tests.evaluation.test_array_cocoeval import _check_cases


@pytest.mark.parametrize('segm', [False, True], ids=['bbox', 'segm'])
def test_pairs_made_a_few_at_a_time_give_the_same_numbers(segm, monkeypatch):
    monkeypatch.setattr(coco_match, 'PAIRS_AT_ONCE', 5)  # a group's pairs split over several chunks
    _check_cases(range(500, 530), segm)


def test_box_iou_is_pycocotools_bit_for_bit():
    rng = np.random.default_rng(0)
    for integer_grid in (True, False):
        dt = rng.uniform(0, 30, (400, 4))
        gt = rng.uniform(0, 30, (300, 4))
        if integer_grid:  # equal and touching boxes, zero-area overlaps
            dt, gt = dt.round(), gt.round()
        crowd = rng.random(len(gt)) < 0.3
        reference = np.asarray(mask_utils.iou(dt, gt, crowd.astype(np.uint8).tolist()))
        d, g = np.meshgrid(np.arange(len(dt)), np.arange(len(gt)), indexing='ij')
        ours = box_iou(dt[d.ravel()], gt[g.ravel()], crowd[g.ravel()]).reshape(len(dt), len(gt))
        assert np.array_equal(ours, reference)
        assert (ours == 0).any() and (ours > 0).any()


def _objects(image_ids, category_ids, scores=None) -> Objects:
    n = len(image_ids)
    return Objects(ids=np.arange(1, n + 1), image_ids=np.asarray(image_ids), category_ids=np.asarray(category_ids),
                   boxes=np.zeros((n, 4)), areas=np.ones(n), crowd=np.zeros(n, bool),
                   scores=None if scores is None else np.asarray(scores, np.float64))


def test_detections_are_grouped_by_image_and_category_best_score_first_ties_in_results_order():
    dts = _objects([7, 3, 7, 7, 3, 9, 7], [2, 2, 2, 1, 2, 2, 2], [0.5, 0.9, 0.8, 0.1, 0.9, 0.4, 0.5])
    groups = group(dts, np.array([3, 7]), np.array([1, 2]), True, dts.scores)  # image 9 is not evaluated
    # groups: image index * 2 + category index; (3, 2) -> 1, (7, 1) -> 2, (7, 2) -> 3
    assert groups.keep.tolist() == [1, 4, 3, 2, 0, 6]
    assert groups.group.tolist() == [1, 1, 2, 3, 3, 3] and groups.start.tolist() == [0, 0, 2, 3, 6]
    assert groups.image.tolist() == [0, 0, 1, 1, 1, 1] and groups.category.tolist() == [1, 1, 0, 1, 1, 1]
    limited = group(dts, np.array([3, 7]), np.array([1, 2]), True, dts.scores, limit=2)
    assert limited.keep.tolist() == [1, 4, 3, 2, 0] and limited.start.tolist() == [0, 0, 2, 3, 5]


def test_without_categories_an_images_objects_follow_the_given_category_order():
    """pycocotools (useCats=0) gathers an image's ground truth category by category, in params.catIds' order."""
    gts = _objects([1, 1, 1, 1], [5, 2, 5, 9])
    groups = group(gts, np.array([1]), np.array([5, 2]), False, None)  # category 9 is not evaluated
    assert groups.keep.tolist() == [0, 2, 1] and groups.category.tolist() == [0, 0, 0]


@pytest.mark.parametrize('limit', [None, 1])
def test_nothing_to_group(limit):
    groups = group(_objects([], []), np.array([1, 2]), np.array([1]), True, None, limit)
    assert len(groups.keep) == 0 and groups.start.tolist() == [0, 0, 0]
