"""The annotation rules for a whole COCO file at once: msgspec, numpy, and the exact rules where needed.

:func:`mmext.datasets.checks.check_coco` looks at every annotation in Python: right for ``tools/check_dataset.py``,
too slow for a COCO-train-sized file at every start. Here msgspec decodes the file into small typed records
(segmentations left as JSON text), numpy applies each rule to all annotations at once, and
:func:`~mmext.datasets.checks.check_entry` (the exact rule) runs only on the annotations numpy cannot clear:
those with a problem (or a note, such as a crowd region) and those of a kind numpy does not judge (an RLE).
The result, report included, is the one ``check_coco`` gives (tests compare the two on a corpus of bad files);
a file msgspec does not take (not valid JSON for it, an entry that is not an object) goes to ``check_coco``.
"""
from __future__ import annotations

import json
from itertools import chain, repeat
from operator import attrgetter, eq, is_
from typing import Any

import msgspec
import numpy as np
from msgspec import UNSET, UnsetType

from mmext.datasets import checks
from mmext.datasets.coco_columns import (SEG_EMPTY, SEG_JSON, SEG_POLYGONS, AnnotationColumns, CocoColumns,
                                         box_int_bits)
from mmext.datasets.polygons import check_polygons
from mmext.datasets.problems import Report

_EXACT = 2 ** 53  # integers up to here are exact as float64
_NO_BOX = [float('nan')] * 4
_ID = (int, str)


class _Image(msgspec.Struct, gc=False):
    id: Any = UNSET
    file_name: Any = UNSET
    width: Any = UNSET
    height: Any = UNSET


class _Annotation(msgspec.Struct, gc=False):
    id: Any = UNSET
    image_id: Any = UNSET
    category_id: Any = UNSET
    bbox: Any = UNSET
    area: Any = UNSET
    iscrowd: Any = UNSET
    ignore: Any = UNSET
    segmentation: list[msgspec.Raw] | dict | None | UnsetType = UNSET  # polygons stay JSON text


class _File(msgspec.Struct, gc=False):
    images: list[_Image] | UnsetType = UNSET
    annotations: list[_Annotation] | UnsetType = UNSET
    categories: list[Any] | UnsetType = UNSET


class _ImagesOnly(msgspec.Struct, gc=False):
    images: list[Any]


_FIELDS = tuple(_Annotation.__struct_fields__)


def check_columns(raw: bytes, source: str, img_dir: str | None = None, image_check: str = 'none'
                  ) -> CocoColumns | None:
    """Apply every annotation rule to a COCO file's bytes.

    Args:
        raw: The file's content.
        source: The file's path, for messages.
        img_dir, image_check: See :func:`mmext.datasets.checks.check_coco`.

    Returns:
        What ``check_coco`` finds and keeps, as columns; None when the file is for ``check_coco`` to read
        (msgspec refuses it, or it has no images, annotations or categories list).
    """
    try:
        data = msgspec.json.decode(raw, type=_File)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    if UNSET in (data.images, data.annotations, data.categories):
        return None
    out = CocoColumns(Report(source))
    report = out.report
    report.num_images, report.num_annotations = len(data.images), len(data.annotations)
    cats, dropped_cats = checks.check_categories(data.categories, report)
    images, dropped_imgs = checks.check_images(_image_entries(data.images, raw), report, img_dir, image_check)
    if report.fatal:
        return out
    kept_imgs = [img for img in images.values() if img is not None]
    widths = np.array([img['width'] for img in kept_imgs], np.int64)
    heights = np.array([img['height'] for img in kept_imgs], np.int64)
    anns = data.annotations
    del data
    cols = _annotation_columns(anns, kept_imgs, cats, widths, heights)
    kept = _exact_rules(anns, cols, images, kept_imgs, cats, dropped_imgs, dropped_cats, report)
    _renumber(anns, kept, images, report)
    checks.note_dropped_with(report)
    annotated = np.zeros(len(kept_imgs), bool)
    annotated[cols.image[kept]] = True
    checks.note_unannotated([kept_imgs[r] for r in np.flatnonzero(~annotated)], report)
    counts = dict.fromkeys(cats, 0)
    for cid, n in zip(*np.unique(cols.category[kept], return_counts=True)):
        counts[int(cid)] = int(n)
    out.ann_counts, out.has_segmentation = counts, bool(cols.seg_present[kept].any())
    out.categories = checks.finish_categories(cats, counts, report)
    if not kept_imgs:
        report.add('empty_dataset', checks.why_empty(report))
    out.set_content([img['id'] for img in kept_imgs], [img['file_name'] for img in kept_imgs], widths, heights,
                    cols.take(kept), cols.polygon_text, cols.json_texts)
    return out


