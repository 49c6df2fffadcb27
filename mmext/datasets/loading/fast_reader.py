"""The annotation rules for a whole COCO file at once: msgspec, simdjson, numpy, and the exact rules where needed.

:func:`mmext.datasets.checks.file_rules.check_coco` looks at every annotation in Python: right for ``tools/check_dataset.py``,
too slow for a COCO-train-sized file at every start. Here the annotations array is found in the file's bytes and
decoded a piece at a time (:mod:`mmext.datasets.loading.annotation_spans`: one scan of the text; a piece's records are dropped
once its columns are made, so the file is never in memory as Python objects); msgspec leaves each box and
polygon as its JSON text, which simdjson turns into float arrays a chunk at a time, and
:mod:`mmext.datasets.loading.chunk_rules` applies the rules to each chunk with numpy, and with
:func:`~mmext.datasets.checks.file_rules.check_entry` (the exact rule) only where numpy cannot clear an annotation.
The result, report included, is the one ``check_coco`` gives (tests compare the two on a corpus of bad files);
a file msgspec does not take (not valid JSON for it, an entry that is not an object) goes to ``check_coco``.
"""
from __future__ import annotations

from typing import Any, Iterator

import msgspec
import numpy as np
from msgspec import UNSET, UnsetType

from mmext.datasets.checks import file_rules
from mmext.datasets.checks.limits import ReadLimitError, ReadLimits
from mmext.datasets.checks.problems import Report
from mmext.datasets.loading import annotation_spans
from mmext.datasets.loading.chunk_rules import Annotation, Chunk, Context, check_chunk
from mmext.datasets.loading.columns import SEG_JSON, AnnotationColumns, CocoColumns
from mmext.datasets.loading.json_text import json_module_reads
from mmext.datasets.loading.mapped_file import Buffer, as_bytes, release
from mmext.datasets.paths import outside_images

_ID = (int, str)
CHUNK = 1 << 16  # annotations decoded at a time


class _Image(msgspec.Struct, gc=False):
    id: Any = UNSET
    file_name: Any = UNSET
    width: Any = UNSET
    height: Any = UNSET


class _File(msgspec.Struct, gc=False):
    images: list[_Image] | UnsetType = UNSET
    annotations: list[msgspec.Raw] | UnsetType = UNSET  # decoded a chunk at a time
    categories: list[Any] | UnsetType = UNSET


class _Rest(msgspec.Struct, gc=False):
    images: list[_Image] | UnsetType = UNSET
    annotations: msgspec.Raw | UnsetType = UNSET  # the array's place, replaced by [] (see annotation_spans)
    categories: list[Any] | UnsetType = UNSET


class _ImagesOnly(msgspec.Struct, gc=False):
    images: list[Any]


_ANNOTATIONS = msgspec.json.Decoder(list[Annotation])


def check_columns(raw: Buffer, source: str, img_dir: str | None = None, image_check: str = 'none',
                  limits: ReadLimits | None = None) -> CocoColumns | None:
    """Apply every annotation rule to a COCO file's bytes.

    Args:
        raw: The file's content (bytes, or the file mapped: see :mod:`mmext.datasets.loading.mapped_file`).
        source: The file's path, for messages.
        img_dir, image_check, limits: See :func:`mmext.datasets.checks.file_rules.check_coco`.

    Returns:
        What ``check_coco`` finds and keeps, as columns; None when the file is for ``check_coco`` to read
        (msgspec refuses it, or it has no images, annotations or categories list).

    Raises:
        DatasetError: Past a read limit.
    """
    if not json_module_reads(raw):
        return None
    try:
        return _check_columns(raw, source, img_dir, image_check, ReadLimits.get(limits))
    except RecursionError:  # nested deeper than msgspec goes: the json module says how it fares
        return None


