"""The annotation rules: one pass over a parsed COCO file that records every problem and keeps what is usable.

The same function serves ``CustomCocoDataset`` (at load, under ``policy='strict'`` or ``'warn'``) and
``tools/check_dataset.py`` (report, ``--fix``): what is kept here is exactly what the dataset trains on and what
``--fix`` writes. Kinds and their handling are listed in :mod:`mmext.datasets.checks.problems`.

It is written for large files: one loop over the annotations with cheap type tests, no pycocotools index. The
dataset applies the same rules a chunk of annotations at a time with numpy (:mod:`mmext.datasets.loading.fast_reader`),
calling :func:`check_entry` for what numpy cannot clear.
"""
from __future__ import annotations

import os.path as osp
from dataclasses import dataclass, field
from typing import Any

from mmext.datasets.checks.annotation_rules import check_annotation, where
from mmext.datasets.checks.image_files import LEVELS, probe_image
from mmext.datasets.checks.limits import ReadLimits
from mmext.datasets.checks.problems import Problem, Report, short_repr
from mmext.datasets.paths import outside_images, why_outside

SECTIONS = ('images', 'annotations', 'categories')
MAX_SIDE = 2 ** 31 - 1  # the largest image side: OpenCV and mmcv hold sizes as 32-bit integers
_NUM = (int, float)
_ID = (int, str)


@dataclass
class CheckedCoco:
    """What is left of an annotation file after the rules, and the report of what was found.

    Attributes:
        report: Every problem found.
        images: Usable image entries (sizes filled in), in file order.
        annotations: Usable annotations (boxes clipped, ids unique ...), in file order.
        categories: Usable categories, sorted by id, label-tool placeholders left out.
        ann_counts: Usable annotations per category id.
        extra: The file's other top-level keys (``info``, ``licenses`` ...), kept for ``--fix``.
        has_segmentation: Whether any annotation carries a segmentation.
    """
    report: Report
    images: list[dict] = field(default_factory=list)
    annotations: list[dict] = field(default_factory=list)
    categories: list[dict] = field(default_factory=list)
    ann_counts: dict[int, int] = field(default_factory=dict)
    extra: dict = field(default_factory=dict)
    has_segmentation: bool = False

    def to_coco(self) -> dict:
        """The corrected file's content (what ``--fix`` writes)."""
        return dict(self.extra, images=self.images, annotations=self.annotations, categories=self.categories)


def check_coco(data: Any, source: str, img_dir: str | None = None, image_check: str = 'none',
               limits: ReadLimits | None = None) -> CheckedCoco:
    """Apply every annotation rule to parsed json content.

    Args:
        data: The parsed json (anything: a non-COCO value becomes a ``not_coco`` problem).
        source: The file's path, for messages.
        img_dir: The image folder (``file_name`` is relative to it). Needed to read sizes missing from the json
            and to check image files.
        image_check: How closely to look at every image file: ``'none'``, ``'exists'``, ``'header'`` or
            ``'decode'`` (see :func:`mmext.datasets.checks.image_files.probe_image`). Images whose size is missing are
            always read at ``'header'`` level.
        limits: The read limits (entries, problems, polygon points). Defaults to :meth:`ReadLimits.get`.

    Returns:
        The usable content and the report. Never raises for bad content (the caller applies the policy), only
        for content past the read limits.

    Raises:
        DatasetError: Past a read limit.
    """
    if image_check not in LEVELS:
        raise ValueError(f'image_check must be one of {LEVELS}, got {image_check!r}')
    limits = ReadLimits.get(limits)
    out = CheckedCoco(Report(source, limits=limits))
    report = out.report
    for kind, detail in section_problems(data):
        report.add(kind, detail)
    if report.fatal:
        return out
    for key in SECTIONS:
        check_entries(limits, source, key, len(data.get(key, ())))
    out.extra = {k: v for k, v in data.items() if k not in SECTIONS}
    images_only = 'annotations' not in data
    if images_only:
        report.add('images_only', "no 'annotations' list: an image-info file (a test split), nothing to train on")
        data['annotations'] = []
    report.num_images, report.num_annotations = len(data['images']), len(data['annotations'])
    cats, dropped_cats = check_categories(data['categories'], report)
    images, dropped_imgs = check_images(data['images'], report, img_dir, image_check)
    if report.fatal:
        return out
    anns = _check_annotations(data['annotations'], images, cats, dropped_imgs, dropped_cats, report, out)
    out.images = [img for img in images.values() if img is not None]
    out.annotations = anns
    _note_empty_images(out.images, anns, report)
    out.categories = finish_categories(cats, None if images_only else out.ann_counts, report)
    if not out.images:
        report.add('empty_dataset', why_empty(report))
    return out


