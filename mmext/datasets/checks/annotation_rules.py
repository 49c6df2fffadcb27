"""The rules for one annotation whose image and category are known: box, area, iscrowd, segmentation.

Called once per annotation by :func:`mmext.datasets.checks.file_rules.check_coco`, so it is written for speed: plain type
tests, no numpy, each coordinate looked at once. Fixes (clipping, area, iscrowd, dropping a malformed
segmentation) are made in place on the annotation; each one is recorded in the report.
"""
from __future__ import annotations

from math import isfinite
from typing import Any

from mmext.datasets.checks.problems import Report, short_repr

_NUM = (int, float)
CLIP_TOLERANCE = 1.0  # pixels a box may stick out before it is reported (exporters round to the pixel)


def check_annotation(ann: dict, img: dict, report: Report) -> bool:
    """Check and correct one annotation of a known image.

    Args:
        ann: The annotation (changed in place: clipped box, area, iscrowd, segmentation).
        img: Its image entry (with a valid ``width`` and ``height``).
        report: Where problems go.

    Returns:
        False when the annotation must be dropped.
    """
    width, height = img['width'], img['height']
    box = ann.get('bbox')
    if type(box) is not list or len(box) != 4:
        return _drop(report, 'bad_bbox', f'bbox is {short_repr(box)}, not 4 numbers [x, y, width, height]', ann, img)
    x, y, w, h = box
    if type(x) not in _NUM or type(y) not in _NUM or type(w) not in _NUM or type(h) not in _NUM:
        return _drop(report, 'bad_bbox', f'bbox is {short_repr(box)}, not 4 numbers [x, y, width, height]', ann, img)
    if not isfinite(x + y + w + h) and not (isfinite(x) and isfinite(y) and isfinite(w) and isfinite(h)):
        return _drop(report, 'nonfinite_bbox', f'bbox {box} holds NaN or infinity', ann, img)
    if w <= 0 or h <= 0:
        return _drop(report, 'empty_bbox', f'bbox {box} has width or height <= 0', ann, img)
    if x >= width or y >= height or x + w <= 0 or y + h <= 0:
        return _drop(report, 'bbox_outside', f'bbox {box} lies outside the {width}x{height} image', ann, img)
    if x < 0 or y < 0 or x + w > width or y + h > height:
        x1, y1, x2, y2 = max(x, 0), max(y, 0), min(x + w, width), min(y + h, height)
        if max(x1 - x, y1 - y, x + w - x2, y + h - y2) > CLIP_TOLERANCE:
            report.add('bbox_partly_outside', f'bbox {box} sticks out of the {width}x{height} image; clipped to '
                                              f'{[x1, y1, x2 - x1, y2 - y1]}', **where(ann, img))
        ann['bbox'] = box = [x1, y1, x2 - x1, y2 - y1]
    area = ann.get('area')
    if type(area) not in _NUM or not area > 0 or not isfinite(area):
        ann['area'] = box[2] * box[3]
        report.add('bad_area', f'area is {short_repr(area)}; set to {ann["area"]:g}', **where(ann, img))
    crowd = ann.get('iscrowd', 0)
    if crowd:
        if type(crowd) is not int or crowd != 1:
            ann['iscrowd'] = 1 if crowd not in ('0', 'false', 'False') else 0
            report.add('bad_iscrowd', f'iscrowd is {short_repr(crowd)}; set to {ann["iscrowd"]}', **where(ann, img))
        else:
            report.add('crowd', 'iscrowd=1: used as an ignore region, not as an object', **where(ann, img))
    elif type(crowd) is not int:
        ann['iscrowd'] = 0
        report.add('bad_iscrowd', f'iscrowd is {short_repr(crowd)}; set to 0', **where(ann, img))
    seg = ann.get('segmentation')
    if seg:
        why = segmentation_problem(seg, width, height, report.limits.max_polygon_points)
        if why:
            report.add('bad_segmentation', f'{why}; segmentation removed, box kept', **where(ann, img))
            ann['segmentation'] = []
    elif seg is not None and seg != [] and seg != {}:
        report.add('bad_segmentation', f'segmentation is {short_repr(seg)}; removed, box kept', **where(ann, img))
        ann['segmentation'] = []
    return True