def _check_columns(raw: Buffer, source: str, img_dir: str | None, image_check: str, limits: ReadLimits
                   ) -> CocoColumns | None:
    def guard(text: bytes) -> None:  # what msgspec is about to decode into Python objects (not the annotations)
        limits.check_values(source, text, ' outside the annotations')
    found = annotation_spans.locate(raw, _Rest, guard)  # one scan of the annotations (see annotation_spans)
    if found is not None:
        rest, start, end = found
        release(raw, 0, start)  # (a mapped file: what is not the annotations is not read again; each piece of
        release(raw, end)  # them is given back once decoded)
        try:
            return _check(rest, annotation_spans.decode_pieces(raw, start, end, _ANNOTATIONS), raw, source, img_dir,
                          image_check, limits, memoryview(raw)[start:end])
        except annotation_spans.CutFailed:
            pass  # the two scans below give the same result, or send the file to check_coco
    raw = as_bytes(raw)  # (the whole file in memory, as the reference reads it)
    limits.check_values(source, raw)  # (as the json module would: an upper bound, annotations stay text here)
    try:
        data = msgspec.json.decode(raw, type=_File)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    if data.annotations is UNSET:
        return None
    raws, data.annotations = data.annotations, UNSET
    try:
        return _check(data, _joined_pieces(raws), raw, source, img_dir, image_check, limits, len(raws))
    except annotation_spans.CutFailed:  # an entry that is not an object
        return None


def _joined_pieces(raws: list[msgspec.Raw]) -> Iterator[list[Annotation]]:
    """The annotations, :data:`CHUNK` at a time, from their texts."""
    for first in range(0, len(raws), CHUNK):
        try:
            yield _ANNOTATIONS.decode(b'[' + b','.join(raws[first:first + CHUNK]) + b']')
        except (msgspec.DecodeError, msgspec.ValidationError) as err:
            raise annotation_spans.CutFailed(str(err)) from None


def _check(data: _Rest | _File, pieces: Iterator[list[Annotation]], raw: bytes, source: str, img_dir: str | None,
           image_check: str, limits: ReadLimits, annotations: memoryview | int) -> CocoColumns | None:
    """:func:`check_columns` for the file's images and categories (``data``) and its annotations, a piece at a
    time (``pieces``; :class:`~mmext.datasets.loading.annotation_spans.CutFailed` from them goes to the caller).
    ``annotations``: the annotations array's text, or how many annotations there are when that is known."""
    if data.images is UNSET or data.categories is UNSET:
        return None
    counted = annotation_spans.CountedPieces(pieces, limits, source)
    sizes = len(data.images), len(data.categories)
    try:
        file_rules.check_entries(limits, source, 'images', sizes[0])
        return _check_content(data, counted, raw, source, img_dir, image_check, limits)
    except ReadLimitError:
        # the reference reads the whole file first: it is invalid (a piece not read yet does not decode: the
        # caller hands the file over), or its first limit is the first list past max_entries, or this one
        counted.drain(annotations)
        for section, count in zip(file_rules.SECTIONS, (sizes[0], counted.total, sizes[1])):
            file_rules.check_entries(limits, source, section, count)
        raise