def check_entries(limits: ReadLimits, source: str, section: str, count: int) -> None:
    """Raise when a list has more entries than the read limit ``max_entries``."""
    limits.check(source, count, 'max_entries', f"the '{section}' list holds more than {limits.max_entries:,} entries")


def section_problems(data: Any) -> list[tuple[str, str]]:
    """(kind, detail) for a top level that is not an object with images, annotations and categories lists."""
    if not isinstance(data, dict):
        return [('not_coco', f'the top level is a {type(data).__name__}, not an object with images, annotations '
                             'and categories')]
    found = []
    for key in SECTIONS:
        if key not in data:
            if key != 'annotations':  # an image-info file (a test split) has none
                found.append(('missing_section', f"the '{key}' list is missing (top-level keys: "
                                                  f'{sorted(data)[:10]})'))
        elif not isinstance(data[key], list):
            found.append(('not_coco', f"'{key}' is a {type(data[key]).__name__}, not a list"))
    return found


def check_categories(entries: list, report: Report) -> tuple[dict[int, dict], dict[Any, Problem]]:
    """Usable categories by id (file order) and the drop problem per dropped category id."""
    cats: dict[int, dict] = {}
    dropped: dict[Any, Problem] = {}
    names: dict[str, int] = {}
    for i, cat in enumerate(entries):
        cid = cat.get('id') if isinstance(cat, dict) else None
        name = cat.get('name') if isinstance(cat, dict) else None
        if type(cid) is not int or not isinstance(name, str) or not name.strip():
            problem = report.add('bad_category', f'categories[{i}] = {short_repr(cat)} needs an integer id and a '
                                                 'non-empty name', category_id=cid if _hashable(cid) else None)
            if _hashable(cid):
                dropped[cid] = problem
            continue
        if cid in cats:
            report.add('duplicate_category_id', f"category id {cid} is used by '{cats[cid]['name']}' and "
                                                f"'{name}'", category_id=cid)
            continue
        if name in names:
            report.add('duplicate_category_name', f"the name '{name}' is used by category ids {names[name]} and "
                                                  f'{cid}', category_id=cid)
            continue
        cats[cid], names[name] = cat, cid
    if not cats and not report.fatal:
        report.add('no_categories', 'the categories list has no usable category' if entries else
                   'the categories list is empty')
    return cats, dropped


def check_images(entries: list, report: Report, img_dir: str | None, level: str
                  ) -> tuple[dict[Any, dict | None], dict[Any, Problem]]:
    """Images by id (None for an id whose entries are all dropped) and the drop problem per dropped id."""
    images: dict[Any, dict | None] = {}
    dropped: dict[Any, Problem] = {}
    duplicates: dict[Any, list[dict]] = {}
    for i, img in enumerate(entries):
        iid = img.get('id') if isinstance(img, dict) else None
        name = img.get('file_name') if isinstance(img, dict) else None
        if type(iid) not in _ID or not isinstance(name, str) or not name:
            problem = report.add('bad_image', f'images[{i}] = {short_repr(img)} needs an integer id and a file_name',
                                 image_id=iid if _hashable(iid) else None)
            if _hashable(iid) and iid is not None:
                dropped[iid] = problem
            continue
        if iid in images or iid in duplicates:
            duplicates.setdefault(iid, [images.pop(iid)] if iid in images else []).append(img)
            continue
        images[iid] = img
    for iid, copies in duplicates.items():
        if all(_same_image(c, copies[0]) for c in copies):
            images[iid] = copies[0]
            report.add('duplicate_image_id', f'listed {len(copies)} times with the same file; kept once',
                       image_id=iid, file_name=copies[0]['file_name'])
        else:
            names = sorted({c['file_name'] for c in copies})
            dropped[iid] = report.add('duplicate_image_id', f'used by {len(copies)} entries with different files '
                                                            f'{names[:4]}; all dropped', image_id=iid)
    outside = set(outside_images(img_dir, [img['file_name'] for img in images.values()]))
    for k, (iid, img) in enumerate(images.items()):
        if k in outside:  # never opened: it may be any file on the machine
            name = img['file_name']
            problem = report.add('image_path_outside', f'file_name {short_repr(name)} is outside the image folder '
                                                       f'{img_dir}: it {why_outside(img_dir, name)}', image_id=iid,
                                 file_name=name)
        else:
            problem = _resolve_size(img, report, img_dir, level)
        if problem is not None:
            dropped[iid], images[iid] = problem, None
    return images, dropped


