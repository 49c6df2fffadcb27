"""The polygon rule for a chunk at once: what it clears passes the exact rule, and each annotation's text decodes
back to its polygons."""
import json

import msgspec
import numpy as np
import pytest

from mmext.datasets.checks.annotation_rules import segmentation_problem
from mmext.datasets.loading.polygon_rule import check_polygons, polygons_from_text


def _raw(polygons: list) -> list:
    return [msgspec.Raw(json.dumps(p).encode()) for p in polygons]


def _random_annotations(rng, n: int) -> tuple[list, np.ndarray, np.ndarray]:
    """n annotations of 1-3 polygons, most fine, some too short or far outside their image (ints and floats)."""
    anns, widths, heights = [], rng.integers(10, 80, n), rng.integers(10, 80, n)
    for w, h in zip(widths, heights):
        polys = []
        for _ in range(int(rng.integers(1, 4))):
            k = int(rng.choice([2, 3, 3, 4, 6]))
            xs, ys = rng.uniform(-1.2 * w, 2.2 * w, k), rng.uniform(-1.2 * h, 2.2 * h, k)
            if rng.random() < 0.7:
                xs, ys = rng.uniform(0, w, k), rng.uniform(0, h, k)
            points = np.stack([xs, ys], 1).ravel()
            polys.append(points.round().astype(int).tolist() if rng.random() < 0.3 else points.tolist())
        anns.append(polys)
    return anns, widths, heights


def test_what_the_fast_test_clears_passes_the_exact_rule():
    rng = np.random.default_rng(0)
    cleared = flagged = 0
    for _ in range(40):
        anns, widths, heights = _random_annotations(rng, 25)
        found = check_polygons([_raw(p) for p in anns], widths, heights)
        for polys, w, h, flag in zip(anns, widths, heights, found.flagged):
            problem = segmentation_problem(polys, int(w), int(h))
            assert flag or problem == '', (polys, w, h)
            cleared += not flag
            flagged += bool(problem)
    assert cleared > 300 and flagged > 100  # both kinds are common: the test can tell


def test_each_annotations_text_gives_back_its_polygons():
    rng = np.random.default_rng(1)
    anns, widths, heights = _random_annotations(rng, 30)
    found = check_polygons([_raw(p) for p in anns], widths, heights)
    back = [polygons_from_text(found.text[s:e]) for s, e in zip(found.start, found.end)]
    assert json.dumps(back) == json.dumps(anns)  # same values and types (1 is not 1.0)


@pytest.mark.parametrize('odd', [
    [[1, 2, 3, 4, [5, 6]]],  # a nested list: simdjson would flatten it
    [[1, 2, 3, 4, 5, '6']],  # a string
    [[1, 2, 3, 4, 5, 6, 7]],  # an odd polygon shifts every later x/y pair
    [[1, 2, 3, 4, 5, -9e9]],  # a coordinate equal to the sentinel
])
def test_a_chunk_the_fast_test_cannot_read_goes_to_the_exact_rule_whole(odd):
    anns = [[[1, 2, 5, 2, 5, 6]], odd, [[0, 0, 3, 0, 3, 3]]]
    found = check_polygons([_raw(p) for p in anns], np.full(3, 40), np.full(3, 30))
    assert found.flagged.tolist() == [True, True, True]
    assert polygons_from_text(found.text[found.start[1]:found.end[1]]) == odd


def test_no_polygons_at_all():
    found = check_polygons([], np.zeros(0, np.int64), np.zeros(0, np.int64))
    assert found.text == b'' and len(found.flagged) == 0
