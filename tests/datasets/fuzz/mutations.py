"""Structure-level mutations: changes to a parsed COCO file (a dict), before it is written out as text.

A mutation changes the dict in place and may return the whole file's text instead (an empty or non-object
file). Values a ``json.dumps`` cannot write (``1e400``, 100,000 levels of nesting, a duplicate key) go in as a
:func:`raw` placeholder that :func:`tests.datasets.fuzz.generate.write` replaces by the text itself.
"""
from __future__ import annotations

import math
import random
from typing import Any, Callable

from tests.datasets.coco_builder import HEIGHT, WIDTH
from tests.datasets.fuzz.seeds import INSIDE_NAMES, OUTSIDE_NAMES
from tests.datasets.fuzz_corpus import KINDS as CORPUS_KINDS

Mutation = Callable[[dict, random.Random], Any]
RAW_MARK = '\x00raw:'
IMG_DIR_MARK = '@IMG_DIR@'  # replaced by the image folder's absolute path (an absolute file_name inside it)


def raw(text: str) -> str:
    """A placeholder for JSON text that is written as it is (see the module docstring)."""
    return f'{RAW_MARK}{text}\x00'


EDGE_NUMBERS = (
    '0', '-0', '-0.0', '0.0', '1', '-1', '0.5', '1.4999999999999999', '1e-400', '4.9e-324', '2.2250738585072014e-308',
    '1.7976931348623157e308', '1.7976931348623159e308', '1e400', '-1e400', '1E+400', '2e308', '9007199254740992',
    '9007199254740993', '9223372036854775807', '9223372036854775808', '-9223372036854775808', '-9223372036854775809',
    '18446744073709551616', '1' + '0' * 30, '1' * 4400, '1e16', '1.5e3', '3.0000000000000004', 'NaN', 'Infinity',
    '-Infinity', '1e-7', '99999999', '-99999999', '-9e9', '2147483648', '40', '30', '39.99999999999999',
)
WEIRD_VALUES = (None, True, False, -1, 0, 1.5, 'x', '', [], {}, [1, 2], {'a': 1}, math.nan, math.inf, 10 ** 30,
                -0.0, [[1]], [None], '1', ' ', 2 ** 63, -2 ** 63 - 1)
WEIRD_STRINGS = ('', ' ', '\t', 'ünï', '日本語', '🐱‍👤', 'a\u0301', '\u202eevil', 'x' * 10000, '\ud800', '\udcff',
                 'a\x00b', '\x7f', '\\', '"', 'null', '../x', 'a/b', 'é'.encode().decode('latin-1'), '\ufeff',
                 '\u2028', 'cat ', 'CAT')
DEPTHS = (2, 10, 100, 500, 900, 990, 995, 998, 1000, 1005, 1010, 1500, 100000)


def _leaves(node: Any, numbers_only: bool = False) -> list[tuple[Any, Any]]:
    """(container, key) of every leaf (or every number) under ``node``."""
    found, stack = [], [node]
    while stack:
        item = stack.pop()
        pairs = item.items() if isinstance(item, dict) else enumerate(item) if isinstance(item, list) else ()
        for key, value in pairs:
            if isinstance(value, (dict, list)) and value:
                stack.append(value)
            elif not numbers_only or (type(value) in (int, float)):
                found.append((item, key))
    return found


def _entry(d: dict, rng: random.Random, section: str) -> dict | None:
    entries = [e for e in d.get(section) or [] if isinstance(e, dict)] if isinstance(d.get(section), list) else []
    return rng.choice(entries) if entries else None


def edge_number(d, rng):
    leaves = _leaves(d, numbers_only=True) or _leaves(d)
    for _ in range(rng.choice((1, 1, 2, 4))):
        node, key = rng.choice(leaves)
        node[key] = raw(rng.choice(EDGE_NUMBERS))


def huge_id(d, rng):
    value = rng.choice((2 ** 53 + 1, 2 ** 63 - 1, 2 ** 63, -2 ** 63, 2 ** 64, 10 ** 30, -1, 0, 'id', '', ' 1'))
    section = rng.choice(('images', 'annotations', 'categories'))
    entry = _entry(d, rng, section)
    if entry is None:
        return
    old, entry['id'] = entry.get('id'), value
    ref = {'images': 'image_id', 'categories': 'category_id'}.get(section)
    if ref and rng.random() < 0.8:  # the references follow, so the file stays consistent
        for ann in d.get('annotations') or []:
            if isinstance(ann, dict) and ann.get(ref) == old:
                ann[ref] = value


def weird_string(d, rng):
    section, key = rng.choice((('images', 'file_name'), ('categories', 'name'), ('categories', 'supercategory'),
                               ('images', 'id'), ('annotations', 'image_id')))
    entry = _entry(d, rng, section)
    if entry is not None:
        entry[key] = rng.choice(WEIRD_STRINGS) + (rng.choice(('', '.png', '.jpg')) if key == 'file_name' else '')


def image_path(d, rng):
    entry = _entry(d, rng, 'images')
    if entry is None:
        return
    if rng.random() < 0.15:
        entry['file_name'] = IMG_DIR_MARK + rng.choice(('img1.png', 'sub/img5.png', '../outside/evil.png'))
    else:
        entry['file_name'] = rng.choice(OUTSIDE_NAMES if rng.random() < 0.6 else INSIDE_NAMES)
    if rng.random() < 0.3:  # no size in the json: read from the file (which may lie outside)
        entry.pop('width', None)


def type_swap(d, rng):
    node, key = rng.choice(_leaves(d) or [(d, 'images')])
    node[key] = rng.choice(WEIRD_VALUES)


