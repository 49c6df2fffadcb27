"""The fast loader (msgspec + numpy) finds what check_coco finds and keeps what it keeps, case by case."""
from __future__ import annotations

import copy
import json
import math

import pytest

from mmext.datasets.loading import annotation_spans, fast_reader
from mmext.datasets.checks.file_rules import check_coco
from mmext.datasets.loading.columns import CocoColumns, from_checked
from mmext.datasets.loading.fast_reader import check_columns
from mmext.datasets.loading.image_records import ImageRecords, RecordFormat
from tests.datasets.coco_builder import HEIGHT, WIDTH, base_coco, many_annotations
from tests.datasets.fuzz_corpus import annotation_cases


def _records(columns: CocoColumns) -> str:
    labels = columns.labels({cat['id']: label for label, cat in enumerate(columns.categories)})
    records = ImageRecords(columns, labels, RecordFormat('img/', with_masks=columns.has_segmentation))
    return json.dumps([records[i] for i in range(len(records))])  # json tells 1 from 1.0 and True from 1


def _summary(columns: CocoColumns) -> tuple:
    problems = [(p.kind, p.detail, p.image_id, p.ann_id, p.category_id, p.file_name, p.dropped_with)
                for p in columns.report.problems]
    return (problems, columns.categories, columns.ann_counts, columns.has_segmentation,
            columns.report.num_images, columns.report.num_annotations)


def assert_same_as_check_coco(content: bytes) -> bool:
    """The fast loader's result equals check_coco's (when it takes the file); whether it took it."""
    fast = check_columns(content, 'x.json')
    if fast is None:
        return False
    exact = from_checked(check_coco(json.loads(content), 'x.json'))
    assert _summary(fast) == _summary(exact)
    if not fast.report.fatal:
        assert _records(fast) == _records(exact)
    return True


def test_every_corpus_case_the_fast_loader_takes_matches_check_coco():
    taken = sum(assert_same_as_check_coco(content) for _, _, content in annotation_cases())
    assert taken >= 200  # the rest (NaN, entries that are not objects, ...) go to check_coco itself


def _edit(data: dict, ann_id: int, **values) -> dict:
    data = copy.deepcopy(data)
    next(a for a in data['annotations'] if a['id'] == ann_id).update(values)
    return data