def is_size(value: Any) -> bool:
    """Whether ``value`` is an image width or height: a number from 1 to :data:`MAX_SIDE` (bools are not)."""
    # the float test is a range test: NaN fails it, and an int is never converted (json allows any length)
    return (type(value) is int and 1 <= value <= MAX_SIDE) or (type(value) is float and 1.0 <= value <= MAX_SIDE)


def _same_image(a: dict, b: dict) -> bool:
    return all(a.get(k) == b.get(k) for k in ('file_name', 'width', 'height'))


def _resolve_size(img: dict, report: Report, img_dir: str | None, level: str) -> Problem | None:
    """Check an image's size (and file); fill in or correct width/height. The problem when the image must go."""
    w, h = img.get('width'), img.get('height')
    has_size = is_size(w) and is_size(h)
    ids = dict(image_id=img['id'], file_name=img['file_name'])
    if has_size and level == 'none':
        img['width'], img['height'] = int(round(w)), int(round(h))
        return None
    if img_dir is None:
        if has_size:
            img['width'], img['height'] = int(round(w)), int(round(h))
            return None
        return report.add('size_unreadable', f'width/height are {short_repr(w)}/{short_repr(h)} and no image folder '
                                             'was given to read them from', **ids)
    path = osp.join(img_dir, img['file_name'])
    probe = probe_image(path, 'header' if level in ('none', 'exists') and not has_size else level)
    if probe.kind is not None and probe.kind != 'image_wrong_extension':
        kind = probe.kind if probe.kind.startswith('image_') or has_size else 'size_unreadable'
        return report.add(kind, probe.detail, **ids)
    if probe.kind == 'image_wrong_extension':
        report.add(probe.kind, probe.detail, **ids)
    if probe.size is None:  # level 'exists': the file is there, the json size stands
        img['width'], img['height'] = int(round(w)), int(round(h))
        return None
    if not has_size:
        report.add('size_from_header', f'width/height are {short_repr(w)}/{short_repr(h)}; read '
                                       f'{probe.size[0]}x{probe.size[1]} from the file', **ids)
    elif (int(round(w)), int(round(h))) != probe.size:
        report.add('size_mismatch', f'the json says {w}x{h} but {path} is {probe.size[0]}x{probe.size[1]} '
                                    '(width x height, EXIF rotation applied)', **ids)
    img['width'], img['height'] = probe.size
    return None


def _check_annotations(entries: list, images: dict, cats: dict, dropped_imgs: dict, dropped_cats: dict,
                       report: Report, out: CheckedCoco) -> list[dict]:
    kept: list[dict] = []
    counts = dict.fromkeys(cats, 0)
    seen_ids: set = set()
    renumber: list[dict] = []
    max_id = 0
    for i, ann in enumerate(entries):
        if not check_entry(i, ann, images, cats, dropped_imgs, dropped_cats, report):
            continue
        aid = ann.get('id')
        if type(aid) is int and aid not in seen_ids:
            seen_ids.add(aid)
            if aid > max_id:
                max_id = aid
        else:
            renumber.append(ann)
        counts[ann['category_id']] += 1
        kept.append(ann)
    out.has_segmentation = any('segmentation' in ann for ann in kept)
    renumber_ids(renumber, max_id, images, report)
    out.ann_counts = counts
    return kept


