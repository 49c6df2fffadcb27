"""A corpus of bad input, generated (not committed): mutated COCO files and broken image files.

Every case starts from the valid :func:`~tests.datasets.coco_builder.base_coco` file and applies one defect kind
(or, for the ``combined`` cases, two or three at once) with its own seeded random choices, so the same seed
gives the same corpus. :func:`annotation_cases` yields the json cases, :func:`image_cases` the broken files.
"""
from __future__ import annotations

import copy
import json
import math
import random
from typing import Any, Callable, Iterator

from tests.datasets.coco_builder import base_coco
from tests.datasets.fuzz_regressions import regression_cases

Mutation = Callable[[dict, random.Random], Any]  # changes the dict in place, or returns raw text/bytes
_WEIRD = [None, True, -1, 0, 1.5, 'x', '', [], {}, [1, 2], {'a': 1}, math.nan, math.inf, 10 ** 30, -0.0]


def _ann(d: dict, rng: random.Random) -> dict:
    return rng.choice(d['annotations'])


def _img(d: dict, rng: random.Random) -> dict:
    return rng.choice(d['images'])


def invalid_json(d, rng):
    text = json.dumps(d)
    return rng.choice([
        text[:rng.randrange(1, len(text) - 1)],  # cut short
        text.replace(',', ';', 1), '', '   ', b'\xff\xfe\x00garbage', text.encode('utf-16')[:-3],
        '[' * 100000, '{"images": [1, 2,]}', text + '}', 'NaN', '{"a": 1' + '0' * 5000 + '}',
    ])


def not_coco(d, rng):
    choice = rng.randrange(4)
    if choice == 0:
        return json.dumps(rng.choice([[], [d], 'coco', 3, None, True]))
    key = rng.choice(['images', 'annotations', 'categories'])
    d[key] = rng.choice([{}, 'x', 1, None, {'0': d[key][0]}])


def missing_section(d, rng):
    for key in rng.sample(['images', 'annotations', 'categories'], rng.randint(1, 2)):
        del d[key]


def bad_categories(d, rng):
    choice = rng.randrange(7)
    cat = rng.choice(d['categories'])
    if choice == 0:
        cat['id'] = rng.choice(_WEIRD)
    elif choice == 1:
        cat['name'] = rng.choice([None, '', 3, ['cat']])
    elif choice == 2:
        d['categories'].append(dict(cat, name='other'))  # duplicate id
    elif choice == 3:
        d['categories'].append(dict(cat, id=77))  # duplicate name
    elif choice == 4:
        d['categories'] = []
    elif choice == 5:
        d['categories'].insert(0, dict(id=0, name='animal', supercategory='none'))  # placeholder
    else:
        d['categories'][rng.randrange(len(d['categories']))] = rng.choice(_WEIRD)


def duplicate_image_id(d, rng):
    img = _img(d, rng)
    d['images'].insert(rng.randrange(len(d['images']) + 1),
                       dict(img) if rng.random() < 0.5 else dict(img, file_name='other.jpg'))


def bad_image_entry(d, rng):
    img = _img(d, rng)
    choice = rng.randrange(4)
    if choice == 0:
        img['id'] = rng.choice(_WEIRD)
    elif choice == 1:
        img['file_name'] = rng.choice([None, '', 5, ['a.jpg']])
    elif choice == 2:
        img.pop(rng.choice(['id', 'file_name']))
    else:
        d['images'][d['images'].index(img)] = rng.choice(_WEIRD)


def duplicate_annotation_id(d, rng):
    a, b = rng.sample(d['annotations'], 2)
    b['id'] = a['id'] if rng.random() < 0.7 else rng.choice([None, 'x', 1.5])


def unknown_image(d, rng):
    _ann(d, rng)['image_id'] = rng.choice([999, -1, '1', None, [1], 1.0])


def unknown_category(d, rng):
    _ann(d, rng)['category_id'] = rng.choice([3, 999, '1', None, [1], 1.5, True])


def bad_bbox(d, rng):
    _ann(d, rng)['bbox'] = rng.choice([[1, 2, 3], [1, 2, 3, 4, 5], ['1', 2, 3, 4], None, {}, 'x', [[1, 2, 3, 4]],
                                       [True, 1, 2, 3], []])


def nonfinite_bbox(d, rng):
    ann = _ann(d, rng)
    ann['bbox'][rng.randrange(4)] = rng.choice([math.nan, math.inf, -math.inf, 10 ** 400])


def empty_bbox(d, rng):
    ann = _ann(d, rng)
    ann['bbox'][rng.choice([2, 3])] = rng.choice([0, -1, -0.0, -1e9])


def bbox_outside(d, rng):
    ann = _ann(d, rng)
    ann['bbox'][:2] = rng.choice([[100, 5], [5, 100], [-200, 5], [5, -50], [1e9, 1e9]])


def bbox_partly_outside(d, rng):
    ann = _ann(d, rng)
    ann['bbox'] = [rng.uniform(-20, 35), rng.uniform(-20, 25), rng.uniform(10, 60), rng.uniform(10, 60)]


def size_missing(d, rng):
    img = _img(d, rng)
    if rng.random() < 0.4:
        img.pop(rng.choice(['width', 'height']))
    else:
        img[rng.choice(['width', 'height'])] = rng.choice([0, None, -5, 'x', 0.0, math.nan, [40]])