def _image_entries(structs: list[_Image], raw: bytes) -> list[dict]:
    """The image entries as dicts (only the keys the rules read), or, when one is broken, the whole entries
    (a ``bad_image`` message quotes the entry)."""
    if all(type(s.id) in _ID and type(s.file_name) is str and s.file_name for s in structs):
        return [{k: v for k, v in zip(('id', 'file_name', 'width', 'height'), (s.id, s.file_name, s.width,
                                                                              s.height)) if v is not UNSET}
                for s in structs]
    return msgspec.json.decode(raw, type=_ImagesOnly).images


def _annotation_columns(anns: list[_Annotation], kept_imgs: list[dict], cats: dict, widths: np.ndarray,
                        heights: np.ndarray) -> AnnotationColumns:
    """Every annotation's columns, and in ``ok`` whether the vectorised rules clear it (nothing to report, nothing
    to correct)."""
    n = len(anns)
    col = {name: list(map(attrgetter(name), anns)) for name in _FIELDS}
    image = _lookup(col['image_id'], [img['id'] for img in kept_imgs])
    category, ok = _categories(col['category_id'], cats)
    ok &= image >= 0
    w_img, h_img = widths[np.maximum(image, 0)], heights[np.maximum(image, 0)]
    bbox, bbox_int, box_ok = _boxes(col['bbox'])
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
    code = np.array([(type(s) is list) + 2 * (type(s) is dict) if s else 0 for s in segs], np.uint8)
    ok &= code != 2
    poly_index = np.flatnonzero(code == 1)
    polygons = check_polygons([segs[i] for i in poly_index], w_img[poly_index], h_img[poly_index])
    ok[poly_index] &= ~polygons.flagged
    seg_start, seg_end = np.zeros(n, np.int64), np.zeros(n, np.int64)
    seg_start[poly_index], seg_end[poly_index] = polygons.start, polygons.end
    cols = AnnotationColumns(image, bbox, bbox_int, category, ignore,
                             np.where(code == 1, SEG_POLYGONS, SEG_EMPTY).astype(np.uint8), seg_start, seg_end)
    cols.ok, cols.polygon_text, cols.json_texts = ok, polygons.text, []
    cols.seg_present = ~np.fromiter(map(is_, segs, repeat(UNSET)), bool, n)
    return cols


def _lookup(values: list, ids: list) -> np.ndarray:
    """The row of each value in ``ids`` (image ids: integers or strings), -1 where there is none."""
    try:
        if ({type(v) for v in ids} | set(map(type, values))) - {int}:
            raise TypeError
        keys, wanted = np.array(ids, np.int64), np.array(values, np.int64)
        order = np.argsort(keys, kind='stable')
        pos = np.minimum(np.searchsorted(keys[order], wanted), max(len(keys) - 1, 0))
        found = keys[order][pos] == wanted if len(keys) else np.zeros(len(wanted), bool)
        return np.where(found, order[pos] if len(keys) else 0, -1)
    except (TypeError, OverflowError, ValueError):
        row_of = {v: r for r, v in enumerate(ids)}
        return np.array([row_of.get(v, -1) if type(v) in _ID else -1 for v in values], np.int64)


def _categories(values: list, cats: dict) -> tuple[np.ndarray, np.ndarray]:
    """Category ids as int64 and whether each is a usable category."""
    try:
        if set(map(type, values)) - {int}:
            raise TypeError
        ids = np.array(values, np.int64)
        return ids, np.isin(ids, np.array(list(cats), np.int64))
    except (TypeError, OverflowError, ValueError):
        ok = np.array([type(v) is int and v in cats for v in values], bool)
        return np.array([v if k else 0 for v, k in zip(values, ok)], np.int64), ok


