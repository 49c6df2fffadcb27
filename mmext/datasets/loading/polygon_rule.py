"""The polygon rule of :func:`mmext.datasets.checks.annotation_rules.segmentation_problem`, for a whole file at once.

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

from mmext.datasets.loading.json_text import decode_json, joined_lists, parse_numbers

_SENTINEL = -9e9  # far outside any image (a polygon that holds it is flagged by the bounds test anyway); short to parse
# two sentinels between polygons: each polygon then keeps its x at even positions of the flat array
SEPARATOR = b',-9e9,-9e9,'


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
    return decode_json(b'[' + text + b']')[0::3]  # each polygon is followed by the two sentinels


def check_polygons(polygon_lists: Sequence[list], widths: np.ndarray, heights: np.ndarray,
                   parser: simdjson.Parser | None = None, max_points: int = 0) -> Polygons:
    """Test annotations' polygons against the rule: at least 6 numbers, an even count, every point within
    ``[-w, 2w] x [-h, 2h]``, at most ``max_points`` points per annotation (0: any number).

    Args:
        polygon_lists: Per annotation, its non-empty list of polygon JSON texts (``msgspec.Raw``). The caller
            bounds their number (one chunk of the file): they are parsed as one document.
        widths, heights: Per annotation, its image's size.
        parser: The simdjson parser to use. One parser for all chunks of a file keeps its buffers (a new one
            per chunk spends a third of the parse time faulting in fresh memory).

    Returns:
        The joined texts and, per annotation, whether it is flagged.
    """
    polys = list(chain.from_iterable(polygon_lists))
    count = np.fromiter(map(len, polygon_lists), np.int64, count=len(polygon_lists))
    if not polys:
        empty = np.zeros(0, np.int64)
        return Polygons(b'', empty, empty, np.zeros(0, bool))
    first = np.zeros(len(count) + 1, np.int64)
    np.cumsum(count, out=first[1:])
    # the text kept is the simdjson document itself: no second copy of it is made
    text, poly_start, flat = joined_lists(polys, SEPARATOR)
    del polys
    start, end = poly_start[first[:-1]], poly_start[first[1:]] - len(SEPARATOR)
    flagged = None
    if flat:
        flagged = _flag(parser or simdjson.Parser(), text, first, widths, heights, max_points)
    return Polygons(text, start, end, np.ones(len(count), bool) if flagged is None else flagged)


def _flag(parser: simdjson.Parser, doc: bytes, first: np.ndarray, widths: np.ndarray,
          heights: np.ndarray, max_points: int) -> np.ndarray | None:
    """The flags of the annotations (``doc``: their polygons as one JSON array; annotation k's are polygons
    ``first[k]:first[k + 1]``), or None when the document is not lists of plain numbers (then the exact rule
    sees all)."""
    values = parse_numbers(parser, doc)
    if values is None:
        return None
    count, num_polys = np.diff(first), int(first[-1])
    marks = np.flatnonzero(values == _SENTINEL)
    if len(marks) != 2 * (num_polys - 1) or np.any(marks[1::2] - marks[0::2] != 1):
        return None  # a coordinate equal to the sentinel: let the exact rule see it
    ends = np.append(marks[0::2], len(values))
    numbers = np.diff(ends, prepend=-2) - 2
    if np.any(numbers % 2):  # an odd polygon shifts every later x/y pair: exact rule for all
        return None
    flags = np.zeros(len(count), bool)
    flags[np.repeat(np.arange(len(count)), count)[numbers < 6]] = True
    if max_points:  # (every annotation here has a polygon)
        flags |= np.add.reduceat(numbers, first[:-1]) > 2 * max_points
    if len(values) == 0:
        return flags | True
    values[marks] = 0.0  # inside every image: the bounds below pass them
    # annotation k's values start where its first polygon does
    poly_first = np.concatenate(([0], ends[:-1] + 2))
    ann_first = np.minimum(poly_first[first[:-1]], len(values) - 1)
    # below: one bound for x and y, -min(w, h), which passes only what the rule passes (negative coordinates
    # are rare, and an annotation that has one gets the exact rule); above: 2w for x, 2h for y
    flags |= np.minimum.reduceat(values, ann_first) < -np.minimum(widths, heights)
    flags |= np.maximum.reduceat(values[0::2], ann_first // 2) > 2 * widths
    flags |= np.maximum.reduceat(values[1::2], ann_first // 2) > 2 * heights
    return flags
