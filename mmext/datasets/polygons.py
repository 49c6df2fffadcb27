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
_SEPARATOR = b',%r,' % _SENTINEL
_CHUNK = 1 << 16  # annotations per simdjson document (about 16 MB of COCO polygons)


@dataclass
class Polygons:
    """The polygons of some annotations, as text, and which annotations the exact rule must look at.

    Attributes:
        text: Every polygon's JSON joined by ``,``; annotation k's polygons are ``text[start[k]:end[k]]``.
        start, end: Per annotation, its slice of ``text``.
        flagged: Per annotation, whether the fast test could not clear it.
    """
    text: bytes
    start: np.ndarray
    end: np.ndarray
    flagged: np.ndarray


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
    length = np.fromiter(map(len, polys), np.int64, count=len(polys))
    poly_start = np.zeros(len(polys) + 1, np.int64)
    np.cumsum(length + 1, out=poly_start[1:])  # + 1: the ',' after each polygon
    text = b','.join(polys)
    start, end = poly_start[first[:-1]], poly_start[first[1:]] - 1
    flagged = np.zeros(len(count), bool)
    # every polygon must be a list: a number in its place would hide a nested list from the '[' count below
    not_list = np.frombuffer(text, np.uint8)[poly_start[:-1]] != ord('[') if polys else np.zeros(0, bool)
    parser = simdjson.Parser()
    for c0 in range(0, len(count), _CHUNK):
        c1 = min(c0 + _CHUNK, len(count))
        chunk = polys[first[c0]:first[c1]]
        found = None if not_list[first[c0]:first[c1]].any() else \
            _flag_chunk(parser, chunk, count[c0:c1], widths[c0:c1], heights[c0:c1])
        flagged[c0:c1] = True if found is None else found
    return Polygons(text, start, end, flagged)


def _flag_chunk(parser: simdjson.Parser, polys: list, count: np.ndarray, widths: np.ndarray,
                heights: np.ndarray) -> np.ndarray | None:
    """The flags of one chunk's annotations (``count``: polygons per annotation), or None when the chunk is
    not arrays of plain numbers (then the exact rule looks at all of it)."""
    doc = b'[' + _SEPARATOR.join(polys) + b']'
    # one '[' per polygon and the outer one: anything else is a nested list (or a bracket inside a string)
    if doc.count(b'[') != len(polys) + 1:
        return None
    try:
        values = np.frombuffer(parser.parse(doc).as_buffer(of_type='d'), np.float64)
    except (ValueError, TypeError, RuntimeError):  # a string, null, true, an object, a number out of range
        return None
    ends = np.flatnonzero(values == _SENTINEL)
    if len(ends) != len(polys) - 1:  # a coordinate equal to the sentinel: let the exact rule see it
        return None
    numbers = np.diff(np.concatenate(([-1], ends, [len(values)]))) - 1
    if np.any(numbers % 2):  # an odd polygon shifts every later x/y pair: exact rule for this chunk
        return None
    owner = np.repeat(np.arange(len(count)), count)
    flags = np.zeros(len(count), bool)
    flags[owner[numbers < 6]] = True
    points = np.delete(values, ends).reshape(-1, 2)
    per_ann = np.zeros(len(count) + 1, np.int64)
    np.cumsum(np.bincount(owner, weights=numbers // 2, minlength=len(count)).astype(np.int64), out=per_ann[1:])
    if per_ann[-1] == 0:
        return flags | True
    starts = np.minimum(per_ann[:-1], per_ann[-1] - 1)
    empty = per_ann[1:] == per_ann[:-1]
    xs, ys = points[:, 0], points[:, 1]
    flags |= empty
    flags |= np.minimum.reduceat(xs, starts) < -widths
    flags |= np.maximum.reduceat(xs, starts) > 2 * widths
    flags |= np.minimum.reduceat(ys, starts) < -heights
    flags |= np.maximum.reduceat(ys, starts) > 2 * heights
    return flags
