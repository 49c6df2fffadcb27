"""Sliced against plain inference on large images with small objects: COCO mAP_small and mAP, and the time.

The demo detector (trained on 160x128 images, test scale 160x128) predicts on mosaics of synthetic images:
1920x1920 pictures holding some 500 shapes of 16-56 px, at the scale the detector was trained on. Plain
inference resizes a mosaic to the test scale (128x128: every object shrinks 15x); sliced inference cuts it into
overlapping 160-px tiles, each resized to the test scale, and merges the boxes with class-wise NMS. An informative
row runs the plain detector at the mosaic's full resolution (test scale raised to 1920), which a detector can do
when memory allows. COCO evaluation with maxDets 1000, since each image holds hundreds of objects.
"""
from __future__ import annotations

import json
import os.path as osp
import tempfile
import time

import numpy as np

from benchmarks.common import Measure, Row, load_average
from benchmarks.infer_model import trained_demo

CELL_W, CELL_H = 160, 128


def make_mosaics(out_dir: str, count: int, rows: int, cols: int) -> tuple[list[str], str]:
    """``count`` mosaics of rows x cols synthetic images (a seed the detector never saw) and their COCO json."""
    import cv2

    from mmext.datasets.synthetic import SyntheticSpec, make_synthetic_coco
    cells = make_synthetic_coco(osp.join(out_dir, 'cells'), SyntheticSpec(num_train=0, num_val=count * rows * cols,
                                                                          seed=7))
    with open(cells['val']) as f:
        source = json.load(f)
    by_image: dict[int, list] = {}
    for ann in source['annotations']:
        by_image.setdefault(ann['image_id'], []).append(ann)
    images, annotations, paths = [], [], []
    for m in range(count):
        mosaic = np.zeros((rows * CELL_H, cols * CELL_W, 3), np.uint8)
        for k, info in enumerate(source['images'][m * rows * cols:(m + 1) * rows * cols]):
            y, x = (k // cols) * CELL_H, (k % cols) * CELL_W
            mosaic[y:y + CELL_H, x:x + CELL_W] = cv2.imread(osp.join(cells['img_dir'], info['file_name']))
            for ann in by_image.get(info['id'], []):
                bx, by, bw, bh = ann['bbox']
                annotations.append(dict(id=len(annotations) + 1, image_id=m + 1, category_id=ann['category_id'],
                                        bbox=[bx + x, by + y, bw, bh], area=ann['area'], iscrowd=0))
        name = f'mosaic_{m}.png'
        paths.append(osp.join(out_dir, name))
        cv2.imwrite(paths[-1], mosaic)
        images.append(dict(id=m + 1, file_name=name, width=mosaic.shape[1], height=mosaic.shape[0]))
    gt = osp.join(out_dir, 'mosaics.json')
    with open(gt, 'w') as f:
        json.dump(dict(images=images, annotations=annotations, categories=source['categories']), f)
    return paths, gt


def coco_map(gt_file: str, preds: list, cat_ids: tuple[int, ...]) -> tuple[float, float]:
    """(mAP, mAP_small) of the predictions (image ids 1..n in order) with maxDets 1000."""
    import contextlib
    import io

    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval
    dets = [dict(image_id=i + 1, category_id=int(cat_ids[label]), bbox=[x1, y1, x2 - x1, y2 - y1], score=s)
            for i, p in enumerate(preds)
            for (x1, y1, x2, y2), s, label in zip(p.boxes.tolist(), p.scores.tolist(), p.labels.tolist())]
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(gt_file)
        if not dets:
            return 0.0, 0.0
        evaluator = COCOeval(gt, gt.loadRes(dets), 'bbox')
        evaluator.params.maxDets = [1, 100, 1000]
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    return float(max(evaluator.stats[0], 0)), float(max(evaluator.stats[3], 0))


def _timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def rows(quick: bool) -> list[Row]:
    """quick: a weakly trained detector and one 512x640 mosaic (seconds); full: 3 mosaics of 1920x1920."""
    import mmext
    from mmext.inference import SliceOptions
    work, _ = trained_demo(num_train=16 if quick else 640, epochs=1 if quick else 8)
    count, grid = (1, (4, 4)) if quick else (3, (15, 12))
    options = SliceOptions(size=160, overlap=0.2, merge='nms', iou_thr=0.5)
    with tempfile.TemporaryDirectory() as tmp:
        paths, gt = make_mosaics(tmp, count, *grid)
        det = mmext.Detector.from_work_dir(work, batch_size=8)
        cat_ids = det.model_classes.category_ids()
        det.predict(paths[0])  # warm-up
        plain, plain_s = _timed(lambda: det.predict(paths))
        sliced, sliced_s = _timed(lambda: det.predict(paths, slice=options))
        height, width = grid[0] * CELL_H, grid[1] * CELL_W
        full_res = mmext.Detector.from_work_dir(work, batch_size=1, cfg_options={
            'test_dataloader.dataset.pipeline.1.scale': (width, height)})
        full, full_s = _timed(lambda: full_res.predict(paths))
        scores = [coco_map(gt, x, cat_ids) for x in (plain, sliced, full)]
    (p_map, p_small), (s_map, s_small), (f_map, f_small) = scores
    size = f'{count} image(s) {width}x{height}, tiles {options.size} overlap {options.overlap}'
    note = f'same checkpoint; plain = test scale {CELL_W}x{CELL_H}; {load_average()}'
    if quick:  # a detector trained for seconds finds next to nothing: the quick mode only runs the code
        note = 'quick mode: weak detector, not judged; ' + note
    return [
        Row(f'sliced vs plain inference: mAP_small ({size})', f'{s_small:.3f}', f'{p_small:.3f}',
            None if p_small == 0 else s_small / p_small, 'sliced > plain', None if quick else s_small > p_small,
            note),
        Row(f'sliced vs plain inference: mAP ({size})', f'{s_map:.3f}', f'{p_map:.3f}',
            None if p_map == 0 else s_map / p_map, 'sliced > plain', None if quick else s_map > p_map, note),
        Row(f'sliced vs plain inference: time ({size})', Measure([sliced_s]), Measure([plain_s]),
            sliced_s / plain_s, 'informative', None, f'{sum(map(len, sliced))} boxes after merging, {sum(map(len, plain))} plain'),
        Row(f'plain at full resolution (informative): mAP_small / mAP ({size})', f'{f_small:.3f} / {f_map:.3f}',
            f'{s_small:.3f} / {s_map:.3f}', full_s / sliced_s, 'informative', None,
            f'anchor: sliced; ratio: time full-resolution / sliced ({full_s:.1f} s / {sliced_s:.1f} s)'),
    ]
