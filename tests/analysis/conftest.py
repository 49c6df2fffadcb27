"""Shared fixtures of the analysis tests: predictions whose every error is known, on tiny_coco and by hand."""
import json

import numpy as np
import pytest

from mmext.analysis.inputs import Predictions, load_ground_truth


@pytest.fixture
def known(tiny_coco, tmp_path):
    """The val split's ground truth as predictions (score 0.9), except: on the first image one object is
    missed and one gets another class; one false positive far from everything on the second image."""
    gt = json.load(open(tiny_coco['val']))
    cats = sorted(c['id'] for c in gt['categories'])
    first, second = gt['images'][0]['id'], gt['images'][1]['id']
    results, dropped, relabelled = [], 0, 0
    for ann in gt['annotations']:
        if ann['image_id'] == first and not dropped:
            dropped = 1
            continue
        cat = ann['category_id']
        if ann['image_id'] == first and not relabelled:
            relabelled, cat = 1, cats[(cats.index(cat) + 1) % len(cats)]
        results.append(dict(image_id=ann['image_id'], category_id=cat, bbox=ann['bbox'], score=0.9))
    results.append(dict(image_id=second, category_id=cats[0], bbox=[0, 0, 3, 3], score=0.8))
    results.append(dict(image_id=second, category_id=cats[0], bbox=[0, 0, 3, 3], score=0.1))  # below score_thr
    path = tmp_path / 'results.json'
    path.write_text(json.dumps(results))
    return dict(gt=gt, results=results, path=str(path), cats=cats, n=len(gt['annotations']))


# Two 100x100 images, classes cat (id 1) and dog (id 2). Image 1: a cat and a dog; image 2: a cat.
HAND_GT = dict(
    images=[dict(id=1, file_name='one.png', width=100, height=100),
            dict(id=2, file_name='two.png', width=100, height=100)],
    categories=[dict(id=1, name='cat'), dict(id=2, name='dog')],
    annotations=[dict(id=1, image_id=1, category_id=1, bbox=[10, 10, 20, 20], area=400, iscrowd=0),
                 dict(id=2, image_id=1, category_id=2, bbox=[50, 50, 20, 20], area=400, iscrowd=0),
                 dict(id=3, image_id=2, category_id=1, bbox=[0, 0, 30, 30], area=900, iscrowd=0)])


@pytest.fixture
def hand(tmp_path):
    """HAND_GT and predictions with a known answer: the cat of image 1 found (0.9), its dog called a cat (0.8),
    the cat of image 2 missed, a dog where image 2 has nothing (0.7, a false positive)."""
    path = tmp_path / 'hand_gt.json'
    path.write_text(json.dumps(HAND_GT))
    gt = load_ground_truth(str(path))
    preds = Predictions(image_ids=np.array([1, 1, 2]), category_ids=np.array([1, 1, 2]),
                        boxes=np.array([[10, 10, 20, 20], [50, 50, 20, 20], [70, 70, 10, 10]], np.float64),
                        scores=np.array([0.9, 0.8, 0.7]), file_names={})
    return dict(gt=gt, preds=preds, path=str(path), results=[
        dict(image_id=int(i), category_id=int(c), bbox=b, score=float(s))
        for i, c, b, s in zip(preds.image_ids, preds.category_ids, preds.boxes.tolist(), preds.scores)])