def where(ann: dict, img: dict | None) -> dict:
    """The ids a problem of ``ann`` is reported with (only built when there is a problem: this is hot code)."""
    aid, iid = ann.get('id'), ann.get('image_id')
    return dict(ann_id=aid if isinstance(aid, (int, str)) else None,
                image_id=iid if isinstance(iid, (int, str)) else None,
                file_name=img['file_name'] if img else None)


def _drop(report: Report, kind: str, detail: str, ann: dict, img: dict) -> bool:
    report.add(kind, detail, **where(ann, img))
    return False


def segmentation_problem(seg: Any, width: int, height: int, max_points: int = 0) -> str:
    """What is wrong with a COCO segmentation (polygons or RLE), or '' when it is fine or empty (``max_points``:
    the most polygon points of one annotation, 0: any number)."""
    if isinstance(seg, list):
        numbers = sum(len(poly) for poly in seg if type(poly) is list)
        if max_points and numbers > 2 * max_points:
            return (f'the polygons hold {numbers // 2:,} points, more than the read limit max_polygon_points='
                    f'{max_points:,}')
        for poly in seg:
            if type(poly) is not list:
                return f'segmentation holds a {type(poly).__name__} where a polygon list belongs'
            if len(poly) < 6 or len(poly) % 2:
                return f'a polygon has {len(poly)} numbers; it needs an even number, at least 6'
            try:
                total = sum(poly)  # one C loop: a string raises, a NaN/inf makes the sum non-finite
            except TypeError:
                return 'a polygon holds something that is not a number'
            if not isfinite(total):
                return 'a polygon holds NaN or infinity'
            # pycocotools rasterises every edge point by point: a far-away vertex costs memory without bound
            xs, ys = poly[0::2], poly[1::2]
            if min(xs) < -width or max(xs) > 2 * width or min(ys) < -height or max(ys) > 2 * height:
                return f'a polygon reaches far outside the {width}x{height} image'
        return ''
    if isinstance(seg, dict):
        counts, size = seg.get('counts'), seg.get('size')
        if isinstance(counts, str):
            counts = rle_string_counts(counts)  # pycocotools decodes it without bounds checks: check first
        # (type(c) is int and c >= 0 for every c, in two C loops: a crowd RLE holds thousands of runs)
        if type(counts) is not list or (counts and (set(map(type, counts)) != {int} or min(counts) < 0)):
            return 'RLE counts must be a compressed string or a list of non-negative integers'
        if type(size) is not list or len(size) != 2 or list(size) != [height, width]:
            return f'RLE size is {short_repr(size)}, not the image\'s [height, width] = [{height}, {width}]'
        if sum(counts) != height * width:
            return f'RLE counts add up to {sum(counts)}, not height*width = {height * width}'
        return ''
    return f'segmentation is a {type(seg).__name__}, not a list of polygons or an RLE object'


def rle_string_counts(text: str) -> list[int] | None:
    """Decode COCO's compressed RLE string (pycocotools' ``rleFrString``) into run lengths, or None when it is
    malformed (cut short, or a run that would be negative)."""
    counts: list[int] = []
    p, n = 0, len(text)
    while p < n:
        x, k, more = 0, 0, True
        while more:
            if p >= n:
                return None  # the last group says "more" but the string ends
            c = ord(text[p]) - 48
            if not 0 <= c < 64:
                return None
            x |= (c & 0x1f) << 5 * k
            more = bool(c & 0x20)
            p += 1
            k += 1
            if not more and c & 0x10:
                x |= -1 << 5 * k
        if len(counts) > 2:
            x += counts[-2]
        if x < 0:
            return None
        counts.append(x)
    return counts
