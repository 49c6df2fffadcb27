"""CVAT for images 1.1 xml (one file: ``<image>`` elements holding ``<box>`` and ``<polygon>`` shapes) into COCO;
polygons are kept as segmentation."""
from __future__ import annotations

import os.path as osp
import xml.etree.ElementTree as ET

from mmext.datasets.convert.class_list import class_names
from mmext.datasets.convert.report import ConvertReport
from mmext.datasets.convert.sizes import find_image
from mmext.datasets.convert.sniff import NAMES
from mmext.datasets.convert.writer import CocoWriter, Converted
from mmext.errors import DatasetError

# What CVAT exports that has no COCO detection counterpart; each one found is skipped and named.
_OTHER_SHAPES = ('polyline', 'points', 'ellipse', 'mask', 'cuboid', 'skeleton', 'tag')


def convert_cvat(src: str, img_dir: str | None = None, classes: str | None = None) -> Converted:
    """Convert a CVAT for images 1.1 export.

    Categories are the task's (or project's) labels in CVAT's order, unused ones included; a label used in a
    shape but not declared is added after them. A rotated box is skipped (COCO boxes are axis-aligned), and so
    is every shape that is not a box or polygon, each named.

    Args:
        src: ``annotations.xml``, or the export folder holding it.
        img_dir: The image folder (``<image name>`` is relative to it). Defaults to ``images/`` next to the xml
            when it exists, else the xml's folder.
        classes: A class list that replaces CVAT's labels (shapes of other labels are skipped).

    Returns:
        The converted content.

    Raises:
        DatasetError: ``src`` is missing, not xml, not CVAT for images, or holds no image.
    """
    path = osp.join(src, 'annotations.xml') if osp.isdir(src) else src
    if not osp.isfile(path):
        raise DatasetError(f'{src}: no CVAT export here (expected annotations.xml, from Export: CVAT for images 1.1)')
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as err:
        raise DatasetError(f'{path}: not valid xml ({err})') from None
    _require_cvat_images(root, path)
    if img_dir is None:
        beside = osp.join(osp.dirname(path), 'images')
        img_dir = beside if osp.isdir(beside) else osp.dirname(path) or '.'
    report = ConvertReport(src, files=1)
    writer = CocoWriter(report, class_names(classes) if classes else declared_labels(root), closed=bool(classes))
    for image in root.iter('image'):
        _convert_image(image, img_dir, path, writer)
    return Converted(writer.to_coco(f'converted from CVAT for images in {path} by mmext'), img_dir, report)


def _require_cvat_images(root: ET.Element, path: str) -> None:
    if root.tag != 'annotations':
        kind = {'annotation': 'voc'}.get(root.tag)
        hint = f': it is {NAMES[kind]}, use --from {kind}' if kind else ''
        raise DatasetError(f'{path}: root element <{root.tag}>, not CVAT\'s <annotations>{hint}')
    if root.find('track') is not None:
        raise DatasetError(f'{path}: a CVAT for video export (it holds <track> elements); export the task as '
                           '"CVAT for images 1.1" instead')
    if root.find('image') is None:
        raise DatasetError(f'{path}: a CVAT xml with no <image> element (version {root.findtext("version")}); '
                           'export the task as "CVAT for images 1.1" with its annotations')


def declared_labels(root: ET.Element) -> list[str]:
    """The label names of the task or project, in CVAT's order (sub-labels of skeletons and tag-only labels out)."""
    names: list[str] = []
    meta = root.find('meta')
    for labels in (meta.iter('labels') if meta is not None else ()):
        for label in labels.findall('label'):
            name = (label.findtext('name') or '').strip()
            if name and name not in names and not (label.findtext('parent') or '').strip() \
                    and (label.findtext('type') or '') != 'tag':
                names.append(name)
    return names


def _convert_image(image: ET.Element, img_dir: str, path: str, writer: CocoWriter) -> None:
    report = writer.report
    name = image.get('name') or ''
    shapes = [e for e in image if e.tag in ('box', 'polygon') or e.tag in _OTHER_SHAPES]
    place = f"image {name!r} (id {image.get('id')})"
    file = find_image(img_dir, name) if name else None
    if file is None:
        report.skip('image', path, place, f'{osp.join(img_dir, name)} does not exist; its {len(shapes)} shapes '
                    'skipped with it', 'image missing or unreadable')
        return
    declared = (image.get('width'), image.get('height')) if image.get('width') and image.get('height') else None
    img = writer.image(file, img_dir, f'{path}: {place}', declared, len(shapes))
    if img is None:
        return
    for index, shape in enumerate(shapes, 1):
        label = (shape.get('label') or '').strip()
        where = f"{place}, {shape.tag} {index} ('{label}')"
        if shape.tag in _OTHER_SHAPES:
            report.skip('annotation', path, where, f'a {shape.tag} is not a box or polygon; skipped',
                        'shape not a box or polygon')
            continue
        found = _box(shape) if shape.tag == 'box' else _polygon(shape)
        if isinstance(found, str):
            report.skip('annotation', path, where, f'{found}; skipped', found.split(' (')[0].split(':')[0])
            continue
        category = writer.category(label, path, where)
        if category is not None:
            box, polygon = found
            writer.add(img, category, box, path, where, segmentation=[polygon] if polygon else None)


def _box(shape: ET.Element) -> tuple | str:
    try:
        x1, y1, x2, y2 = (float(shape.get(k)) for k in ('xtl', 'ytl', 'xbr', 'ybr'))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 'bad box coordinates: xtl ytl xbr ybr must be numbers'
    rotation = float(shape.get('rotation') or 0)
    if rotation % 360:
        return (f'rotated box ({rotation:g} degrees): COCO boxes are axis-aligned (set the rotation to 0 in CVAT to '
                'keep it)')
    return [x1, y1, x2 - x1, y2 - y1], None


def _polygon(shape: ET.Element) -> tuple | str:
    try:
        points = [float(v) for pair in (shape.get('points') or '').split(';') for v in pair.split(',')]
    except ValueError:
        return f'bad polygon points: {str(shape.get("points"))[:60]!r} is not "x1,y1;x2,y2;..."'
    if len(points) < 6 or len(points) % 2:
        return f'bad polygon points: {len(points) // 2} points, a polygon needs at least 3'
    xs, ys = points[0::2], points[1::2]
    return [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)], points
