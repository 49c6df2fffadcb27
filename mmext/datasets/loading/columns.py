"""A checked COCO file as a few numpy arrays: what ``CustomCocoDataset`` keeps instead of one dict per image.

mmdet keeps a dict per image with a dict per object (and mmengine pickles them into one byte buffer so that
dataloader workers share it). Here the usable content is held column by column: per image its id, file name and
size; per annotation, grouped by image, its box, category, ignore flag and segmentation (the segmentation as its
JSON text, decoded only when its image is asked for). There is no Python object per image or per annotation, so
forked dataloader workers share the arrays untouched (reading a numpy array writes no reference count into its
data), and :meth:`CocoColumns.instances` builds an image's instances with the same keys, types and values as the
per-image dicts did.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from mmext.datasets.checks.problems import Report
from mmext.datasets.loading.json_text import decode_json

_INT64_LIMIT = 2 ** 63
# the kinds of segmentation an annotation has (column CocoColumns.seg_kind)
SEG_EMPTY, SEG_POLYGONS, SEG_JSON = 0, 1, 2


class TextColumn:
    """Byte strings in one buffer (``data``) with end offsets: no Python object per entry.

    Args:
        items: The byte strings.
    """

    def __init__(self, items: Sequence[bytes]) -> None:
        self.data = np.frombuffer(b''.join(items), np.uint8)
        self.ends = np.cumsum(np.fromiter(map(len, items), np.int64, count=len(items)))

    def __len__(self) -> int:
        return len(self.ends)

    def __getitem__(self, i: int) -> bytes:
        start = self.ends[i - 1] if i > 0 else 0
        return self.data[start:self.ends[i]].tobytes()


class JoinedText:
    """Byte buffers read as their concatenation, which is never made: ``text[start:end]`` of it, for slices that
    lie within one buffer (each annotation's polygons lie within the text of its chunk).

    Args:
        parts: The buffers.
    """

    def __init__(self, parts: Sequence[bytes]) -> None:
        self.parts = [np.frombuffer(part, np.uint8) for part in parts]
        self.starts = np.cumsum([0] + [len(part) for part in self.parts])

    def __len__(self) -> int:
        return int(self.starts[-1])

    def slice(self, start: int, end: int) -> bytes:
        k = int(np.searchsorted(self.starts, start, side='right')) - 1
        return self.parts[k][start - self.starts[k]:end - self.starts[k]].tobytes()


def int64_array(values: Sequence[Any]) -> np.ndarray | None:
    """``values`` as int64 when every one is a Python int that fits in 64 bits (a bool or a float is not an int
    here); None otherwise."""
    if set(map(type, values)) <= {int}:
        try:
            return np.array(values, np.int64)
        except OverflowError:
            pass
    return None


class IdColumn:
    """Image ids, which COCO allows to be integers or strings: an int64 array, plus the text of any id that does
    not fit it (a string, or an integer beyond 64 bits), so that each id comes back as the same Python value.

    Args:
        ids: The ids.
    """

    def __init__(self, ids: Sequence[Any]) -> None:
        self.ints, self.kinds, self.text = int64_array(ids), None, None
        if self.ints is None:
            self.kinds = np.array([0 if type(i) is int and -_INT64_LIMIT <= i < _INT64_LIMIT else
                                   1 if type(i) is str else 2 for i in ids], np.uint8)
            self.ints = np.array([i if k == 0 else 0 for i, k in zip(ids, self.kinds)], np.int64)
            # (surrogatepass: json gives a lone surrogate for '\\ud800')
            self.text = TextColumn([b'' if k == 0 else str(i).encode('utf-8', 'surrogatepass')
                                    for i, k in zip(ids, self.kinds)])

    def __len__(self) -> int:
        return len(self.ints)

    def __getitem__(self, i: int) -> int | str:
        kind = 0 if self.kinds is None else self.kinds[i]
        if kind == 0:
            return int(self.ints[i])
        text = self.text[i].decode('utf-8', 'surrogatepass')
        return text if kind == 1 else int(text)


@dataclass
class AnnotationColumns:
    """The kept annotations in file order, one entry per annotation (built by the loaders).

    Attributes:
        image: The row of its image in :attr:`CocoColumns.file_names` and the other image columns.
        bbox: ``[x, y, w, h]`` after the rules' corrections, as float64.
        bbox_int: Bit j set where coordinate j is a Python int (json ``3``, not ``3.0``): given back as an int.
        category: The category: an index into :attr:`CocoColumns.category_ids`.
        ignore: 1 for a crowd region or an ``ignore`` annotation.
        seg_kind: ``SEG_EMPTY`` (no segmentation, or an empty one), ``SEG_POLYGONS`` (``seg_start:seg_end`` in
            :attr:`CocoColumns.polygon_text`: see :class:`mmext.datasets.loading.polygon_rule.Polygons`) or ``SEG_JSON``
            (the segmentation's whole JSON text in :attr:`CocoColumns.json_text`, entry ``seg_start``).
    """
    image: np.ndarray
    bbox: np.ndarray
    bbox_int: np.ndarray
    category: np.ndarray
    ignore: np.ndarray
    seg_kind: np.ndarray
    seg_start: np.ndarray
    seg_end: np.ndarray

    def take(self, index: np.ndarray, in_place: bool = False) -> AnnotationColumns:
        """The entries at ``index``; ``in_place``: replacing this object's columns one at a time (so that the
        whole set is never in memory twice)."""
        if not in_place:
            return AnnotationColumns(*(getattr(self, name)[index] for name in self.__dataclass_fields__))
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name)[index])
        return self


@dataclass
class CocoColumns:
    """The usable content of an annotation file, as arrays, and the report of what the rules found.

    Made by :func:`mmext.datasets.loading.fast_reader.load_columns` (or from a :class:`~mmext.datasets.checks.file_rules.CheckedCoco`
    with :func:`from_checked`). ``report``, ``categories``, ``ann_counts`` and ``has_segmentation`` mean what
    they mean in ``CheckedCoco``.

    Attributes:
        ids, file_names, widths, heights: The usable images, in the order ``CheckedCoco.images`` has them.
        ann_start: Image row r's annotations are ``ann_start[r]:ann_start[r + 1]`` of the annotation columns
            (file order within an image).
        anns: The annotation columns, grouped by image.
        polygon_text, json_text: Where the segmentations' JSON is (see :class:`AnnotationColumns`); the polygon
            text is each chunk's, as the loader made it, read as one.
    """
    report: Report
    categories: list[dict] = field(default_factory=list)
    category_ids: list = field(default_factory=list)
    ann_counts: dict[int, int] = field(default_factory=dict)
    has_segmentation: bool = False
    ids: IdColumn | None = None
    file_names: TextColumn | None = None
    widths: np.ndarray | None = None
    heights: np.ndarray | None = None
    ann_start: np.ndarray | None = None
    anns: AnnotationColumns | None = None
    polygon_text: JoinedText | None = None
    json_text: TextColumn | None = None

    def set_content(self, category_ids: list, ids: Sequence[Any], file_names: Sequence[str], widths: Sequence[int],
                    heights: Sequence[int], anns: AnnotationColumns, polygon_texts: Sequence[bytes],
                    json_texts: Sequence[bytes], kept: np.ndarray | None = None) -> None:
        """Fill the columns from the category ids the annotations' ``category`` indexes, the kept images (in
        order) and the annotations (in file order; only those at the positions ``kept`` when it is given)."""
        self.category_ids = category_ids
        self.ids = IdColumn(ids)
        self.file_names = TextColumn([name.encode('utf-8', 'surrogatepass') for name in file_names])
        self.widths, self.heights = np.array(widths, np.int64), np.array(heights, np.int64)
        kept = np.arange(len(anns.image)) if kept is None else kept
        image = anns.image[kept]
        order = np.argsort(image, kind='stable')  # grouped by image, file order within an image
        self.anns = anns.take(kept[order], in_place=True)  # (the caller's columns: built for this)
        self.ann_start = np.zeros(len(self.widths) + 1, np.int64)
        np.cumsum(np.bincount(image, minlength=len(self.widths)), out=self.ann_start[1:])
        self.polygon_text = JoinedText(polygon_texts)
        self.json_text = TextColumn(json_texts)

    def __len__(self) -> int:
        return 0 if self.widths is None else len(self.widths)

    def file_name(self, row: int) -> str:
        return self.file_names[row].decode('utf-8', 'surrogatepass')

    def labels(self, cat2label: dict) -> np.ndarray:
        """Per annotation (grouped order), the label of its category, -1 for a category not in ``cat2label``."""
        of_category = np.array([cat2label.get(cid, -1) for cid in self.category_ids] + [-1], np.int64)
        return of_category[self.anns.category]

    def num_instances(self, labels: np.ndarray) -> np.ndarray:
        """Per image, how many annotations have a label (``labels[k] >= 0``)."""
        has_label = (labels >= 0).astype(np.int64)
        return np.add.reduceat(np.append(has_label, 0), self.ann_start[:-1]) * (np.diff(self.ann_start) > 0)

    def instances(self, row: int, labels: np.ndarray, with_masks: bool) -> list[dict]:
        """Image ``row``'s annotations that have a label, in mmdet's instance format.

        Args:
            row: The image row.
            labels: Per annotation (in the grouped order), its label, or -1 to leave it out.
            with_masks: Give every instance a ``mask`` (the segmentation, or ``[]``).

        Returns:
            ``[dict(bbox=[x1, y1, x2, y2], bbox_label=..., ignore_flag=..., mask=...), ...]``.
        """
        a0, a1 = int(self.ann_start[row]), int(self.ann_start[row + 1])
        anns = self.anns
        boxes, ints = anns.bbox[a0:a1].tolist(), anns.bbox_int[a0:a1].tolist()
        found = []
        for k, (label, ignore) in enumerate(zip(labels[a0:a1].tolist(), anns.ignore[a0:a1].tolist())):
            if label < 0:
                continue
            x, y, w, h = boxes[k] if not ints[k] else [int(v) if ints[k] >> j & 1 else v
                                                        for j, v in enumerate(boxes[k])]
            instance = dict(bbox=[x, y, x + w, y + h], bbox_label=label, ignore_flag=ignore)
            if with_masks:
                instance['mask'] = self.segmentation(a0 + k)
            found.append(instance)
        return found

    def segmentation(self, k: int) -> Any:
        """Annotation ``k``'s segmentation as json would give it (``[]`` for none)."""
        kind = self.anns.seg_kind[k]
        if kind == SEG_POLYGONS:
            from mmext.datasets.loading.polygon_rule import polygons_from_text
            return polygons_from_text(self.polygon_text.slice(int(self.anns.seg_start[k]), int(self.anns.seg_end[k])))
        if kind == SEG_JSON:
            return decode_json(self.json_text[int(self.anns.seg_start[k])]) or []
        return []


