"""Synthetic annotation files shaped like COCO's (``instances_train2017.json`` / ``val2017``), for the benchmarks.

Same keys and value types as COCO: 80 categories with COCO's names and ids (1..90 with gaps), random 6-digit image
ids, 640-pixel images, about 7.3 boxes per image (about 1% of the images empty), COCO's mix of small, medium and
large objects, one polygon of 6-30 points per object (its shoelace area is the ``area``), and about 1% crowd
annotations with uncompressed RLE masks. A fixed seed gives the same file; files are cached outside the
repository (see :func:`benchmarks.common.cache_dir`).
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from benchmarks.common import cache_dir

COCO_TRAIN_IMAGES = 118_287
VERSION = 3  # bump when the generator changes, so cached files are regenerated
COCO_CAT_IDS = [i for i in range(1, 91) if i not in (12, 26, 29, 30, 45, 66, 68, 69, 71, 83)]


def coco_class_names() -> tuple[str, ...]:
    """COCO's 80 class names, in category-id order (taken from mmdet, so the anchor knows them)."""
    from mmdet.datasets.coco import CocoDataset
    return tuple(CocoDataset.METAINFO['classes'])


def make_coco_like(num_images: int, seed: int = 0) -> dict:
    """Generate the content of a COCO-format instances file.

    Args:
        num_images: How many images (COCO train2017 has 118,287).
        seed: The random seed.

    Returns:
        The dict to dump as json.
    """
    rng = np.random.default_rng(seed)
    img_ids = rng.choice(np.arange(1, 581_930), size=num_images, replace=False)
    long_side = np.where(rng.random(num_images) < 0.97, 640, rng.integers(300, 640, num_images))
    short_side = rng.integers(240, 641, num_images).clip(max=long_side)
    landscape = rng.random(num_images) < 0.7
    widths = np.where(landscape, long_side, short_side)
    heights = np.where(landscape, short_side, long_side)
    counts = 1 + rng.negative_binomial(1.2, 1.2 / (1.2 + 6.45), num_images)
    counts[rng.random(num_images) < 0.01] = 0
    images = [dict(license=int(lic), file_name=f'{i:012d}.jpg',
                   coco_url=f'http://images.cocodataset.org/train2017/{i:012d}.jpg', height=int(h), width=int(w),
                   date_captured='2013-11-14 11:18:45', flickr_url=f'http://farm4.staticflickr.com/{i}_z.jpg',
                   id=int(i))
              for i, w, h, lic in zip(img_ids, widths, heights, rng.integers(1, 9, num_images))]
    names = coco_class_names()
    categories = [dict(supercategory='thing', id=cid, name=name) for cid, name in zip(COCO_CAT_IDS, names)]
    annotations = _annotations(rng, img_ids, widths, heights, counts)
    info = dict(description=f'mmext synthetic COCO-like file v{VERSION}', version='1.0', year=2017,
                contributor='mmext benchmarks', date_created='2017/09/01', seed=seed)
    licenses = [dict(url=f'http://creativecommons.org/licenses/{i}/2.0/', id=i, name=f'License {i}')
                for i in range(1, 9)]
    return dict(info=info, licenses=licenses, images=images, annotations=annotations, categories=categories)


