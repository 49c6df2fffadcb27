"""The polygon rule of :func:`mmext.datasets.annotation_rules.segmentation_problem`, for a whole file at once.

A COCO-train-sized file has about 30 million polygon coordinates; made into Python floats they take a second and
a gigabyte. Here each annotation's polygons arrive as their JSON texts (``msgspec.Raw``, not decoded), are joined
into one text per chunk with a sentinel number between polygons, and simdjson turns the chunk into one flat
float64 array without a Python object per number. From it, numpy finds the annotations whose polygons might break
the rule (fewer than 6 or an odd number of coordinates, a point far outside the image); those, and every
annotation of a chunk whose text is anything but arrays of plain numbers (strings, nested lists, numbers
simdjson refuses), are left to the exact rule. An annotation not flagged here passes the exact rule unchanged.
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import chain
from typing import Sequence

import numpy as np
import simdjson

_SENTINEL = -1.5e308  # far outside any image: a polygon that holds it is flagged by the bounds test anyway
# two sentinels between polygons: each polygon then keeps its x at even positions of the flat array
SEPARATOR = b',%r,%r,' % (_SENTINEL, _SENTINEL)
_CHUNK = 1 << 16  # annotations per simdjson document (about 16 MB of COCO polygons)


@dataclass
class Polygons:
    """The polygons of some annotations, as text, and which annotations the exact rule must look at.

    Attributes:
        text: Every polygon's JSON joined by :data:`SEPARATOR`; annotation k's polygons are
            ``text[start[k]:end[k]]`` (see :func:`polygons_from_text`).
        start, end: Per annotation, its slice of ``text``.
        flagged: Per annotation, whether the fast test could not clear it.
    """
    text: bytes
    start: np.ndarray
    end: np.ndarray
    flagged: np.ndarray


def polygons_from_text(text: bytes) -> list:
    """An annotation's polygons from its slice of :attr:`Polygons.text`, as json gives them."""
    from mmext.datasets.coco_columns import decode_json
    return decode_json(b'[' + text + b']')[0::3]  # each polygon is followed by the two sentinels


def check_polygons(polygon_lists: Sequence[list], widths: np.ndarray, heights: np.ndarray) -> Polygons:
    """Test annotations' polygons against the rule: at least 6 numbers, an even count, every point within
    ``[-w, 2w] x [-h, 2h]``.

    Args:
        polygon_lists: Per annotation, its non-empty list of polygon JSON texts (``msgspec.Raw``).
        widths, heights: Per annotation, its image's size.

    Returns:
        The joined texts and, per annotation, whether it is flagged.
    """
    polys = list(chain.from_iterable(polygon_lists))
    count = np.fromiter(map(len, polygon_lists), np.int64, count=len(polygon_lists))
    first = np.zeros(len(count) + 1, np.int64)
    np.cumsum(count, out=first[1:])
    poly_start = np.zeros(len(polys) + 1, np.int64)
    np.cumsum(np.fromiter(map(len, polys), np.int64, count=len(polys)) + len(SEPARATOR), out=poly_start[1:])
    text = SEPARATOR.join(polys)
    start, end = poly_start[first[:-1]], poly_start[first[1:]] - len(SEPARATOR)
    flagged = np.zeros(len(count), bool)
    as_array = np.frombuffer(text, np.uint8)
    # every polygon must be a list: a number in its place would hide a nested list from the '[' count below
    not_list = as_array[poly_start[:-1]] != ord('[') if polys else np.zeros(0, bool)
    parser = simdjson.Parser()
    for c0 in range(0, len(count), _CHUNK):
        c1 = min(c0 + _CHUNK, len(count))
        p0, p1 = first[c0], first[c1]
        found = None
        if not not_list[p0:p1].any():
            doc = b'[' + text[poly_start[p0]:poly_start[p1] - len(SEPARATOR)] + b']'
            found = _flag_chunk(parser, doc, p1 - p0, count[c0:c1], widths[c0:c1], heights[c0:c1])
        flagged[c0:c1] = True if found is None else found
    return Polygons(text, start, end, flagged)


def _flag_chunk(parser: simdjson.Parser, doc: bytes, num_polys: int, count: np.ndarray, widths: np.ndarray,
                heights: np.ndarray) -> np.ndarray | None:
    """The flags of one chunk's annotations (``doc``: their polygons as one JSON array, ``count``: polygons per
    annotation), or None when the chunk is not arrays of plain numbers (then the exact rule sees all of it)."""
    # one '[' per polygon and the outer one: anything else is a nested list (or a bracket inside a string)
    if doc.count(b'[') != num_polys + 1:
        return None
    try:
        values = np.frombuffer(parser.parse(doc).as_buffer(of_type='d'), np.float64)
    except (ValueError, TypeError, RuntimeError):  # a string, null, true, an object, a number out of range
        return None
    marks = np.flatnonzero(values == _SENTINEL)
    if len(marks) != 2 * (num_polys - 1) or np.any(marks[1::2] - marks[0::2] != 1):
        return None  # a coordinate equal to the sentinel: let the exact rule see it
    ends = np.concatenate((marks[0::2], [len(values)]))
    numbers = np.diff(ends, prepend=-2) - 2
    if np.any(numbers % 2):  # an odd polygon shifts every later x/y pair: exact rule for this chunk
        return None
    owner = np.repeat(np.arange(len(count)), count)
    flags = np.zeros(len(count), bool)
    flags[owner[numbers < 6]] = True
    values[marks] = np.nan  # fmin / fmax skip them
    if len(values) == 0:
        return flags | True
    # annotation k's values start where its first polygon does
    poly_first = np.concatenate(([0], ends[:-1] + 2))
    ann_first = np.minimum(poly_first[np.concatenate(([0], np.cumsum(count)[:-1]))], len(values) - 1)
    # below: one bound for x and y, -min(w, h), which passes only what the rule passes (negative coordinates
    # are rare, and an annotation that has one gets the exact rule); above: 2w for x, 2h for y
    with np.errstate(invalid='ignore'):  # NaN (an annotation without a coordinate) fails: flagged
        flags |= ~(np.fmin.reduceat(values, ann_first) >= -np.minimum(widths, heights))
        flags |= ~(np.fmax.reduceat(values[0::2], ann_first // 2) <= 2 * widths)
        flags |= ~(np.fmax.reduceat(values[1::2], ann_first // 2) <= 2 * heights)
    return flags