def _numbers(values: list) -> tuple[np.ndarray, np.ndarray]:
    """Values as float64, and whether each is a plain int or float that float64 holds exactly (anything else is
    NaN here, and the exact rule decides)."""
    if set(map(type, values)) <= {float, int}:
        try:
            numbers = np.array(values, np.float64)
            return numbers, ~(np.abs(numbers) > _EXACT)
        except OverflowError:  # an integer beyond float64
            pass
    ok = np.array([type(v) is float or (type(v) is int and -_EXACT <= v <= _EXACT) for v in values], bool)
    return np.array([v if k else np.nan for v, k in zip(values, ok)], np.float64), ok


def _boxes(values: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Boxes as float64 (n, 4), their ``bbox_int`` bits, and whether each is a list of 4 plain numbers."""
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


def _exact_rules(anns: list[_Annotation], cols: AnnotationColumns, images: dict, kept_imgs: list[dict], cats: dict,
                 dropped_imgs: dict, dropped_cats: dict, report: Report) -> np.ndarray:
    """Run :func:`~mmext.datasets.checks.check_entry` on the annotations not cleared (in file order, so that the
    report is in the same order as ``check_coco``'s), and put what it keeps and corrects into ``cols``.

    Returns:
        Per annotation, whether it is kept.
    """
    kept = cols.ok.copy()
    row_of = {img['id']: r for r, img in enumerate(kept_imgs)}
    for i in np.flatnonzero(~cols.ok).tolist():
        ann = as_dict(anns[i])
        if not checks.check_entry(i, ann, images, cats, dropped_imgs, dropped_cats, report):
            continue
        kept[i] = True
        box = ann['bbox']
        cols.image[i], cols.category[i] = row_of[ann['image_id']], ann['category_id']
        cols.bbox[i], cols.bbox_int[i] = box, box_int_bits(box)
        cols.ignore[i] = 1 if ann.get('iscrowd') or ann.get('ignore') else 0
        seg = ann.get('segmentation')
        if not seg:
            cols.seg_kind[i] = SEG_EMPTY
        elif cols.seg_kind[i] != SEG_POLYGONS:  # kept polygons are unchanged: their text stays
            cols.seg_kind[i], cols.seg_start[i] = SEG_JSON, len(cols.json_texts)
            cols.json_texts.append(json.dumps(seg).encode())
    return kept


def as_dict(ann: _Annotation) -> dict:
    """An annotation as ``json.loads`` gives it (the keys the rules read; polygons decoded from their text)."""
    found = {k: v for k, v in zip(_FIELDS, (getattr(ann, k) for k in _FIELDS)) if v is not UNSET}
    seg = found.get('segmentation')
    if type(seg) is list and seg:
        found['segmentation'] = json.loads(b'[' + b','.join(seg) + b']')
    return found


def _renumber(anns: list[_Annotation], kept: np.ndarray, images: dict, report: Report) -> None:
    """``check_coco``'s new ids for kept annotations whose id is missing, not an integer, or used before."""
    index = np.flatnonzero(kept)
    ids = [anns[i].id for i in index.tolist()]
    try:
        if set(map(type, ids)) - {int}:
            raise TypeError
        values = np.array(ids, np.int64)
        _, first = np.unique(values, return_index=True)
        again = np.ones(len(values), bool)
        again[first] = False
        max_id = max(0, int(values.max())) if len(values) else 0
    except (TypeError, OverflowError, ValueError):  # a missing, string or huge id somewhere: one by one
        seen: set = set()
        again, max_id = np.zeros(len(ids), bool), 0
        for k, aid in enumerate(ids):
            if type(aid) is int and aid not in seen:
                seen.add(aid)
                max_id = max(max_id, aid)
            else:
                again[k] = True
    renumber = [{k: v for k, v in (('id', anns[i].id), ('image_id', anns[i].image_id)) if v is not UNSET}
                for i in index[again].tolist()]
    checks.renumber_ids(renumber, max_id, images, report)