def _annotations(rng: np.random.Generator, img_ids: np.ndarray, widths: np.ndarray, heights: np.ndarray,
                 counts: np.ndarray) -> list[dict]:
    total = int(counts.sum())
    owner = np.repeat(np.arange(len(img_ids)), counts)
    w_img, h_img = widths[owner].astype(np.float64), heights[owner].astype(np.float64)
    # COCO: about 41% small (< 32^2), 34% medium, 24% large objects; this log-normal side length gives that.
    side = np.exp(rng.normal(3.95, 1.15, total))
    aspect = np.exp(rng.normal(0, 0.5, total))
    bw = np.minimum(side * aspect, w_img - 1).clip(min=2)
    bh = np.minimum(side / aspect, h_img - 1).clip(min=2)
    x0 = rng.random(total) * (w_img - bw)
    y0 = rng.random(total) * (h_img - bh)
    weights = 1.0 / np.arange(1, 81) ** 0.9
    cats = np.asarray(COCO_CAT_IDS)[rng.choice(80, total, p=weights / weights.sum())]
    crowd = rng.random(total) < 0.009
    ann_ids = rng.choice(np.arange(1, 2_300_000), size=total, replace=False)
    npts = rng.integers(6, 31, total)
    # point k of n at angle (k + u) / n of a full turn (the points past n are unused)
    angles = (np.arange(30)[None, :] + rng.random((total, 30))) / npts[:, None] * 2 * np.pi
    radius = rng.uniform(0.75, 1.0, (total, 30))
    px = (x0 + bw / 2)[:, None] + np.cos(angles) * radius * (bw / 2)[:, None]
    py = (y0 + bh / 2)[:, None] + np.sin(angles) * radius * (bh / 2)[:, None]
    px, py = px.round(2), py.round(2)
    xy = np.stack([px, py], axis=2).reshape(total, 60)
    poly_area = _polygon_areas(px, py, npts)
    anns = []
    for start in range(0, total, 50_000):  # .tolist() in chunks: one call per chunk, not per annotation
        stop = min(start + 50_000, total)
        coords = xy[start:stop].tolist()
        boxes = np.column_stack([x0, y0, bw, bh])[start:stop].round(2).tolist()
        for k in range(start, stop):
            if crowd[k]:
                segmentation = _box_rle(x0[k], y0[k], bw[k], bh[k], int(w_img[k]), int(h_img[k]))
                area = float(np.sum(segmentation['counts'][1::2]))
            else:
                segmentation = [coords[k - start][:2 * npts[k]]]
                area = round(float(poly_area[k]), 2)
            anns.append(dict(segmentation=segmentation, area=area, iscrowd=int(crowd[k]),
                             image_id=int(img_ids[owner[k]]), bbox=boxes[k - start], category_id=int(cats[k]),
                             id=int(ann_ids[k])))
    return anns


def _polygon_areas(px: np.ndarray, py: np.ndarray, npts: np.ndarray) -> np.ndarray:
    """Shoelace areas of the polygons made of the first ``npts[k]`` points of each row."""
    valid = np.arange(px.shape[1])[None, :] < npts[:, None]
    nxt = (np.arange(px.shape[1])[None, :] + 1) % npts[:, None]  # index of the next point, wrapping per row
    rows = np.arange(px.shape[0])[:, None]
    cross = px * py[rows, nxt] - py * px[rows, nxt]
    return 0.5 * np.abs(np.where(valid, cross, 0).sum(1))


def _box_rle(x: float, y: float, w: float, h: float, img_w: int, img_h: int) -> dict:
    """An uncompressed (column-major) RLE covering a box, as COCO stores crowd regions."""
    c0, c1 = int(x), max(int(x) + 1, int(x + w))
    r0, r1 = int(y), max(int(y) + 1, int(y + h))
    run = r1 - r0
    counts = [c0 * img_h + r0]
    for _ in range(c0, c1 - 1):
        counts += [run, img_h - run]
    counts += [run, img_h * img_w - sum(counts) - run]
    return dict(counts=counts, size=[img_h, img_w])


def coco_like_file(num_images: int, seed: int = 0) -> Path:
    """The path of a cached generated file (generated, and written atomically, on first use)."""
    path = cache_dir() / f'coco_like_v{VERSION}_{num_images}_seed{seed}.json'
    if not path.exists():
        data = make_coco_like(num_images, seed)
        tmp = path.with_suffix(f'.tmp{os.getpid()}')
        with open(tmp, 'w') as f:
            json.dump(data, f, separators=(',', ':'))
        os.replace(tmp, path)
    return path
