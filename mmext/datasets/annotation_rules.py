"""The rules for one annotation whose image and category are known: box, area, iscrowd, segmentation.

Called once per annotation by :func:`mmext.datasets.checks.check_coco`, so it is written for speed: plain type
tests, no numpy, each coordinate looked at once. Fixes (clipping, area, iscrowd, dropping a malformed
segmentation) are made in place on the annotation; each one is recorded in the report.
"""
from __future__ import annotations

from math import isfinite
from typing import Any

from mmext.datasets.problems import Report, short_repr

_NUM = (int, float)
CLIP_TOLERANCE = 1.0  # pixels a box may stick out before it is reported (exporters round to the pixel)


def check_annotation(ann: dict, width: int, height: int, report: Report, where: dict) -> bool:
    """Check and correct one annotation of an image of ``width`` x ``height``.

    Args:
        ann: The annotation (changed in place: clipped box, area, iscrowd, segmentation).
        width: The image's width.
        height: The image's height.
        report: Where problems go.
        where: The ids for the report (``ann_id``, ``image_id``, ``file_name``).

    Returns:
        False when the annotation must be dropped.
    """
    box = ann.get('bbox')
    if type(box) is not list or len(box) != 4 or not all(type(v) in _NUM for v in box):
        report.add('bad_bbox', f'bbox is {short_repr(box)}, not 4 numbers [x, y, width, height]', **where)
        return False
    x, y, w, h = box
    if not (isfinite(x) and isfinite(y) and isfinite(w) and isfinite(h)):
        report.add('nonfinite_bbox', f'bbox {box} holds NaN or infinity', **where)
        return False
    if w <= 0 or h <= 0:
        report.add('empty_bbox', f'bbox {box} has width or height <= 0', **where)
        return False
    if x >= width or y >= height or x + w <= 0 or y + h <= 0:
        report.add('bbox_outside', f'bbox {box} lies outside the {width}x{height} image', **where)
        return False
    x1, y1, x2, y2 = max(x, 0), max(y, 0), min(x + w, width), min(y + h, height)
    if x1 - x > CLIP_TOLERANCE or y1 - y > CLIP_TOLERANCE or x + w - x2 > CLIP_TOLERANCE or \
            y + h - y2 > CLIP_TOLERANCE:
        report.add('bbox_partly_outside', f'bbox {box} sticks out of the {width}x{height} image; clipped to '
                                          f'{[x1, y1, x2 - x1, y2 - y1]}', **where)
    if (x1, y1, x2, y2) != (x, y, x + w, y + h):
        ann['bbox'] = box = [x1, y1, x2 - x1, y2 - y1]
    area = ann.get('area')
    if type(area) not in _NUM or not isfinite(area) or area <= 0:
        ann['area'] = box[2] * box[3]
        report.add('bad_area', f'area is {short_repr(area)}; set to {ann["area"]:g}', **where)
    crowd = ann.get('iscrowd', 0)
    if type(crowd) is not int or crowd not in (0, 1):
        ann['iscrowd'] = 1 if crowd and crowd not in ('0', 'false', 'False') else 0
        report.add('bad_iscrowd', f'iscrowd is {short_repr(crowd)}; set to {ann["iscrowd"]}', **where)
    elif crowd:
        report.add('crowd', 'iscrowd=1: used as an ignore region, not as an object', **where)
    if 'segmentation' in ann:
        why = segmentation_problem(ann['segmentation'], width, height)
        if why:
            report.add('bad_segmentation', f'{why}; segmentation removed, box kept', **where)
            ann['segmentation'] = []
    return True


def segmentation_problem(seg: Any, width: int, height: int) -> str:
    """What is wrong with a COCO segmentation (polygons or RLE), or '' when it is fine or empty."""
    if seg is None or seg == [] or seg == {}:
        return ''
    if isinstance(seg, list):
        for poly in seg:
            if type(poly) is not list:
                return f'segmentation holds a {type(poly).__name__} where a polygon list belongs'
            if len(poly) < 6 or len(poly) % 2:
                return f'a polygon has {len(poly)} numbers; it needs an even number, at least 6'
            try:
                total = sum(poly)  # one C loop: a string raises, a NaN/inf makes the sum non-finite
            except TypeError:
                return 'a polygon holds something that is not a number'
            if not isfinite(total) or any(type(v) is bool for v in poly):
                return 'a polygon holds NaN, infinity or true/false'
        return ''
    if isinstance(seg, dict):
        counts, size = seg.get('counts'), seg.get('size')
        if not (isinstance(counts, str) or (type(counts) is list and all(type(c) is int and c >= 0
                                                                             for c in counts))):
            return 'RLE counts must be a string or a list of non-negative integers'
        if type(size) is not list or len(size) != 2 or list(size) != [height, width]:
            return f'RLE size is {short_repr(size)}, not the image\'s [height, width] = [{height}, {width}]'
        if type(counts) is list and sum(counts) != height * width:
            return f'RLE counts add up to {sum(counts)}, not height*width = {height * width}'
        return ''
    return f'segmentation is a {type(seg).__name__}, not a list of polygons or an RLE object'

