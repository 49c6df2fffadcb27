"""The fixed corpus's regression cases: the smallest file for each bug the differential fuzzer found.

Each one made a reader raise something other than mmext's own errors, or made the two readers disagree; they
are part of :func:`tests.datasets.fuzz_corpus.annotation_cases`, so every corpus test reads them.
"""
from __future__ import annotations

import json
from typing import Callable

from tests.datasets.coco_builder import base_coco

_DEEP = '"@deep@"'


def _text(edit: Callable[[dict], None], **raw: str) -> bytes:
    """base_coco with ``edit`` applied, then each ``"@name@"`` string replaced by the JSON text ``raw[name]``."""
    data = base_coco()
    edit(data)
    text = json.dumps(data)
    for name, value in raw.items():
        text = text.replace(f'"@{name}@"', value)
    return text.encode('utf-8', 'surrogatepass')


def _set(path: str, value) -> Callable[[dict], None]:
    """An edit that sets ``section.index.key`` (e.g. ``annotations.0.bbox``) to ``value``."""
    section, index, key = path.split('.')

    def edit(data: dict) -> None:
        data[section][int(index)][key] = value
    return edit


def _many(*edits: Callable[[dict], None]) -> Callable[[dict], None]:
    def edit(data: dict) -> None:
        for one in edits:
            one(data)
    return edit


def _drop(path: str) -> Callable[[dict], None]:
    section, index, key = path.split('.')
    return lambda data: data[section][int(index)].pop(key)


REGRESSIONS: dict[str, Callable[[], bytes]] = {
    # the fast reader died in decode_json (json.loads takes no msgspec.Raw); the reference drops the annotation
    'bbox_1e400': lambda: _text(_set('annotations.0.bbox', '@v@'), v='[1e400, 1, 10, 10]'),
    # bytes json.loads refuses (not UTF-8, an integer past Python's 4300 digits) in values msgspec skips or
    # keeps as text: the fast reader read the file, the reference calls it invalid_json
    'not_utf8_in_an_unknown_key': lambda: _text(_set('annotations.0.note', 'x')).replace(b'"note": "x"',
                                                                                        b'"note": "\xff"'),
    'not_utf8_in_a_box': lambda: _text(_set('annotations.0.bbox', 'x')).replace(b'"bbox": "x"',
                                                                               b'"bbox": ["\xc3", 1, 2, 3]'),
    'long_integer_in_info': lambda: _text(lambda d: d.update(info='@v@'), v='1' * 4400),
    # msgspec's RecursionError came out of the fast reader
    'nested_2000_in_info': lambda: _text(lambda d: d.update(info='@v@'), v='[' * 2000 + ']' * 2000),
    'nested_2000_in_a_segmentation': lambda: _text(_set('annotations.1.segmentation', '@v@'),
                                                   v='[' * 2000 + ']' * 2000),
    # repr() of a deeply nested size in the size_unreadable message: RecursionError
    'nested_900_width': lambda: _text(_set('images.0.width', '@v@'), v='[' * 900 + '40' + ']' * 900),
    # sizes beyond int64 (or float64): OverflowError making the size columns; now sizes end at 2 ** 31 - 1
    'width_2_63': lambda: _text(_set('images.0.width', 2 ** 63)),
    'height_1e300': lambda: _text(_set('images.1.height', 1e300)),
    'width_2_31': lambda: _text(_set('images.2.width', 2 ** 31)),
    # msgspec refused what the whole-file image decode saw (1e400 in an unknown key, NaN in a later box): a
    # ValidationError / DecodeError came out of the fast reader (with image_check, or an image to drop)
    'image_key_1e400': lambda: _text(_many(_set('images.0.x', '@v@'), _drop('images.1.file_name')), v='1e400'),
    'broken_image_and_nan_box': lambda: _text(_many(_drop('images.0.file_name'),
                                                    _set('annotations.3.bbox', [float('nan'), 1, 2, 3]))),
    # file names the file system cannot hold: ValueError / UnicodeEncodeError from os.stat (image_check)
    'nul_in_file_name': lambda: _text(_set('images.0.file_name', 'img1\x00.png')),
    'lone_surrogate_file_name': lambda: _text(_set('images.1.file_name', '\ud800.jpg')),
    # a string image id with a lone surrogate: UnicodeEncodeError making the id column
    'lone_surrogate_image_id': lambda: _text(_many(_set('images.0.id', '\ud800'), _set('annotations.0.image_id',
                                                                                       '\ud800'))),
    # image paths outside the image folder were read (reported only as undecodable): image_path_outside now
    'file_name_climbs_out': lambda: _text(_set('images.0.file_name', '../../../../etc/passwd')),
    'file_name_absolute': lambda: _text(_set('images.1.file_name', '/etc/passwd')),
}


def regression_cases() -> list[tuple[str, str, bytes]]:
    """(case id, kind, file content) of every regression case."""
    return [(f'regression-{name}', 'regression', make()) for name, make in REGRESSIONS.items()]
