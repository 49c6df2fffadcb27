"""Pascal VOC xml (one ``<annotation>`` file per image, ``<object>`` boxes in 1-based pixel coordinates) into COCO."""
from __future__ import annotations

import os.path as osp
import xml.etree.ElementTree as ET

from mmext.datasets.convert.class_list import class_names
from mmext.datasets.convert.report import ConvertReport
from mmext.datasets.convert.sizes import find_image, walk_files
from mmext.datasets.convert.sniff import format_hint
from mmext.datasets.convert.writer import CocoWriter, Converted
from mmext.errors import DatasetError

_CORNERS = ('xmin', 'ymin', 'xmax', 'ymax')


def convert_voc(src: str, img_dir: str | None = None, classes: str | None = None) -> Converted:
    """Convert a Pascal VOC folder.

    VOC boxes are 1-based and inclusive: ``xmin=1, xmax=W`` covers the whole width, so the COCO box is
    ``[xmin - 1, ymin - 1, xmax - xmin + 1, ymax - ymin + 1]`` (detectron2 reads VOC the same way). An object
    marked ``difficult`` becomes an ignore region (``iscrowd=1``), as mmdet's own VOC-to-COCO converter does.

    Args:
        src: The folder: a VOC year folder (``Annotations/`` + ``JPEGImages/``) or any folder of xml files.
        img_dir: The image folder (``<filename>`` is relative to it). Defaults to ``src/JPEGImages`` when it
            exists, else each xml file's own folder.
        classes: A class list that fixes the class order (objects of other classes are skipped). Without it,
            classes are the names found, sorted.

    Returns:
        The converted content.

    Raises:
        DatasetError: ``src`` is not a folder, or holds no VOC file.
    """
    if not osp.isdir(src):
        raise DatasetError(f'{src}: a Pascal VOC dataset is a folder (Annotations/ with one xml per image)')
    ann_dir = osp.join(src, 'Annotations') if osp.isdir(osp.join(src, 'Annotations')) else src
    if img_dir is None and osp.isdir(osp.join(src, 'JPEGImages')):
        img_dir = osp.join(src, 'JPEGImages')
    report = ConvertReport(src)
    writer = CocoWriter(report, class_names(classes) if classes else None, closed=bool(classes))
    files = walk_files(ann_dir, ('.xml',))
    for path in files:
        _convert_file(path, img_dir, src, writer)
    if not report.files:
        raise DatasetError(f'{src}: no Pascal VOC xml file (root element <annotation>) among its {len(files)} xml '
                           'files.' + format_hint(src, 'voc'))
    return Converted(writer.to_coco(f'converted from Pascal VOC in {src} by mmext'), img_dir or src, report)


def _convert_file(path: str, img_dir: str | None, src: str, writer: CocoWriter) -> None:
    report = writer.report
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as err:
        report.skip('file', path, '', f'not valid xml ({err}); skipped', 'invalid xml')
        return
    if root.tag != 'annotation':
        report.skip('file', path, '', f'root element <{root.tag}>, not a Pascal VOC <annotation>; skipped',
                    'not a VOC file')
        return
    report.files += 1
    objects = root.findall('object')
    filename = (root.findtext('filename') or '').strip()
    folder = img_dir if img_dir is not None else osp.dirname(path)
    image = find_image(folder, filename) if filename else None
    if image is None:
        report.skip('image', path, '', f'its image {osp.join(folder, filename or "(no <filename>)")} does not exist'
                    f'; its {len(objects)} objects skipped with it', 'image missing or unreadable')
        return
    size = root.find('size')
    declared = (size.findtext('width'), size.findtext('height')) if size is not None else None
    if declared and not all(_number(v) and float(v) > 0 for v in declared):
        declared = None  # VOC exports often write 0 or nothing: the file tells
    img = writer.image(image, img_dir if img_dir is not None else src, path, declared, len(objects))
    if img is None:
        return
    for index, obj in enumerate(objects, 1):
        _convert_object(obj, index, img, path, writer)


def _convert_object(obj: ET.Element, index: int, img: dict, path: str, writer: CocoWriter) -> None:
    name = (obj.findtext('name') or '').strip()
    where = f"object {index} ('{name}')"
    if not name:
        writer.report.skip('annotation', path, f'object {index}', 'has no <name>; skipped', 'object without a name')
        return
    box = obj.find('bndbox')
    corners = [box.findtext(k) if box is not None else None for k in _CORNERS]
    if not all(_number(v) for v in corners):
        writer.report.skip('annotation', path, where, f'<bndbox> needs numbers xmin ymin xmax ymax, got {corners}'
                           '; skipped', 'bad bndbox')
        return
    category = writer.category(name, path, where)
    if category is None:
        return
    x1, y1, x2, y2 = (float(v) for v in corners)
    difficult = (obj.findtext('difficult') or '0').strip() in ('1', 'true')
    writer.add(img, category, [x1 - 1, y1 - 1, x2 - x1 + 1, y2 - y1 + 1], path, where, iscrowd=int(difficult))


def _number(text: str | None) -> bool:
    try:
        float(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return True