CASES = {
    'clean': lambda d: d,
    'integer boxes and polygons': lambda d: _edit(d, 101, bbox=[1, 2, 3, 4], segmentation=[[1, 2, 4, 2, 4, 6]]),
    'mixed int/float box': lambda d: _edit(d, 102, bbox=[1, 2.5, 3, 4.0]),
    'string image ids': lambda d: json.loads(json.dumps(d).replace('"image_id": 2', '"image_id": "2"')
                                             .replace('"id": 2, "file_name"', '"id": "2", "file_name"')),
    'polygon point beyond 2 x the short side, within 2 x the width': lambda d: _edit(
        d, 103, segmentation=[[5, 5, 79, 5, 79, 10]]),
    'polygon point beyond 2 x the width': lambda d: _edit(d, 103, segmentation=[[5, 5, 81, 5, 79, 10]]),
    'polygon point slightly negative': lambda d: _edit(d, 104, segmentation=[[-1, 5, 9, 5, 9, 10]]),
    'polygon of 4 numbers': lambda d: _edit(d, 105, segmentation=[[1, 2, 3, 4], [1, 2, 3, 4, 5, 6]]),
    'odd polygon': lambda d: _edit(d, 106, segmentation=[[1, 2, 3, 4, 5, 6, 7]]),
    'a coordinate equal to the sentinel': lambda d: _edit(d, 107, segmentation=[[1, 2, 3, 4, 5, -9e9]]),
    'nested list in a polygon': lambda d: _edit(d, 108, segmentation=[[1, 2, 3, 4, [5, 6]]]),  # flat: 6 numbers
    # a nested list in one polygon and a number in place of a polygon elsewhere: the '[' count alone balances
    'nested list and a bare number': lambda d: _edit(_edit(d, 108, segmentation=[[1, 2, 3, 4, 5, [6, 7]]]), 109,
                                                      segmentation=[5, [1, 2, 3, 4, 5, 6]]),
    'string in a polygon': lambda d: _edit(d, 110, segmentation=[[1, 2, 3, 4, 5, '6']]),
    'empty polygon list, null and {}': lambda d: _edit(_edit(_edit(d, 111, segmentation=[]), 112,
                                                             segmentation=None), 113, segmentation={}),
    'no segmentation key anywhere': lambda d: {**d, 'annotations': [
        {k: v for k, v in a.items() if k != 'segmentation'} for a in d['annotations']]},
    'RLE on a non-crowd annotation': lambda d: _edit(d, 114, segmentation=dict(counts=[WIDTH * HEIGHT],
                                                                            size=[HEIGHT, WIDTH])),
    'ignore key': lambda d: _edit(_edit(d, 115, ignore=1), 116, ignore=0),
    'box partly outside within the tolerance': lambda d: _edit(d, 117, bbox=[-0.5, 0.0, 5.0, 5.0]),
    'duplicate and missing ids': lambda d: _edit(_edit(d, 118, id=101), 119, id=None),
    'huge integer id and area': lambda d: _edit(_edit(d, 120, id=10 ** 30), 121, area=10 ** 30),
    'iscrowd absent and false': lambda d: _edit({**d, 'annotations': [
        {k: v for k, v in a.items() if k != 'iscrowd'} for a in d['annotations']]}, 122, iscrowd=False),
    'image size as float': lambda d: {**d, 'images': [dict(img, width=WIDTH + 0.4) for img in d['images']]},
    'duplicate image entry': lambda d: {**d, 'images': d['images'] + [dict(d['images'][0])]},
    'boxes written with exponents and -0': lambda d: _edit(_edit(d, 101, bbox=[1e1, 2.5e0, 3, 4E0]), 102,
                                                            bbox=[-0, 1, 2.0, 3]),
    'nested list in a box': lambda d: _edit(d, 103, bbox=[[1, 2], 3, 4]),  # flat: 4 numbers
    'boxes of 3 and 5 numbers': lambda d: _edit(_edit(d, 104, bbox=[1, 2, 3]), 105, bbox=[1, 2, 3, 4, 5]),
    'box holding true, null or a string': lambda d: _edit(_edit(_edit(d, 106, bbox=[True, 2, 3, 4]), 107,
                                                                bbox=[1, None, 3, 4]), 108, bbox=[1, 2, '3', 4]),
    'box equal to the separator number': lambda d: _edit(d, 109, bbox=[1, 2, 3, -99999999]),
    'box missing or not a list': lambda d: _edit(_edit(d, 110, bbox=5), 111, bbox=None),
    'pretty-printed': lambda d: d,  # written with indent below
}


@pytest.mark.parametrize('name', list(CASES))
def test_fast_loader_matches_check_coco_across_chunks(name, monkeypatch):
    monkeypatch.setattr(fast_reader, 'CHUNK', 7)  # annotations decoded 7 at a time (when the array is not cut)
    monkeypatch.setattr(annotation_spans, 'PIECE_BYTES', 600)  # a piece of about 3 annotations
    data = CASES[name](many_annotations())
    content = json.dumps(data, indent=1 if name == 'pretty-printed' else None).encode()
    assert assert_same_as_check_coco(content)


def test_files_msgspec_refuses_go_to_check_coco():
    data = base_coco()
    data['annotations'][0]['bbox'][0] = math.nan
    assert check_columns(json.dumps(data).encode(), 'x.json') is None  # NaN: only json reads it
    data = base_coco()
    data['annotations'].append([1, 2])
    assert check_columns(json.dumps(data).encode(), 'x.json') is None
    data = base_coco()
    data.pop('annotations')
    assert check_columns(json.dumps(data).encode(), 'x.json') is None