def _check_content(data: _Rest | _File, pieces: Iterator[list[Annotation]], raw: bytes, source: str,
                   img_dir: str | None, image_check: str, limits: ReadLimits) -> CocoColumns:
    """:func:`_check` within the limits."""
    out = CocoColumns(Report(source, limits=limits))
    report = out.report
    report.num_images = len(data.images)
    cats, dropped_cats = file_rules.check_categories(data.categories, report)
    images = _clean_images(data.images, img_dir) if image_check == 'none' else None
    if images is not None:
        dropped_imgs: dict = {}
    else:
        images, dropped_imgs = file_rules.check_images(_image_entries(data.images, raw), report, img_dir, image_check)
    if report.fatal:
        report.num_annotations = sum(map(len, pieces))
        return out
    kept_imgs = [img for img in images.values() if img is not None]
    widths = np.array([img['width'] for img in kept_imgs], np.int64)
    heights = np.array([img['height'] for img in kept_imgs], np.int64)
    ctx = Context(images, dropped_imgs, cats, dropped_cats, kept_imgs, widths, heights, report)
    del data
    chunks, first = [], 0
    piece: list = []
    for piece in pieces:
        chunks.append(check_chunk(piece, first, ctx))
        first += len(piece)
    del piece  # the last piece's structs: not needed from here on
    ctx.parser = None  # nor simdjson's buffers (tens of MB, sized for the largest chunk)
    report.num_annotations = first
    anns, kept, seg_present, polygon_texts, json_texts, ids = _merge(chunks)
    _renumber(ids, kept, anns.image, ctx.image_ids, images, report)
    file_rules.note_dropped_with(report)
    annotated = np.zeros(len(kept_imgs), bool)
    annotated[anns.image[kept]] = True
    file_rules.note_unannotated([kept_imgs[r] for r in np.flatnonzero(~annotated)], report)
    counts = dict(zip(ctx.category_ids, np.bincount(anns.category[kept], minlength=len(cats)).tolist()))
    out.ann_counts, out.has_segmentation = counts, bool(seg_present[kept].any())
    out.categories = file_rules.finish_categories(cats, counts, report)
    if not kept_imgs:
        report.add('empty_dataset', file_rules.why_empty(report))
    out.set_content(ctx.category_ids, ctx.image_ids, [img['file_name'] for img in kept_imgs], widths, heights,
                    anns, polygon_texts, json_texts, np.flatnonzero(kept))
    return out


def _merge(chunks: list[Chunk]) -> tuple[AnnotationColumns, np.ndarray, np.ndarray, list, list, Any]:
    """The chunks' columns as one (text offsets shifted), which annotations are kept, which have a
    segmentation key, the polygon texts (one per chunk), the other segmentations' JSON, and the ids (an int64
    array, or a list when some id is not a 64-bit integer)."""
    polygon_texts, json_texts, at = [], [], 0
    for chunk in chunks:
        cols, json_kind = chunk.columns, chunk.columns.seg_kind == SEG_JSON
        cols.seg_start[json_kind] += len(json_texts)
        cols.seg_start[~json_kind] += at
        cols.seg_end[~json_kind] += at
        polygon_texts.append(chunk.polygon_text)
        at += len(chunk.polygon_text)
        json_texts += chunk.json_texts
    if all(isinstance(chunk.ids, np.ndarray) for chunk in chunks):
        ids = np.concatenate([chunk.ids for chunk in chunks]) if chunks else np.zeros(0, np.int64)
    else:
        ids = [i for chunk in chunks for i in (chunk.ids.tolist() if isinstance(chunk.ids, np.ndarray) else chunk.ids)]
    merged = {}
    for name in AnnotationColumns.__dataclass_fields__:  # one column at a time, each chunk's freed once copied
        merged[name] = np.concatenate([getattr(c.columns, name) for c in chunks]) if chunks else _EMPTY[name]
        for chunk in chunks:
            setattr(chunk.columns, name, None)
    columns = AnnotationColumns(**merged)
    kept = np.concatenate([c.kept for c in chunks]) if chunks else np.zeros(0, bool)
    seg_present = np.concatenate([c.seg_present for c in chunks]) if chunks else np.zeros(0, bool)
    return columns, kept, seg_present, polygon_texts, json_texts, ids


_EMPTY = dict(image=np.zeros(0, np.int64), bbox=np.zeros((0, 4)), bbox_int=np.zeros(0, np.uint8),
              category=np.zeros(0, np.int64), ignore=np.zeros(0, np.uint8), seg_kind=np.zeros(0, np.uint8),
              seg_start=np.zeros(0, np.int64), seg_end=np.zeros(0, np.int64))


