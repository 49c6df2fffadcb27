"""The rules for a chunk of annotations at once: numpy clears what check_entry would keep unchanged, and check_entry
itself decides the rest, with the same verdicts, problems and corrected values."""
import copy
import json

import msgspec
import numpy as np
import pytest

from mmext.datasets.checks import file_rules
from mmext.datasets.checks.problems import Report
from mmext.datasets.loading import chunk_rules
from mmext.datasets.loading.chunk_rules import Annotation, Context, Index, check_chunk
from mmext.datasets.loading.columns import SEG_JSON, SEG_POLYGONS, box_int_bits
from mmext.datasets.loading.fast_reader import check_columns
from mmext.datasets.loading.polygon_rule import polygons_from_text
from tests.datasets.coco_builder import base_coco, many_annotations

GOOD = dict(id=1, image_id=2, category_id=5, bbox=[2.0, 3.0, 10.0, 8.0], area=80.0, iscrowd=0,
            segmentation=[[2.0, 3.0, 12.0, 3.0, 12.0, 11.0]])
# one annotation per rule the vectorised pass applies (and a few it passes on to check_entry)
VARIANTS = [
    {}, dict(bbox=[1, 2, 3, 4]), dict(bbox=[1, 2.5, 3, 4e0]), dict(bbox=[-0, 1, 2, 3]), dict(image_id=99),
    dict(image_id='2'), dict(category_id=5.0), dict(category_id=True), dict(category_id=7),
    dict(bbox=[50.0, 3.0, 10.0, 8.0]), dict(bbox=[35.0, 3.0, 10.0, 8.0]), dict(bbox=[30.5, 3.0, 10.0, 8.0]),
    dict(bbox=[2.0, -0.5, 10.0, 8.0]), dict(bbox=[2.0, 3.0, 0.0, 8.0]), dict(bbox=[2, 3, 2 ** 60, 8]),
    dict(bbox=[[2, 3], 10, 8]), dict(bbox=[2, 3, 10]), dict(bbox='box'), dict(bbox=None), dict(area=None),
    dict(area=2 ** 70), dict(area=-1), dict(area='80'), dict(iscrowd=1), dict(iscrowd=True), dict(iscrowd='0'),
    dict(iscrowd=None), dict(ignore=1), dict(segmentation=[]), dict(segmentation=None),
    dict(segmentation=[[1, 2, 3, 4]]), dict(segmentation=[[1, 2, 3, 4, 5, 'x']]),
    dict(segmentation=[[1, 2, 90, 4, 5, 6]]), dict(segmentation=dict(counts=[1200], size=[30, 40])),
]


def _context(data: dict, report: Report) -> Context:
    cats, dropped_cats = file_rules.check_categories(data['categories'], report)
    images, dropped_imgs = file_rules.check_images(data['images'], report, None, 'none')
    kept = [img for img in images.values() if img is not None]
    return Context(images, dropped_imgs, cats, dropped_cats, kept, np.array([i['width'] for i in kept]),
                   np.array([i['height'] for i in kept]), report)


def _segmentation(chunk, i: int):
    cols = chunk.columns
    if cols.seg_kind[i] == SEG_POLYGONS:
        return polygons_from_text(chunk.polygon_text[cols.seg_start[i]:cols.seg_end[i]])
    return msgspec.json.decode(chunk.json_texts[cols.seg_start[i]]) if cols.seg_kind[i] == SEG_JSON else []


def _assert_same_as_check_entry(variants: list[dict]) -> list[bool]:
    """check_chunk on annotations made of GOOD and ``variants`` gives check_entry's results; its verdicts."""
    entries = [{k: v for k, v in dict(GOOD, id=i, **variant).items() if v is not None}
               for i, variant in enumerate(variants)]
    exact_report, fast_report = Report('x.json'), Report('x.json')
    exact_ctx, fast_ctx = _context(base_coco(), exact_report), _context(base_coco(), fast_report)
    expected = copy.deepcopy(entries)
    kept = [file_rules.check_entry(i, e, exact_ctx.images, exact_ctx.cats, exact_ctx.dropped_imgs,
                                   exact_ctx.dropped_cats, exact_report) for i, e in enumerate(expected)]
    chunk = check_chunk(msgspec.json.decode(json.dumps(entries).encode(), type=list[Annotation]), 0, fast_ctx)
    assert chunk.kept.tolist() == kept
    assert [(p.kind, p.ann_id, p.detail) for p in fast_report.problems] == \
        [(p.kind, p.ann_id, p.detail) for p in exact_report.problems]
    cols = chunk.columns
    for i in np.flatnonzero(chunk.kept).tolist():
        want = expected[i]
        assert cols.bbox[i].tolist() == want['bbox'] and cols.bbox_int[i] == box_int_bits(want['bbox'])
        assert cols.image[i] == fast_ctx.row_of[want['image_id']]
        assert fast_ctx.category_ids[cols.category[i]] == want['category_id']
        assert cols.ignore[i] == (1 if want.get('iscrowd') or want.get('ignore') else 0)
        assert _segmentation(chunk, i) == (want.get('segmentation') or [])
    return kept


@pytest.mark.parametrize('variant', VARIANTS, ids=repr)
def test_each_rule_gives_check_entrys_verdict_problems_and_corrections(variant):
    """Between clean annotations (a chunk the vectorised pass reads whole)."""
    assert _assert_same_as_check_entry([{}, variant, {}, dict(bbox=[1.5, 2.0, 3.0, 4.0])])[0]


def test_a_chunk_of_every_rule_at_once():
    kept = _assert_same_as_check_entry(VARIANTS)
    assert 0 < sum(kept) < len(kept)


def test_a_clean_file_needs_the_exact_rule_only_for_notes(monkeypatch):
    content = json.dumps(many_annotations()).encode()
    calls = []
    original = chunk_rules._exact

    def counting(ann, i, index, chunk, ctx):
        calls.append(index)
        return original(ann, i, index, chunk, ctx)
    monkeypatch.setattr(chunk_rules, '_exact', counting)
    check_columns(content, 'x.json')
    assert calls == [6]  # the crowd region (a note), nothing else


def test_index_finds_ints_and_strings_but_not_lookalikes():
    images = Index([3, 'a7', 10 ** 20])  # a string id and one beyond int64: the slow path
    assert images([3, 'a7', 10 ** 20, 3.0, True, 'x', None]).tolist() == [0, 1, 2, -1, -1, -1, -1]
    cats = Index([5, 1, 2], int_only=True)  # plain ints: sorted keys, searchsorted
    assert cats([1, 2, 5, 4, 9]).tolist() == [1, 2, 0, -1, -1]
    assert cats(['1', 1.0, False]).tolist() == [-1, -1, -1]
    assert Index([])([1, 'a']).tolist() == [-1, -1]
