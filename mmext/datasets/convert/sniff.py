"""Telling which labelling format a folder or file holds, for the message when it is given as another one."""
from __future__ import annotations

import json
import os.path as osp
import xml.etree.ElementTree as ET
from collections import Counter

from mmext.datasets.convert.sizes import walk_files

NAMES = {'yolo': 'YOLO txt labels', 'voc': 'Pascal VOC xml', 'labelme': 'LabelMe json', 'cvat-xml': 'CVAT for '
         'images xml', 'coco': 'COCO json (nothing to convert: check it with tools/check_dataset.py)'}
_LOOK_AT = 50  # files of each kind looked at: enough to tell, cheap on a large folder


def xml_root(path: str) -> str | None:
    """The root element's tag of an xml file (only its start is read), or None when it is not xml."""
    try:
        for _event, elem in ET.iterparse(path, events=('start',)):
            return elem.tag
    except (ET.ParseError, OSError, UnicodeDecodeError):
        return None
    return None


def json_kind(path: str) -> str | None:
    """``'labelme'``, ``'coco'`` or None for a json file."""
    try:
        with open(path, encoding='utf-8') as f:
            data = json.load(f)
    except (OSError, ValueError):
        return None
    if isinstance(data, dict) and isinstance(data.get('shapes'), list):
        return 'labelme'
    if isinstance(data, dict) and 'images' in data and 'categories' in data:
        return 'coco'
    return None


def _is_yolo_label(path: str) -> bool:
    try:
        with open(path, encoding='utf-8') as f:
            for line in f:
                if line.strip():
                    parts = line.split()
                    return len(parts) >= 5 and all(_number(p) for p in parts)
    except (OSError, UnicodeDecodeError):
        return False
    return False


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def sniff(src: str) -> Counter:
    """How many looked-at files of ``src`` (a folder or one file) are of each format."""
    files = [src] if osp.isfile(src) else None
    found: Counter = Counter()
    for ext, judge in (('.xml', _xml_format), ('.json', json_kind), ('.txt', _txt_format)):
        paths = [f for f in files if f.lower().endswith(ext)] if files is not None else walk_files(src, (ext,))
        for path in paths[:_LOOK_AT]:
            kind = judge(path)
            if kind:
                found[kind] += 1
    return found


def _xml_format(path: str) -> str | None:
    return {'annotation': 'voc', 'annotations': 'cvat-xml'}.get(xml_root(path) or '')


def _txt_format(path: str) -> str | None:
    return 'yolo' if _is_yolo_label(path) else None


def format_hint(src: str, asked: str) -> str:
    """``' It looks like Pascal VOC xml (12 files): use --from voc.'``, or what was found; '' when it is ``asked``."""
    found = sniff(src)
    others = [(kind, n) for kind, n in found.most_common() if kind != asked]
    if found.get(asked) and not others:
        return ''
    if others:
        kind, n = others[0]
        use = f': use --from {kind}' if kind != 'coco' else ''
        return f' It looks like {NAMES[kind]} ({n}{"+" if n >= _LOOK_AT else ""} files){use}.'
    return f' {src} holds no file of a known labelling format (YOLO .txt, VOC/CVAT .xml, LabelMe .json).'
