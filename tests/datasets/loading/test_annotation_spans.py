"""The annotations array found and cut in a file's bytes: the right array, every cut between two entries, and
the loader's result the same as check_coco's whatever the layout and whatever the strings hold."""
from __future__ import annotations

import json

import msgspec
import pytest

from mmext.datasets.loading import annotation_spans, fast_reader
from tests.datasets.coco_builder import base_coco, square
from tests.datasets.loading.test_fast_reader import assert_same_as_check_coco


def _coco(n: int = 30, **extra) -> dict:
    data = base_coco()
    for k in range(n):
        x, y = float(k % 30), float(k % 20)
        data['annotations'].append(dict(id=100 + k, image_id=2, category_id=(1, 2, 5)[k % 3], bbox=[x, y, 5.5, 4.0],
                                        area=22.0, iscrowd=0, segmentation=square(x, y, 5.5, 4.0), **extra))
    return data


def _ordered(data: dict, keys: list[str]) -> dict:
    return {k: data[k] for k in keys} | {k: v for k, v in data.items() if k not in keys}


LAYOUTS = {
    'images, annotations, categories': lambda d: _ordered(d, ['images', 'annotations', 'categories']),
    'annotations last': lambda d: _ordered(d, ['categories', 'images', 'annotations']),
    'annotations first': lambda d: _ordered(d, ['annotations', 'images', 'categories']),
    'keys after categories': lambda d: _ordered(d, ['images', 'annotations', 'categories']) | dict(
        info={'year': 2024}, licenses=[{'id': 1, 'name': 'x'}]),
    'images, categories, annotations': lambda d: _ordered(d, ['images', 'categories', 'annotations']),
    'strings holding the cut and end marks': lambda d: d | dict(annotations=[
        a | dict(caption='a},{"id": 1}, {b}]c},\n{') for a in d['annotations']]),
    'nested lists of objects in annotations': lambda d: d | dict(annotations=[
        a | dict(attributes=[{'a': 1}, {'b': [{'c': 2}]}]) for a in d['annotations']]),
    'an "annotations" key nested before the real one': lambda d: d | dict(  # info is the file's first key
        info={'annotations': [{'id': 1, 'image_id': 1}], 'note': '"annotations": ['}),
    'no annotations': lambda d: d | dict(annotations=[]),
}


@pytest.mark.parametrize('indent', [None, 2])
@pytest.mark.parametrize('name', list(LAYOUTS))
def test_the_array_is_found_and_cut_between_entries(name, indent, monkeypatch):
    monkeypatch.setattr(annotation_spans, 'PIECE_BYTES', 300)  # a cut every annotation or two
    data = LAYOUTS[name](_coco())
    raw = json.dumps(data, indent=indent).encode()
    found = annotation_spans.locate(raw, fast_reader._Rest)
    assert found is not None
    rest, start, end = found
    assert json.loads(raw[start:end]) == data['annotations']
    assert len(rest.images) == len(data['images'])
    pieces = list(annotation_spans.decode_pieces(raw, start, end, fast_reader._ANNOTATIONS))
    assert [a.id for piece in pieces for a in piece] == [a['id'] for a in data['annotations']]
    assert len(pieces) >= min(len(data['annotations']), 10)
    assert assert_same_as_check_coco(raw)


def test_a_list_of_objects_after_the_array_is_not_swallowed(monkeypatch):
    """The end found first is that of the licenses: the pieces tell, and the two-scan way gives the result."""
    monkeypatch.setattr(annotation_spans, 'PIECE_BYTES', 300)
    data = _ordered(_coco(), ['images', 'categories', 'annotations']) | dict(licenses=[{'id': 1}, {'id': 2}])
    raw = json.dumps(data).encode()
    _, start, end = annotation_spans.locate(raw, fast_reader._Rest)
    assert raw[end:].startswith(b'}')  # the licenses' end
    with pytest.raises(annotation_spans.CutFailed):
        list(annotation_spans.decode_pieces(raw, start, end, fast_reader._ANNOTATIONS))
    assert assert_same_as_check_coco(raw)


def test_a_file_that_only_looks_like_coco_goes_the_long_way(monkeypatch):
    """No top-level annotations key: the text search finds the nested one and the checks refuse it."""
    data = _coco()
    data['info'] = {'annotations': data.pop('annotations')}
    raw = json.dumps(data).encode()
    assert annotation_spans.locate(raw, fast_reader._Rest) is None
    assert fast_reader.check_columns(raw, 'x.json') is None  # check_coco reports the missing list


def test_a_cut_that_does_not_decode_is_moved_on(monkeypatch):
    monkeypatch.setattr(annotation_spans, 'PIECE_BYTES', 50)
    data = LAYOUTS['nested lists of objects in annotations'](_coco(5))
    raw = json.dumps(data).encode()
    _, start, end = annotation_spans.locate(raw, fast_reader._Rest)
    tried = []
    decoder = msgspec.json.Decoder(list[fast_reader.Annotation])

    class Counting:
        def decode(self, piece):
            tried.append(piece)
            return decoder.decode(piece)
    pieces = list(annotation_spans.decode_pieces(raw, start, end, Counting()))
    assert sum(map(len, pieces)) == len(data['annotations'])
    assert len(tried) > len(pieces)  # some cuts fell inside an annotation's list of objects


def test_an_entry_that_is_not_an_object_fails_the_cut():
    data = base_coco()
    data['annotations'].insert(1, [1, 2])
    raw = json.dumps(data).encode()
    _, start, end = annotation_spans.locate(raw, fast_reader._Rest)
    with pytest.raises(annotation_spans.CutFailed, match='annotations'):
        list(annotation_spans.decode_pieces(raw, start, end, fast_reader._ANNOTATIONS))
