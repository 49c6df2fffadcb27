"""LabelMe json (one file per image, ``shapes`` of rectangles and polygons) into COCO; polygons are kept as
segmentation."""
from __future__ import annotations

import json
import os.path as osp
from math import isfinite

from mmext.datasets.convert.class_list import class_names
from mmext.datasets.convert.report import ConvertReport
from mmext.datasets.convert.sizes import walk_files
from mmext.datasets.convert.sniff import format_hint
from mmext.datasets.convert.writer import CocoWriter, Converted
from mmext.errors import DatasetError

KEPT_SHAPES = ('rectangle', 'polygon')


def convert_labelme(src: str, img_dir: str | None = None, classes: str | None = None) -> Converted:
    """Convert a folder of LabelMe json files.

    Shapes with the same ``label`` and ``group_id`` are one object (LabelMe's way of drawing an occluded object
    in parts): its polygons together are the segmentation, the box encloses them all. Rectangles give a box
    only. Other shape types (circle, line, point, linestrip, mask) are skipped, each named.

    Args:
        src: The folder (searched at any depth).
        img_dir: The image folder that file names are relative to. Defaults to ``src``.
        classes: A class list that fixes the class order (shapes of other labels are skipped). Without it,
            classes are the labels found, sorted.

    Returns:
        The converted content.

    Raises:
        DatasetError: ``src`` is not a folder, or holds no LabelMe file.
    """
    if not osp.isdir(src):
        raise DatasetError(f'{src}: a LabelMe dataset is a folder of json files (one per image)')
    img_dir = img_dir or src
    report = ConvertReport(src)
    writer = CocoWriter(report, class_names(classes) if classes else None, closed=bool(classes))
    files = walk_files(src, ('.json',))
    for path in files:
        _convert_file(path, img_dir, writer)
    if not report.files:
        raise DatasetError(f'{src}: no LabelMe file (a json object with a shapes list) among its {len(files)} '
                           'json files.' + format_hint(src, 'labelme'))
    return Converted(writer.to_coco(f'converted from LabelMe in {src} by mmext'), img_dir, report)


def _convert_file(path: str, img_dir: str, writer: CocoWriter) -> None:
    report = writer.report
    try:
        with open(path, encoding='utf-8') as f:
            data = json.load(f)
    except (ValueError, OSError) as err:
        report.skip('file', path, '', f'not valid json ({err}); skipped', 'invalid json')
        return
    if not isinstance(data, dict) or not isinstance(data.get('shapes'), list):
        report.skip('file', path, '', 'not a LabelMe file (no shapes list); skipped', 'not a LabelMe file')
        return
    report.files += 1
    shapes = data['shapes']
    image = _image_path(path, data.get('imagePath'))
    if image is None:
        report.skip('image', path, '', f'its image {data.get("imagePath")!r} does not exist next to it (an '
                    f'embedded imageData is not extracted); its {len(shapes)} shapes skipped with it',
                    'image missing or unreadable')
        return
    img = writer.image(image, img_dir, path, (data.get('imageWidth'), data.get('imageHeight'))
                       if data.get('imageWidth') and data.get('imageHeight') else None, len(shapes))
    if img is None:
        return
    objects: dict = {}
    for index, shape in enumerate(shapes, 1):
        found = _shape(shape, index, path, writer)
        if found is not None:
            label, group, kind, points = found
            key = (label, group) if group is not None else (label, object(), index)
            objects.setdefault(key, (index, []))[1].append((kind, points))
    for (label, *_), (index, parts) in objects.items():
        where = f"shape {index} ('{label}')" if len(parts) == 1 else f"shapes of '{label}' from {index} on"
        category = writer.category(label, path, where)
        if category is None:
            continue
        xs = [x for _, pts in parts for x in pts[0::2]]
        ys = [y for _, pts in parts for y in pts[1::2]]
        polygons = [pts for kind, pts in parts if kind == 'polygon']
        box = [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]
        writer.add(img, category, box, path, where, segmentation=polygons or None)


def _image_path(path: str, image_path) -> str | None:
    """The image a LabelMe file names (relative to the file; Windows separators allowed), or its namesake."""
    if not isinstance(image_path, str) or not image_path:
        return None
    rel = image_path.replace('\\', '/')
    folder = osp.dirname(path)
    for candidate in (osp.normpath(osp.join(folder, rel)), osp.join(folder, osp.basename(rel))):
        if osp.isfile(candidate):
            return candidate
    return None


def _shape(shape, index: int, path: str, writer: CocoWriter) -> tuple | None:
    """``(label, group_id, kind, flat points)`` of a shape that is kept; a skipped one is recorded."""
    report = writer.report
    if not isinstance(shape, dict):
        report.skip('annotation', path, f'shape {index}', f'is a {type(shape).__name__}, not an object; skipped',
                    'bad shape')
        return None
    label = str(shape.get('label') or '').strip()
    kind = shape.get('shape_type') or 'polygon'  # LabelMe before 3.x wrote no shape_type: every shape a polygon
    where = f"shape {index} ('{label}', {kind})"
    if kind not in KEPT_SHAPES:
        report.skip('annotation', path, where, f'a {kind} is not a rectangle or polygon; skipped (redraw it as '
                    'one to keep it)', 'shape not a rectangle or polygon')
        return None
    if not label:
        report.skip('annotation', path, where, 'has no label; skipped', 'shape without a label')
        return None
    points = shape.get('points')
    flat = [float(v) for p in points for v in p] if _point_list(points) else None
    need = 2 if kind == 'rectangle' else 3
    if flat is None or len(flat) < 2 * need or (kind == 'rectangle' and len(flat) != 4):
        count = 'two' if kind == 'rectangle' else '3 or more'
        report.skip('annotation', path, where, f'points {str(points)[:60]} are not {count} [x, y] pairs; skipped',
                    'bad points')
        return None
    if kind == 'rectangle':
        (x1, y1, x2, y2) = flat
        flat = [min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)]
    return label, shape.get('group_id'), kind, flat


def _point_list(points) -> bool:
    return isinstance(points, list) and all(
        isinstance(p, (list, tuple)) and len(p) == 2 and all(isinstance(v, (int, float)) and isfinite(v) for v in p)
        for p in points)
