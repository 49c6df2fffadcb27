"""The annotation rules for a chunk of annotations at once (see :mod:`mmext.datasets.loading.fast_reader`).

numpy applies each rule of :func:`~mmext.datasets.checks.file_rules.check_entry` to every annotation of the chunk; what it
cannot clear (a problem, a note such as a crowd region, an RLE) goes through ``check_entry`` itself, in file
order. A cleared annotation is one ``check_entry`` keeps without a word and without a correction.
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import chain, compress, repeat
from operator import attrgetter, eq, is_
from typing import Any

import msgspec
import numpy as np
import simdjson
from msgspec import UNSET, UnsetType

from mmext.datasets.checks import file_rules
from mmext.datasets.checks.problems import Report
from mmext.datasets.loading.columns import (SEG_EMPTY, SEG_JSON, SEG_POLYGONS, AnnotationColumns, box_int_bits,
                                            int64_array)
from mmext.datasets.loading.json_text import decode_json, joined_lists, parse_numbers
from mmext.datasets.loading.polygon_rule import check_polygons, polygons_from_text

_EXACT = 2 ** 53  # integers below this are exact as float64 (and 2 ** 53 + 1 reads as 2 ** 53)
_NO_BOX = [float('nan')] * 4
_ID = (int, str)


class Annotation(msgspec.Struct, gc=False):
    """One annotation as msgspec decodes it: values as json gives them, the box and polygons as their JSON
    text. The fields are in the order COCO files have them (msgspec decodes keys in the expected order a
    little faster)."""
    segmentation: list[msgspec.Raw] | dict | None | UnsetType = UNSET
    area: Any = UNSET
    iscrowd: Any = UNSET
    image_id: Any = UNSET
    bbox: msgspec.Raw | UnsetType = UNSET  # parsed with the others of its chunk (see _boxes)
    category_id: Any = UNSET
    id: Any = UNSET
    ignore: Any = UNSET


_FIELDS = tuple(Annotation.__struct_fields__)
_SEG_CODE = {list: 1, dict: 2}  # see code in _vectorised


@dataclass
class Context:
    """What the rules of an annotation need to know about the rest of the file (see ``check_entry``).

    Attributes:
        images: Image id -> usable entry (None: dropped); dropped_imgs: dropped id -> its problem.
        cats: Usable category id -> category; dropped_cats: dropped id -> its problem.
        kept_imgs: The usable images, in order; widths, heights: their sizes.
        report: Where problems go.
    """
    images: dict
    dropped_imgs: dict
    cats: dict
    dropped_cats: dict
    kept_imgs: list
    widths: np.ndarray
    heights: np.ndarray
    report: Report

    def __post_init__(self) -> None:
        self.image_ids = [img['id'] for img in self.kept_imgs]
        self.row_of = {iid: r for r, iid in enumerate(self.image_ids)}
        self.category_ids = list(self.cats)  # an annotation's category column is an index into this
        self.image_index, self.category_index = Index(self.image_ids), Index(self.category_ids, int_only=True)
        self.parser = simdjson.Parser()  # one for every chunk of the file (see check_polygons)


@dataclass
class Chunk:
    """A chunk's results: its columns (one entry per annotation), which are kept, the polygon text, the JSON of
    segmentations the exact rule kept in another form, and the annotation ids."""
    columns: AnnotationColumns
    kept: np.ndarray
    seg_present: np.ndarray
    polygon_text: bytes
    json_texts: list
    ids: np.ndarray | list


def check_chunk(anns: list[Annotation], first: int, ctx: Context) -> Chunk:
    """Every rule for ``anns`` (``annotations[first:first + len(anns)]`` of the file).

    Returns:
        What is kept, as columns (``seg_start`` / ``seg_end`` into this chunk's polygon text).
    """
    chunk, ok = _vectorised(anns, ctx)
    for i in np.flatnonzero(~ok).tolist():
        _exact(anns[i], i, first + i, chunk, ctx)
    return chunk


def _vectorised(anns: list[Annotation], ctx: Context) -> tuple[Chunk, np.ndarray]:
    """Every annotation's columns, and whether the vectorised rules clear it (nothing to report or correct)."""
    n = len(anns)
    col = {name: list(map(attrgetter(name), anns)) for name in _FIELDS}
    image = ctx.image_index(col['image_id'])
    category = ctx.category_index(col['category_id'])
    ok = category >= 0
    ok &= image >= 0
    w_img, h_img = ctx.widths[np.maximum(image, 0)], ctx.heights[np.maximum(image, 0)]
    bbox, bbox_int, box_ok = _boxes(col['bbox'], ctx.parser)
    x, y, w, h = bbox.T
    area, area_ok = _numbers(col['area'])
    with np.errstate(invalid='ignore'):  # NaN stands for "not a plain number": already not ok
        ok &= box_ok & (w > 0) & (h > 0) & (x >= 0) & (y >= 0) & (x + w <= w_img) & (y + h <= h_img)
        ok &= area_ok & (area > 0) & np.isfinite(area)
    crowd = col['iscrowd']
    if set(map(type, crowd)) <= {int, UnsetType}:  # absent or 0: nothing to say; 1: a crowd note (exact rule)
        ok &= np.fromiter(map(is_, crowd, repeat(UNSET)), bool, n) | np.fromiter(map(eq, crowd, repeat(0)), bool, n)
    else:
        ok &= np.array([v is UNSET or (type(v) is int and v == 0) for v in crowd], bool)
    ignore = col['ignore']
    ignore = np.zeros(n, np.uint8) if ignore.count(UNSET) == n else \
        np.array([v is not UNSET and bool(v) for v in ignore], np.uint8)
    segs = col['segmentation']
    # 0: none or empty (nothing to check), 1: polygons (checked below), 2: an RLE (the exact rule)
    code = np.fromiter(map(_SEG_CODE.get, map(type, segs), repeat(0)), np.uint8, n)
    code *= np.fromiter(map(bool, segs), bool, n)
    ok &= code != 2
    is_poly = code == 1
    poly_index = np.flatnonzero(is_poly)
    polygons = check_polygons(list(compress(segs, is_poly.tolist())), w_img[poly_index], h_img[poly_index],
                              ctx.parser, ctx.report.limits.max_polygon_points)
    ok[poly_index] &= ~polygons.flagged
    seg_start, seg_end = np.zeros(n, np.int64), np.zeros(n, np.int64)
    seg_start[poly_index], seg_end[poly_index] = polygons.start, polygons.end
    columns = AnnotationColumns(image, bbox, bbox_int, category, ignore,
                                np.where(code == 1, SEG_POLYGONS, SEG_EMPTY).astype(np.uint8), seg_start, seg_end)
    seg_present = np.ones(n, bool) if UNSET not in segs else ~np.fromiter(map(is_, segs, repeat(UNSET)), bool, n)
    ids = int64_array(col['id'])
    return Chunk(columns, ok.copy(), seg_present, polygons.text, [], col['id'] if ids is None else ids), ok


class Index:
    """Where each of some distinct ids is (integers, or strings too unless ``int_only``), for many look-ups.

    Args:
        ids: The ids; an id's index is its position.
        int_only: Only integers are ids (category ids); otherwise strings are too (image ids).
    """

    def __init__(self, ids: list, int_only: bool = False) -> None:
        self.types = (int,) if int_only else _ID
        self.position = {v: k for k, v in enumerate(ids)}
        self.keys = int64_array(ids)
        if self.keys is not None:
            self.order = np.argsort(self.keys, kind='stable')
            self.keys = self.keys[self.order]

    def __call__(self, values: list) -> np.ndarray:
        """The index of each value, -1 where it is none of the ids (or not an int / str: 1.0 is not the id 1)."""
        wanted = int64_array(values) if self.keys is not None and len(self.keys) else None
        if wanted is not None:
            pos = np.minimum(np.searchsorted(self.keys, wanted), len(self.keys) - 1)
            return np.where(self.keys[pos] == wanted, self.order[pos], -1)
        types, position = self.types, self.position
        return np.array([position.get(v, -1) if type(v) in types else -1 for v in values], np.int64)


def _numbers(values: list) -> tuple[np.ndarray, np.ndarray]:
    """Values as float64, and whether each is a plain int or float that float64 holds exactly (anything else is
    NaN here, and the exact rule decides)."""
    if set(map(type, values)) <= {float, int}:
        try:
            numbers = np.array(values, np.float64)
            return numbers, ~(np.abs(numbers) >= _EXACT)
        except OverflowError:  # an integer beyond float64
            pass
    ok = np.array([type(v) is float or (type(v) is int and -_EXACT < v < _EXACT) for v in values], bool)
    return np.array([v if k else np.nan for v, k in zip(values, ok)], np.float64), ok


_BOX_SENTINEL = -99999999.0
_BOX_SEPARATOR = b',-99999999,'  # written as an integer: no '.' or 'e' to confuse the integer test in _boxes


def _boxes(raws: list, parser: simdjson.Parser) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Boxes as float64 (n, 4), their ``bbox_int`` bits, and whether each is a list of 4 plain numbers.

    Args:
        raws: Each annotation's ``bbox`` as JSON text (UNSET: none).
        parser: simdjson's parser.
    """
    found = _parsed_boxes(raws, parser) if raws and UNSET not in raws else None
    if found is not None:
        return found
    return _python_boxes([b if b is UNSET else decode_json(b) for b in raws])


def _parsed_boxes(raws: list[msgspec.Raw], parser: simdjson.Parser
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """:func:`_boxes` with simdjson: the texts joined with a sentinel after each box, parsed as one document
    into one float64 array (no Python object per number). None when a box is anything but a list of numbers;
    :func:`_python_boxes` then decides."""
    n = len(raws)
    doc, starts, flat = joined_lists(list(raws), _BOX_SEPARATOR, tail=_BOX_SEPARATOR[:-1])
    values = parse_numbers(parser, doc) if flat else None
    if values is None:
        return None
    if len(values) != 5 * n or np.any(values[4::5] != _BOX_SENTINEL):
        return None  # a box of other than 4 numbers (or a number equal to the sentinel)
    boxes = values.reshape(n, 5)[:, :4].copy()
    # a number written without '.', 'e' or 'E' is an int for json: 4 dots and no exponent is 4 floats,
    # neither is 4 ints; any other box (some of each) is decoded to tell
    # (a box holds at most 4 dots: 4n of them in all is 4 in each)
    num_dots, num_exps = doc.count(b'.'), doc.count(b'e') + doc.count(b'E')
    if num_exps == 0 and num_dots in (0, 4 * n):
        bits = np.full(n, 15 if num_dots == 0 else 0, np.uint8)
    else:
        text = np.frombuffer(doc, np.uint8)
        dots = np.add.reduceat(text == ord('.'), starts[:-1], dtype=np.int64)
        exps = np.add.reduceat((text == ord('e')) | (text == ord('E')), starts[:-1], dtype=np.int64)
        bits = np.where(dots + exps == 0, 15, 0).astype(np.uint8)
        for i in np.flatnonzero((dots + exps != 0) & ((dots != 4) | (exps != 0))).tolist():
            bits[i] = box_int_bits(decode_json(raws[i]))
    return boxes, bits, ~(np.abs(boxes) >= _EXACT).any(1)


def _python_boxes(values: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_boxes` for boxes as json gives them (UNSET: none)."""
    n = len(values)
    good = np.ones(n, bool)
    if set(map(type, values)) != {list} or np.any(np.fromiter(map(len, values), np.int64, n) != 4):
        good = np.array([type(b) is list and len(b) == 4 for b in values], bool)
        values = [b if g else _NO_BOX for b, g in zip(values, good)]
    flat = list(chain.from_iterable(values))
    numbers, ok = _numbers(flat)
    bits = np.zeros(n, np.uint8)
    if int in set(map(type, flat)):
        is_int = np.fromiter(map(is_, map(type, flat), repeat(int)), bool, len(flat)).reshape(-1, 4)
        bits = (is_int * np.array([1, 2, 4, 8], np.uint8)).sum(1).astype(np.uint8)
    return numbers.reshape(-1, 4), bits, good & ok.reshape(-1, 4).all(1)


def _exact(ann: Annotation, i: int, index: int, chunk: Chunk, ctx: Context) -> None:
    """``check_entry`` for ``ann`` (item ``i`` of the chunk, ``index`` of the file); what it keeps and corrects
    goes into the chunk's columns."""
    entry = as_dict(ann, chunk, i)
    kept = file_rules.check_entry(index, entry, ctx.images, ctx.cats, ctx.dropped_imgs, ctx.dropped_cats, ctx.report)
    chunk.kept[i] = kept
    if not kept:
        return
    cols, box = chunk.columns, entry['bbox']
    cols.image[i], cols.category[i] = ctx.row_of[entry['image_id']], ctx.category_index.position[entry['category_id']]
    cols.bbox[i], cols.bbox_int[i] = box, box_int_bits(box)
    cols.ignore[i] = 1 if entry.get('iscrowd') or entry.get('ignore') else 0
    seg = entry.get('segmentation')
    if not seg:
        cols.seg_kind[i] = SEG_EMPTY
    elif cols.seg_kind[i] != SEG_POLYGONS:  # kept polygons are unchanged: their text stays
        cols.seg_kind[i], cols.seg_start[i] = SEG_JSON, len(chunk.json_texts)
        chunk.json_texts.append(msgspec.json.encode(seg))  # msgspec decoded it: encodes back to the same value


def as_dict(ann: Annotation, chunk: Chunk, i: int) -> dict:
    """Item ``i`` of the chunk as ``json.loads`` gives it (the keys the rules read; polygons decoded from their
    text)."""
    found = {k: v for k, v in zip(_FIELDS, (getattr(ann, k) for k in _FIELDS)) if v is not UNSET}
    if 'bbox' in found:
        found['bbox'] = decode_json(found['bbox'])
    cols = chunk.columns
    if cols.seg_kind[i] == SEG_POLYGONS:
        found['segmentation'] = polygons_from_text(chunk.polygon_text[cols.seg_start[i]:cols.seg_end[i]])
    return found