def _clean_images(structs: list[_Image], img_dir: str | None) -> dict | None:
    """Image id -> entry, when every image is clean without looking at its file (distinct integer or string ids,
    a file name inside the image folder, width and height numbers >= 1: what ``check_images`` passes without a
    word at level 'none'); None otherwise (``check_images`` then finds what is wrong)."""
    ids, names = [s.id for s in structs], [s.file_name for s in structs]
    widths, heights = [s.width for s in structs], [s.height for s in structs]
    if set(map(type, ids)) - {int, str} or len(set(ids)) != len(ids) or set(map(type, names)) - {str} \
            or not all(names) or not (_all_sizes(widths) and _all_sizes(heights)) or outside_images(img_dir, names):
        return None
    if set(map(type, widths)) != {int} or set(map(type, heights)) != {int}:
        widths, heights = [int(round(w)) for w in widths], [int(round(h)) for h in heights]
    return {i: dict(id=i, file_name=n, width=w, height=h) for i, n, w, h in zip(ids, names, widths, heights)}


def _all_sizes(values: list) -> bool:
    """Whether every value is an image size (``file_rules.is_size``: an int or float from 1 to MAX_SIDE)."""
    if set(map(type, values)) - {int, float}:
        return False
    try:
        found = np.array(values, np.float64)
    except OverflowError:
        return all(map(file_rules.is_size, values))
    return bool(np.all((found >= 1) & (found <= file_rules.MAX_SIDE)))


def _image_entries(structs: list[_Image], raw: bytes) -> list[dict]:
    """The image entries as dicts (only the keys the rules read), or, when one is broken, the whole entries
    (a ``bad_image`` message quotes the entry)."""
    if all(type(s.id) in _ID and type(s.file_name) is str and s.file_name for s in structs):
        return [{k: v for k, v in zip(('id', 'file_name', 'width', 'height'), (s.id, s.file_name, s.width,
                                                                              s.height)) if v is not UNSET}
                for s in structs]
    try:
        return msgspec.json.decode(raw, type=_ImagesOnly).images
    except (msgspec.DecodeError, msgspec.ValidationError) as err:  # (1e400 in an entry, or a piece not read yet)
        raise annotation_spans.CutFailed(str(err)) from None


def _repeated(values: np.ndarray) -> np.ndarray:
    """Which values occurred before (the second and later occurrences of each)."""
    again = np.zeros(len(values), bool)
    if len(values) < 2 or np.all(values[1:] > values[:-1]):  # increasing: distinct
        return again
    low, high = int(values.min()), int(values.max())
    if high - low < 8 * len(values):  # ids are usually dense: count them instead of sorting
        counts = np.bincount(values - low)
        maybe = np.flatnonzero(counts[values - low] > 1)
        if not len(maybe):
            return again
        values, positions = values[maybe], maybe
    else:
        positions = np.arange(len(values))
    _, first = np.unique(values, return_index=True)  # stable: the first occurrence of each
    again[positions] = True
    again[positions[first]] = False
    return again


def _renumber(all_ids: np.ndarray | list, kept: np.ndarray, image_rows: np.ndarray, image_ids: list,
              images: dict, report: Report) -> None:
    """``check_coco``'s new ids for kept annotations whose id is missing, not an integer, or used before.

    Args:
        all_ids: Every annotation's id: an int64 array, or a list (UNSET: none) when some id is not a 64-bit
            integer.
        kept: Which annotations are kept.
        image_rows: The image row of every annotation.
        image_ids: The image id of every row.
    """
    index = np.flatnonzero(kept)
    if isinstance(all_ids, np.ndarray):
        values = all_ids[index]
        again = _repeated(values)
        max_id = max(0, int(values.max())) if len(values) else 0
        ids = values.tolist() if again.any() else []
    else:  # a missing, string or huge id somewhere: one by one
        ids = [all_ids[i] for i in index.tolist()]
        seen: set = set()
        again, max_id = np.zeros(len(ids), bool), 0
        for k, aid in enumerate(ids):
            if type(aid) is int and aid not in seen:
                seen.add(aid)
                max_id = max(max_id, aid)
            else:
                again[k] = True
    renumber = [dict(image_id=image_ids[image_rows[index[k]]], **({} if ids[k] is UNSET else dict(id=ids[k])))
                for k in np.flatnonzero(again).tolist()]
    file_rules.renumber_ids(renumber, max_id, images, report)