def check_entry(i: int, ann: Any, images: dict, cats: dict, dropped_imgs: dict, dropped_cats: dict,
                report: Report) -> bool:
    """Every rule for ``annotations[i]``: its image and category, then :func:`check_annotation`.

    Args:
        i: The annotation's index in the file (for messages).
        ann: The entry (changed in place by the corrections).
        images: Image id -> usable image entry, or None for an id whose entries were dropped.
        cats: Usable category id -> category.
        dropped_imgs: Dropped image id -> its problem (counts the annotations dropped with it).
        dropped_cats: Dropped category id -> its problem.
        report: Where problems go.

    Returns:
        Whether the annotation is kept.
    """
    if not isinstance(ann, dict):
        report.add('bad_annotation', f'annotations[{i}] is a {type(ann).__name__}, not an object')
        return False
    iid, cid = ann.get('image_id'), ann.get('category_id')
    if iid is None or cid is None:
        report.add('bad_annotation', f'annotations[{i}] has no {"image_id" if iid is None else "category_id"}',
                   **where(ann, None))
        return False
    img = images.get(iid) if type(iid) in _ID else None
    if img is None:
        if type(iid) in _ID and iid in dropped_imgs:
            dropped_imgs[iid].dropped_with += 1
        else:
            report.add('unknown_image', f'image_id {short_repr(iid)} is not in the images list', **where(ann, None))
        return False
    if type(cid) is not int or cid not in cats:
        if type(cid) is int and cid in dropped_cats:
            dropped_cats[cid].dropped_with += 1
        else:
            report.add('unknown_category', f'category_id {short_repr(cid)} is not in the categories list',
                       **where(ann, img))
        return False
    try:
        return check_annotation(ann, img, report)
    except OverflowError:  # an integer too large for a float (json allows any length)
        report.add('nonfinite_bbox', 'a number in bbox, area or segmentation is too large for a float',
                   **where(ann, img))
        return False


def renumber_ids(renumber: list[dict], max_id: int, images: dict, report: Report) -> None:
    """Give the kept annotations whose id is missing, not an integer or used before a new id after the largest."""
    for new_id, ann in enumerate(renumber, start=max_id + 1):
        report.add('bad_annotation_id', f'id {short_repr(ann.get("id"))} is missing, not an integer, or used '
                                        f'before; now {new_id}', **where(ann, images[ann['image_id']]))
        ann['id'] = new_id


def _note_empty_images(images: list[dict], anns: list[dict], report: Report) -> None:
    note_dropped_with(report)
    annotated = {ann['image_id'] for ann in anns}
    note_unannotated([img for img in images if img['id'] not in annotated], report)


def note_dropped_with(report: Report) -> None:
    """Annotations of a dropped image / category went with it: say how many, never silently."""
    for problem in report.problems:
        n = problem.dropped_with
        if n:
            problem.detail += f'; its {n} annotation{"s" if n > 1 else ""} dropped with it'


def note_unannotated(images: list[dict], report: Report) -> None:
    """Note each of these (usable) images as having no annotation."""
    for img in images:
        report.add('image_unannotated', 'no annotations', image_id=img['id'], file_name=img['file_name'])


def finish_categories(cats: dict[int, dict], counts: dict[int, int] | None, report: Report) -> list[dict]:
    """Categories sorted by id, placeholders left out (``counts`` None: an image-info file, nothing to count)."""
    ordered = list(cats.values())
    if [c['id'] for c in ordered] != sorted(cats):
        report.add('categories_unsorted', f'categories are listed in the id order {[c["id"] for c in ordered][:12]}')
    if counts is None:
        return [cats[cid] for cid in sorted(cats)]
    kept = []
    for cid in sorted(cats):
        cat = cats[cid]
        if counts.get(cid, 0) == 0:
            others = [c for c in cats.values() if c is not cat]
            if others and all(c.get('supercategory') == cat['name'] for c in others):
                report.add('placeholder_category', f"'{cat['name']}' has no annotations and is the supercategory "
                                                   'of every other category (a label tool\'s placeholder)',
                           category_id=cid)
                continue
            report.add('unused_category', f"'{cat['name']}' has no annotations", category_id=cid)
        kept.append(cat)
    return kept


def why_empty(report: Report) -> str:
    """The detail of ``empty_dataset``: what was dropped, by kind."""
    dropped = [(k, len(v)) for k, v in report.by_kind().items() if k != 'empty_dataset']
    why = ', '.join(f'{n} {k}' for k, n in dropped) or 'the images list is empty'
    return f'no usable image is left ({why})'


def _hashable(value: Any) -> bool:
    return value is None or isinstance(value, (int, str, float))

