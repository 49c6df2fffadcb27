"""ArrayCOCOeval: every number equal (``==``) to pycocotools' COCOeval, on randomised cases and a COCO-like one."""
from __future__ import annotations

import contextlib
import copy
import io

import numpy as np
import pytest
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from mmext.evaluation.array_cocoeval import ArrayCOCOeval
from mmext.evaluation.coco_arrays import Unsupported, detections, ground_truth

W, H = 24, 20  # small images: boxes on an integer grid, so that equal IoUs and equal scores are common


def _uncompressed_rle(mask: np.ndarray) -> dict:
    """COCO's crowd format: run lengths (column-major), starting with a run of zeros."""
    flat = mask.ravel(order='F').astype(np.int64)
    changes = np.flatnonzero(np.diff(np.concatenate([[0], flat, [1 - flat[-1]]])))
    counts = np.diff(np.concatenate([[0], changes]))
    return dict(size=[H, W], counts=counts.tolist())


def _box(rng, near=None):
    if near is None:
        x, y = rng.integers(0, W - 2), rng.integers(0, H - 2)
        w, h = rng.integers(1, 11), rng.integers(1, 9)
    else:
        x, y, w, h = (np.asarray(near) + rng.integers(-2, 3, 4)).tolist()
        w, h = max(w, 1), max(h, 1)
    return [float(x), float(y), float(min(w, W - x)), float(min(h, H - y))]


def make_case(seed: int, segm: bool) -> tuple[dict, list]:
    """A ground truth and results with every case pycocotools treats specially: crowd regions, 'ignore' keys
    (pycocotools overwrites them), images without objects or without detections, a category without ground
    truth, annotation id 0, equal scores across images, equal IoUs, areas spread over the area ranges."""
    rng = np.random.default_rng(seed)
    cat_ids = sorted(rng.choice(np.arange(1, 40), 4, replace=False).tolist())
    img_ids = rng.choice(np.arange(1, 10**6), int(rng.integers(3, 12)), replace=False).tolist()
    ann_ids = iter(([0] if seed % 2 else []) + rng.permutation(np.arange(1, 1000)).tolist())  # 0: a valid id
    images = [dict(id=i, width=W, height=H) for i in img_ids]
    anns, preds = [], []
    for img in img_ids:
        boxes = [_box(rng) for _ in range(int(rng.choice([0, 1, 3, 6])))]
        if boxes and rng.random() < 0.3:
            boxes.append(list(boxes[0]))  # a duplicate: equal IoUs, the last one wins in pycocotools
        for box in boxes:
            crowd = int(rng.random() < 0.15)
            ann = dict(id=next(ann_ids), image_id=img, category_id=int(rng.choice(cat_ids[:3])), bbox=box,
                       area=float(box[2] * box[3] * rng.choice([1.0, 0.5, 4.0])), iscrowd=crowd)
            if rng.random() < 0.2:
                ann['ignore'] = int(rng.integers(0, 2))
            if segm:
                x, y, w, h = box
                if crowd:
                    mask = np.zeros((H, W), np.uint8)
                    mask[int(y):int(y + h), int(x):int(x + w)] = 1
                    ann['segmentation'] = _uncompressed_rle(mask)
                else:
                    ann['segmentation'] = [[x, y, x + w, y, x + w * 0.7, y + h, x, y + h * 0.8]]
            anns.append(ann)
        n_det = 0 if rng.random() < 0.15 and img != img_ids[0] else int(rng.integers(1, 14))
        dets = [_box(rng, near=boxes[rng.integers(len(boxes))]) if boxes and rng.random() < 0.7 else _box(rng)
                for _ in range(n_det)]
        xyxy = np.array([[x, y, x + w, y + h] for x, y, w, h in dets], np.float32).reshape(-1, 4)
        pred = dict(img_id=img, bboxes=xyxy, labels=rng.integers(0, 4, n_det),
                    scores=rng.choice(np.array([0.05, 0.3, 0.3, 0.7, 0.95], np.float32), n_det))
        if segm:
            pred['masks'] = [mask_utils.frPyObjects([[x, y, x + w, y, x + w, y + h * 0.9, x, y + h]], H, W)[0]
                             for x, y, w, h in dets]
            pred['mask_scores'] = rng.choice(np.array([0.2, 0.6, 0.6, 0.9], np.float32), n_det)
        preds.append(pred)
    return dict(images=images, annotations=anns, categories=[dict(id=c, name=str(c)) for c in cat_ids]), preds


def _coco(dataset: dict) -> COCO:
    coco = COCO()
    coco.dataset = copy.deepcopy(dataset)
    with contextlib.redirect_stdout(io.StringIO()):
        coco.createIndex()
    return coco