def box_int_bits(box: Sequence[Any]) -> int:
    """The ``bbox_int`` bits of a box of Python numbers."""
    return sum(1 << j for j, v in enumerate(box) if type(v) is int)


def from_checked(checked: Any) -> CocoColumns:
    """The columns of a :class:`~mmext.datasets.checks.file_rules.CheckedCoco` (the content json.loads gave)."""
    out = CocoColumns(checked.report, categories=checked.categories, ann_counts=checked.ann_counts,
                      has_segmentation=checked.has_segmentation)
    images = checked.images
    row_of = {img['id']: r for r, img in enumerate(images)}
    category_ids = [c['id'] for c in checked.categories]
    code_of = {cid: k for k, cid in enumerate(category_ids)}
    anns = checked.annotations
    texts = [json.dumps(a['segmentation']).encode() if a.get('segmentation') else b'' for a in anns]
    columns = AnnotationColumns(
        image=np.array([row_of[a['image_id']] for a in anns], np.int64),
        bbox=np.array([a['bbox'] for a in anns], np.float64).reshape(-1, 4),
        bbox_int=np.array([box_int_bits(a['bbox']) for a in anns], np.uint8),
        category=np.array([code_of[a['category_id']] for a in anns], np.int64),
        ignore=np.array([1 if a.get('iscrowd') or a.get('ignore') else 0 for a in anns], np.uint8),
        seg_kind=np.array([SEG_JSON if t else SEG_EMPTY for t in texts], np.uint8),
        seg_start=np.arange(len(anns), dtype=np.int64), seg_end=np.zeros(len(anns), np.int64))
    out.set_content(category_ids, [img['id'] for img in images], [img['file_name'] for img in images],
                    [img['width'] for img in images], [img['height'] for img in images], columns, [], texts)
    return out