def size_mismatch(d, rng):
    img = _img(d, rng)
    img['width'], img['height'] = rng.choice([(80, 60), (30, 40), (41, 30), (4000, 3000), (2, 2)])


def crowd_and_area(d, rng):
    ann = _ann(d, rng)
    if rng.random() < 0.5:
        ann['iscrowd'] = rng.choice([1, 2, -1, True, '1', None, [0]])
    else:
        ann['area'] = rng.choice([0, -5, None, 'x', math.nan, 10 ** 400])


def bad_segmentation(d, rng):
    ann = _ann(d, rng)
    ann['segmentation'] = rng.choice([
        [[1, 2, 3]], [[1, 2, 3, 4, 5, 6, 7]], [[1, 2, 'a', 4, 5, 6]], [1, 2, 3, 4, 5, 6], 3, 'poly',
        [[math.nan, 1, 2, 3, 4, 5]], dict(counts='xx'), dict(size=[30, 40]), dict(counts=[1, 2], size=[30, 40]),
        dict(counts=[1200], size=[3, 4]), dict(counts='abc', size='30x40'), [[]], [None], {'counts': None},
    ])


def annotation_entry(d, rng):
    choice = rng.randrange(3)
    if choice == 0:
        d['annotations'].append(rng.choice(_WEIRD))
    elif choice == 1:
        _ann(d, rng).pop(rng.choice(['image_id', 'category_id', 'bbox', 'id']))
    else:
        d['annotations'] = [a for a in d['annotations'] if a['image_id'] != 1]  # an image without annotations


def every_annotation_broken(d, rng):
    for ann in d['annotations']:
        rng.choice([empty_bbox, bbox_outside, unknown_image])(dict(d, annotations=[ann]), rng)


def random_leaf(d, rng):
    """Generic fuzz: replace any value anywhere with a value of another type."""
    node, key = _random_slot(d, rng)
    node[key] = rng.choice(_WEIRD)


def drop_random_key(d, rng):
    node, key = _random_slot(d, rng, dicts_only=True)
    del node[key]


def _random_slot(d: Any, rng: random.Random, dicts_only: bool = False) -> tuple[Any, Any]:
    slots = []

    def walk(node):
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
        for key, value in items:
            if isinstance(node, dict) or not dicts_only:
                slots.append((node, key))
            walk(value)
    walk(d)
    return rng.choice(slots)


KINDS: dict[str, Mutation] = {f.__name__: f for f in (
    invalid_json, not_coco, missing_section, bad_categories, duplicate_image_id, bad_image_entry,
    duplicate_annotation_id, unknown_image, unknown_category, bad_bbox, nonfinite_bbox, empty_bbox, bbox_outside,
    bbox_partly_outside, size_missing, size_mismatch, crowd_and_area, bad_segmentation, annotation_entry,
    every_annotation_broken, random_leaf, drop_random_key)}
_COMBINABLE = [k for k in KINDS if k not in ('invalid_json', 'not_coco', 'missing_section')]


def annotation_cases(per_kind: int = 12, combined: int = 60, seed: int = 0) -> Iterator[tuple[str, str, bytes]]:
    """(case id, kind, file content) for the regression cases the differential fuzzer found
    (:mod:`tests.datasets.fuzz_regressions`), ``per_kind`` cases of each kind and ``combined`` multi-defect
    cases."""
    yield from regression_cases()
    for kind, mutate in KINDS.items():
        for i in range(per_kind):
            yield f'{kind}-{i}', kind, _apply([mutate], random.Random(f'{seed}-{kind}-{i}'))
    for i in range(combined):
        rng = random.Random(f'{seed}-combined-{i}')
        kinds = rng.sample(_COMBINABLE, rng.randint(2, 3))
        yield f'combined-{i}', '+'.join(kinds), _apply([KINDS[k] for k in kinds], rng)


def _apply(mutations: list[Mutation], rng: random.Random) -> bytes:
    data = copy.deepcopy(base_coco())
    for mutate in mutations:
        try:
            raw = mutate(data, rng)
        except (TypeError, KeyError, IndexError, ValueError, AttributeError):
            continue  # an earlier defect of a combined case broke what this one mutates
        if raw is not None:
            return raw if isinstance(raw, bytes) else raw.encode()
    return json.dumps(data).encode()  # NaN / Infinity are written as json's common extension


IMAGE_KINDS = ('missing', 'zero_bytes', 'truncated', 'not_an_image', 'wrong_extension')


def break_image(path, kind: str) -> None:
    """Turn a good image file into a broken one of ``kind`` (in place)."""
    data = path.read_bytes()
    if kind == 'missing':
        path.unlink()
    elif kind == 'zero_bytes':
        path.write_bytes(b'')
    elif kind == 'truncated':
        path.write_bytes(data[:len(data) // 2])
    elif kind == 'not_an_image':
        path.write_text('<html>404 not found</html>')
    elif kind == 'wrong_extension':  # the other format's bytes under this name
        import cv2
        import numpy as np
        img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        other = '.jpg' if path.suffix == '.png' else '.png'
        path.write_bytes(cv2.imencode(other, img)[1].tobytes())
    else:
        raise ValueError(kind)