def _as_json(preds: list, cat_ids: list, segm: bool) -> list:
    """The detections as mmdet's results json holds them."""
    out = []
    for p in preds:
        scores = p.get('mask_scores', p['scores']) if segm else p['scores']
        for box, score, label, i in zip(p['bboxes'].tolist(), scores, p['labels'], range(len(scores))):
            d = dict(image_id=p['img_id'], bbox=[box[0], box[1], box[2] - box[0], box[3] - box[1]],
                     score=float(score), category_id=cat_ids[label])
            if segm:
                d.pop('bbox')
                d['segmentation'] = p['masks'][i]
            out.append(d)
    return out


def _params(rng) -> dict:
    return dict(
        maxDets=[[1, 10, 100], [100, 300, 1000], [2, 1, 4], [1, 3, 3]][rng.integers(4)],
        iouThrs=[None, np.array([0.3, 0.5, 0.75, 1.0])][rng.integers(2)],
        areaRng=[None, [[0, 1e10], [0, 12], [12, 40], [40, 1e10]]][rng.integers(2)],
        useCats=int(rng.random() < 0.75),
        subset=rng.random() < 0.25)


def _run(evaluator, p: dict, img_ids: list, cat_ids: list):
    params = evaluator.params
    params.maxDets = list(p['maxDets'])
    if p['iouThrs'] is not None:
        params.iouThrs = p['iouThrs']
    if p['areaRng'] is not None:
        params.areaRng = p['areaRng']
    params.useCats = p['useCats']
    if p['subset']:  # evaluate part of the images and categories
        params.imgIds, params.catIds = img_ids[::2], cat_ids[1:]
    with contextlib.redirect_stdout(io.StringIO()):
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    return evaluator


def assert_identical(ours, ref) -> None:
    for key in ('precision', 'recall', 'scores'):
        assert ours.eval[key].shape == ref.eval[key].shape, key
        assert np.array_equal(ours.eval[key], ref.eval[key]), (key, np.abs(ours.eval[key] - ref.eval[key]).max())
    assert np.array_equal(ours.stats, ref.stats)
    assert ours.params.catIds == ref.params.catIds and ours.params.imgIds == ref.params.imgIds


def _check_cases(seeds: range, segm: bool) -> None:
    for seed in seeds:
        dataset, preds = make_case(seed, segm)
        cat_ids = [c['id'] for c in dataset['categories']]
        img_ids = [i['id'] for i in dataset['images']]
        p = _params(np.random.default_rng(1000 + seed))
        iou_type = 'segm' if segm else 'bbox'
        coco = _coco(dataset)
        ref = _run(COCOeval(coco, coco.loadRes(_as_json(preds, cat_ids, segm)), iou_type), p, img_ids, cat_ids)
        ours = _run(ArrayCOCOeval(ground_truth(_coco(dataset)), detections(preds, cat_ids, segm), iou_type,
                                  img_ids, cat_ids), p, img_ids, cat_ids)
        assert_identical(ours, ref)


@pytest.mark.parametrize('segm', [False, True], ids=['bbox', 'segm'])
def test_randomised_cases_equal_pycocotools(segm):
    _check_cases(range(300 if not segm else 150), segm)


def test_coco_like_case_equals_pycocotools():
    """A medium case shaped like COCO val (the benchmark's generator): 150 images, 80 classes, 100 detections
    each, mmdet's max-dets (100, 300, 1000)."""
    from benchmarks.bench_eval import make_results
    from benchmarks.coco_synth import COCO_CAT_IDS, make_coco_like
    dataset = make_coco_like(150, seed=3)
    preds = [p for _, p in make_results(dataset, seed=4)]
    coco = _coco(dataset)
    p = dict(maxDets=[100, 300, 1000], iouThrs=None, areaRng=None, useCats=1, subset=False)
    ids = (sorted(coco.getImgIds()), sorted(coco.getCatIds()))
    ref = _run(COCOeval(coco, coco.loadRes(_as_json(preds, COCO_CAT_IDS, False)), 'bbox'), p, *ids)
    ours = _run(ArrayCOCOeval(ground_truth(coco), detections(preds, COCO_CAT_IDS, False), 'bbox', *ids), p, *ids)
    assert_identical(ours, ref)
    assert 0.1 < ours.stats[0] < 0.9


def test_what_the_evaluator_cannot_evaluate_is_refused():
    dataset, preds = make_case(0, False)
    cat_ids = [c['id'] for c in dataset['categories']]
    evaluator = ArrayCOCOeval(ground_truth(_coco(dataset)), detections(preds, cat_ids, False), 'bbox', [], [])
    evaluator.params.useCats, evaluator.params.catIds = 0, cat_ids + cat_ids[:1]
    with pytest.raises(Unsupported, match='repeated category ids'):
        evaluator.evaluate()
    evaluator.params.catIds, evaluator.params.imgIds = cat_ids, ['a', 'b']
    with pytest.raises(Unsupported, match='not integers'):
        evaluator.evaluate()
    with pytest.raises(Unsupported, match='keypoints'):
        ArrayCOCOeval(ground_truth(_coco(dataset)), detections(preds, cat_ids, False), 'keypoints', [], [])