def container_swap(d, rng):
    """An array where an object belongs and the other way round."""
    choice = rng.randrange(4)
    section = rng.choice(('images', 'annotations', 'categories'))
    entries = d.get(section)
    if not isinstance(entries, list) or not entries:
        return
    k = rng.randrange(len(entries))
    if choice == 0 and isinstance(entries[k], dict):
        entries[k] = list(entries[k].values())
    elif choice == 1:
        d[section] = {str(i): e for i, e in enumerate(entries)}
    elif choice == 2:
        ann = _entry(d, rng, 'annotations')
        if ann is not None:
            field = rng.choice(('bbox', 'segmentation'))
            value = ann.get(field)
            ann[field] = dict(enumerate(value)) if isinstance(value, list) else [value]
    else:
        d[section] = [entries]  # one level too deep


def gigantic_polygon(d, rng):
    ann = _entry(d, rng, 'annotations')
    if ann is None:
        return
    n = rng.choices((3, 100, 1000, 5000, 20000), (4, 4, 3, 2, 1))[0]
    outside = rng.random() < 0.2
    coords = [round(rng.uniform(0, WIDTH if i % 2 == 0 else HEIGHT), 2) for i in range(2 * n)]
    if outside:
        coords[rng.randrange(len(coords))] = rng.choice((-1000.0, 1e6, 3 * WIDTH))
    polys = [coords] if rng.random() < 0.7 else [coords[:6]] * rng.choices((100, 1000), (3, 1))[0]
    ann['segmentation'] = polys


def whole_file(d, rng):
    if rng.random() < 0.5:
        return rng.choice(('', ' ', '\n', '{}', '[]', 'null', '"coco"', '0', '{"images": []}', '\ufeff{}',
                           '{"images": [], "annotations": [], "categories": []}'))
    ann = _entry(d, rng, 'annotations')
    if ann is not None:  # many copies of one annotation
        d['annotations'].extend(dict(ann, id=10 ** 6 + i) for i in range(rng.choices((100, 1000, 5000), (4, 2, 1))[0]))


def crowd_rle(d, rng):
    ann = _entry(d, rng, 'annotations')
    if ann is None:
        return
    area = HEIGHT * WIDTH
    counts = rng.choice((
        [area], [area - 20, 20], [0, area], [area, 0], [-1, area + 1], [area - 1], [area + 1], [], [1.5, area - 1.5],
        [True, area - 1], [10 ** 20, 1], [[area]], ['1200'], 'PX4', '', '0', ']', 'a' * 50, '~~', '\x7f', 'OOOOOOOO',
        'abc\\"', 'ÿ', 'P' * 4, '?' * 3, 'Z' * 20, None, {'a': 1}, 7))
    size = rng.choice(([HEIGHT, WIDTH], [HEIGHT, WIDTH], [WIDTH, HEIGHT], [HEIGHT], [HEIGHT, WIDTH, 1],
                       [float(HEIGHT), float(WIDTH)], ['30', '40'], None, [0, 0], [10 ** 20, 1], 'x'))
    rle = dict(counts=counts, size=size)
    if rng.random() < 0.1:
        rle.pop(rng.choice(('counts', 'size')))
    ann['segmentation'] = rle
    ann['iscrowd'] = rng.choice((1, 1, 1, 0, True, 2, '1'))


def deep_nesting(d, rng):
    depth = rng.choice(DEPTHS)
    node, key = rng.choice(_leaves(d) + [(d, 'info'), (d, 'images')])
    inner = rng.choice(('1', '[]', '{}', '"x"', '[1, 2, 3, 4]'))
    if rng.random() < 0.5:
        node[key] = raw('[' * depth + inner + ']' * depth)
    else:
        node[key] = raw('{"a": ' * depth + inner + '}' * depth)


def image_size(d, rng):
    entry = _entry(d, rng, 'images')
    if entry is not None:
        entry[rng.choice(('width', 'height'))] = raw(rng.choice(EDGE_NUMBERS + ('true', '"40"', '[40]', 'null')))


def reorder(d, rng):
    """Keys in another order (msgspec and the array search see other layouts), entries shuffled."""
    items = list(d.items())
    rng.shuffle(items)
    d.clear()
    d.update(items)
    for section in ('images', 'annotations', 'categories'):
        if isinstance(d.get(section), list) and rng.random() < 0.5:
            rng.shuffle(d[section])
    for entry in d.get('annotations') or []:
        if isinstance(entry, dict) and rng.random() < 0.3:
            keys = list(entry.items())
            rng.shuffle(keys)
            entry.clear()
            entry.update(keys)


def duplicate_key(d, rng):
    """A key written twice in one object (json keeps the last): the marker is a raw '"key": value, ' prefix."""
    section = rng.choice(('images', 'annotations', 'categories'))
    entry = _entry(d, rng, section)
    if entry is None or not entry:
        return
    key = rng.choice(list(entry))
    other = rng.choice(('null', '"x"', '[1, 2, 3, 4]', '-1', '0', '{}', '1e400', '7'))
    entry[f'{RAW_MARK}dup\x00'] = raw(f'{key}\x01{other}')  # see generate.write: becomes "key": other


STRUCTURE: dict[str, Mutation] = {f.__name__: f for f in (
    edge_number, huge_id, weird_string, image_path, type_swap, container_swap, gigantic_polygon, whole_file,
    crowd_rle, deep_nesting, image_size, reorder, duplicate_key)}
STRUCTURE.update({f'corpus.{name}': f for name, f in CORPUS_KINDS.items()})
