"""YOLO txt labels (one ``class cx cy w h`` line per box, or ``class x1 y1 x2 y2 ...`` per polygon, all normalised
to 0..1) into COCO."""
from __future__ import annotations

import os
import os.path as osp
from math import isfinite

from mmext.datasets.convert.class_list import CLASS_FILES, find_class_list, read_class_list
from mmext.datasets.convert.report import ConvertReport
from mmext.datasets.convert.sizes import IMAGE_EXTENSIONS, walk_files
from mmext.datasets.convert.sniff import format_hint
from mmext.datasets.convert.writer import CocoWriter, Converted
from mmext.errors import DatasetError

_NORMALISED = (-1.0, 2.0)  # beyond this a coordinate is in pixels, not normalised (a little outside is clipped)


def label_path(image: str) -> str:
    """Where YOLO (v5 on) keeps an image's labels: the last ``images`` folder of its path replaced by
    ``labels``, the extension by ``.txt``; without an ``images`` folder, next to the image."""
    parts = osp.abspath(image).split(os.sep)
    if 'images' in parts[:-1]:
        i = len(parts) - 2 - parts[-2::-1].index('images')
        parts[i] = 'labels'
    return osp.splitext(os.sep.join(parts))[0] + '.txt'


def convert_yolo(src: str, img_dir: str | None = None, classes: str | None = None) -> Converted:
    """Convert a YOLO dataset folder.

    Images are found under ``src`` (at any depth); each one's labels are at :func:`label_path` or next to it. An
    image without a label file is kept as a background image (YOLO's convention), with a note.

    Args:
        src: The dataset folder (``images/`` + ``labels/``, a split folder such as ``images/train``, or one
            folder holding images and txt files side by side).
        img_dir: The folder file names are relative to (``src`` or one above it). Defaults to ``src``.
        classes: The class list (``data.yaml`` or a txt file); by default the first of ``data.yaml``,
            ``classes.txt``, ``obj.names``, ... in ``src`` or up to three folders above it.

    Returns:
        The converted content.

    Raises:
        DatasetError: ``src`` is not a folder, there is no class list, or no label file belongs to any image.
    """
    if not osp.isdir(src):
        raise DatasetError(f'{src}: a YOLO dataset is a folder (images/ and labels/, or images and .txt labels '
                           'side by side)')
    class_file = classes or find_class_list(src)
    if class_file is None:
        raise DatasetError(f'{src}: no class list (one of {", ".join(CLASS_FILES)}) in it or in the folders above '
                           'it; pass --classes FILE (data.yaml with names: [...], or one name a line).'
                           + format_hint(src, 'yolo'))
    names = read_class_list(class_file)
    img_dir = img_dir or src
    report = ConvertReport(src)
    writer = CocoWriter(report, [names[i] for i in sorted(names)], closed=True)  # indices may have gaps
    category = {i: writer.category(names[i], class_file, '') for i in names}
    used: set[str] = set()
    images = walk_files(src, IMAGE_EXTENSIONS)
    for path in images:
        label = label_path(path)
        if not osp.isfile(label):
            label = osp.splitext(path)[0] + '.txt'
        _convert_image(path, label if osp.isfile(label) else None, img_dir, category, class_file, writer)
        used.add(osp.abspath(label))
    _report_orphans(src, used, report)
    if not any(u for u in used if osp.isfile(u)):
        raise DatasetError(f'{src}: no YOLO label file found for any of its {len(images)} images (looked in '
                           'labels/ beside images/, and next to each image).' + format_hint(src, 'yolo'))
    content = writer.to_coco(f'converted from YOLO labels in {src} by mmext')
    return Converted(content, img_dir, report)


def _convert_image(path: str, label: str | None, img_dir: str, category: dict, class_file: str,
                   writer: CocoWriter) -> None:
    report = writer.report
    source = label or path
    lines = []
    if label is not None:
        report.files += 1
        with open(label, encoding='utf-8', errors='replace') as f:
            lines = f.read().splitlines()
    img = writer.image(path, img_dir, source, objects=sum(bool(line.strip()) for line in lines))
    if img is None:
        return
    if label is None:
        report.note(path, '', 'no label file: kept as a background image (no objects)', 'no label file')
    for number, line in enumerate(lines, 1):
        if line.strip():
            _convert_line(line, f'line {number}', img, category, class_file, writer, label)


def _convert_line(line: str, where: str, img: dict, category: dict, class_file: str, writer: CocoWriter,
                  source: str) -> None:
    report = writer.report
    try:
        values = [float(v) for v in line.split()]
    except ValueError:
        report.skip('annotation', source, where, f'{line.strip()[:60]!r} is not a list of numbers; skipped',
                    'unreadable line')
        return
    cls, coords = values[0], values[1:]
    if not cls.is_integer() or int(cls) not in category:
        top = max(category)
        report.skip('annotation', source, where, f'class index {line.split()[0]} is not in the class list '
                    f'({class_file} has {len(category)} classes, 0..{top}); skipped', 'class index out of range')
        return
    if len(coords) != 4 and (len(coords) < 6 or len(coords) % 2):
        report.skip('annotation', source, where, f'{len(coords)} numbers after the class: a box needs 4 (cx cy w '
                    'h), a polygon 2 per point (at least 3 points); skipped', 'wrong number of values')
        return
    if not all(isfinite(v) and _NORMALISED[0] <= v <= _NORMALISED[1] for v in coords):
        report.skip('annotation', source, where, f'coordinates {coords[:4]}... are not normalised to 0..1 (YOLO '
                    'divides by the image width and height); skipped', 'not normalised')
        return
    width, height = img['width'], img['height']
    if len(coords) == 4:
        cx, cy, w, h = coords
        box = [(cx - w / 2) * width, (cy - h / 2) * height, w * width, h * height]
        writer.add(img, category[int(cls)], box, source, where)
        return
    points = [v * (width if i % 2 == 0 else height) for i, v in enumerate(coords)]
    xs, ys = points[0::2], points[1::2]
    box = [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]
    writer.add(img, category[int(cls)], box, source, where, segmentation=[points])


def _report_orphans(src: str, used: set[str], report: ConvertReport) -> None:
    """A label file that no image claims is never dropped silently."""
    roots = {osp.abspath(src), osp.dirname(label_path(osp.join(src, 'x.jpg')))}
    for root in sorted(r for r in roots if osp.isdir(r)):
        for path in walk_files(root, ('.txt',)):
            if osp.abspath(path) in used or osp.basename(path) in CLASS_FILES:
                continue
            with open(path, encoding='utf-8', errors='replace') as f:
                first = next((line for line in f if line.strip()), '')
            if not first or first.split()[0].replace('.', '', 1).isdigit():  # a label file, not a list of paths
                report.skip('file', path, '', 'a label file with no image of the same name; skipped',
                            'label file without an image')
