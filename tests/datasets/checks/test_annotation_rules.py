"""The rules for one annotation: the box clip tolerance, iscrowd values, polygons and RLEs (strings decoded as
pycocotools does)."""
import numpy as np
import pytest
from pycocotools import mask as mask_utils

from mmext.datasets.checks.annotation_rules import (CLIP_TOLERANCE, check_annotation, rle_string_counts,
                                                    segmentation_problem)
from mmext.datasets.checks.problems import Report

IMG = dict(id=1, file_name='a.jpg', width=40, height=30)


def _check(**ann):
    ann = dict(dict(id=5, image_id=1, category_id=1, bbox=[2.0, 2.0, 10.0, 10.0], area=100.0, iscrowd=0), **ann)
    report = Report('x.json')
    kept = check_annotation(ann, IMG, report)
    return kept, ann, [(p.kind, p.detail) for p in report.problems]


@pytest.mark.parametrize('x, reported', [(-CLIP_TOLERANCE / 2, False), (-CLIP_TOLERANCE, False),
                                         (-2 * CLIP_TOLERANCE, True)])
def test_a_box_sticking_out_is_clipped_and_only_reported_beyond_the_tolerance(x, reported):
    kept, ann, problems = _check(bbox=[x, 5.0, 10.0, 4.0])
    assert kept and ann['bbox'] == [0, 5.0, 10.0 + x, 4.0]
    assert [k for k, _ in problems] == (['bbox_partly_outside'] if reported else [])


@pytest.mark.parametrize('value, fixed, kind', [
    (1, 1, 'crowd'), (0, 0, None), (True, 1, 'bad_iscrowd'), (False, 0, 'bad_iscrowd'), ('0', 0, 'bad_iscrowd'),
    ('false', 0, 'bad_iscrowd'), ('yes', 1, 'bad_iscrowd'), (2, 1, 'bad_iscrowd'), (None, 0, 'bad_iscrowd'),
])
def test_iscrowd_becomes_0_or_1_by_truth_value(value, fixed, kind):
    kept, ann, problems = _check(iscrowd=value)
    assert kept and ann['iscrowd'] == fixed and [k for k, _ in problems] == ([kind] if kind else [])


def test_a_dropped_annotation_is_reported_with_its_ids_and_left_as_it_was():
    kept, ann, problems = _check(bbox=[50.0, 2.0, 5.0, 5.0], id=[7])
    assert not kept and ann['bbox'] == [50.0, 2.0, 5.0, 5.0]
    report = Report('x.json')
    check_annotation(dict(ann), IMG, report)
    (problem,) = report.problems
    assert (problem.kind, problem.ann_id, problem.image_id, problem.file_name) == ('bbox_outside', None, 1, 'a.jpg')


@pytest.mark.parametrize('seg, why', [
    ([[0, 0, 10, 0, 10, 10]], ''),
    ([[-40, -30, 80, 0, 80, 60]], ''),  # within [-w, 2w] x [-h, 2h]
    ([[0, 0, 81, 0, 10, 10]], 'reaches far outside the 40x30 image'),
    ([[0, -31, 10, 0, 10, 10]], 'reaches far outside'),
    ([[0, 0, 10, 0, 10]], 'a polygon has 5 numbers'),
    ([[0, 0, 10, 0, 10, float('inf')]], 'NaN or infinity'),
    ([[0, 0, 10, 0, 10, None]], 'not a number'),
    ([(0, 0, 10, 0, 10, 10)], 'holds a tuple where a polygon list belongs'),
    (dict(counts=[1200], size=[30, 40]), ''),
    (dict(counts=[600, 600], size=[40, 30]), "not the image's [height, width] = [30, 40]"),
    (dict(counts=[600, 500], size=[30, 40]), 'add up to 1100, not height*width = 1200'),
    (dict(counts=[1300, -100], size=[30, 40]), 'non-negative integers'),
    (dict(counts=[600.0, 600], size=[30, 40]), 'non-negative integers'),
    (dict(counts='not rle', size=[30, 40]), 'compressed string or a list'),
    ('polygon', 'segmentation is a str'),
])
def test_segmentation_rules(seg, why):
    found = segmentation_problem(seg, 40, 30)
    assert (why in found) if why else found == ''


def _runs(mask: np.ndarray) -> list[int]:
    """Run lengths of a mask in COCO's order (column-major, starting with zeros)."""
    flat = mask.ravel(order='F')
    changes = np.flatnonzero(np.diff(flat)) + 1
    runs = np.diff(np.concatenate([[0], changes, [flat.size]])).tolist()
    return ([0] + runs) if flat[0] else runs


def test_compressed_rle_strings_decode_to_pycocotools_run_lengths():
    rng = np.random.default_rng(0)
    for _ in range(200):
        h, w = rng.integers(1, 60, 2)
        mask = (rng.random((h, w)) < rng.random()).astype(np.uint8)
        if rng.random() < 0.3:  # long runs: counts of several 5-bit groups
            mask[:] = 0
            mask[h // 3:, w // 2:] = 1
        rle = mask_utils.encode(np.asfortranarray(mask))
        counts = rle_string_counts(rle['counts'].decode())
        assert counts == _runs(mask)
        assert segmentation_problem(dict(size=[int(h), int(w)], counts=rle['counts'].decode()), w, h) == ''


@pytest.mark.parametrize('text', ['0`', '\x7f', '@'])
def test_malformed_rle_strings_are_refused(text):
    """Cut short (the last group says more follows), a character outside the alphabet, a negative run."""
    assert rle_string_counts(text) is None
