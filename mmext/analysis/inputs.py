"""Ground truth and predictions for the analysis: a COCO json, and a results json (or mmdet's results pkl)."""
from __future__ import annotations

import contextlib
import io
import json
import os.path as osp
from dataclasses import dataclass
from typing import Any

import numpy as np

from mmext.errors import DatasetError


@dataclass
class GroundTruth:
    """A COCO annotation file, indexed by pycocotools.

    Args:
        coco: The pycocotools ``COCO`` object.
        cat_ids: Category ids in id order; label ``i`` is ``cat_ids[i]`` (mmext's CustomCocoDataset order).
        classes: The category names, in the same order.
        path: The file it was read from.
    """
    coco: Any
    cat_ids: list[int]
    classes: list[str]
    path: str


@dataclass
class Predictions:
    """Detections as columns (one entry per detection), in the ground truth's image and category ids.

    Args:
        image_ids: Image id of each detection.
        category_ids: Category id of each detection.
        boxes: xywh boxes, float64 (N x 4), as COCO results hold them.
        scores: Scores, float64.
        file_names: ``{image id: file name}`` from the results' own ``images`` list (empty when it has none).
    """
    image_ids: np.ndarray
    category_ids: np.ndarray
    boxes: np.ndarray
    scores: np.ndarray
    file_names: dict

    def __len__(self) -> int:
        return len(self.scores)


def load_ground_truth(path: str) -> GroundTruth:
    """Read a COCO annotation file (with its ``annotations``: an analysis needs something to compare with).

    Raises:
        DatasetError: The file is missing, is not json, is not COCO, or has no annotations.
    """
    data = _read_json(path, 'ground-truth file')
    if not isinstance(data, dict) or not isinstance(data.get('images'), list) or not data.get('categories'):
        raise DatasetError(f'ground-truth file {path}: not a COCO annotation file (needs "images", "annotations" '
                           'and "categories" lists)')
    if not data.get('annotations'):
        raise DatasetError(f'ground-truth file {path} has no annotations, so there is nothing to compare the '
                           'predictions with; pass the annotated json of the same images')
    from pycocotools.coco import COCO
    coco = COCO()
    coco.dataset = data
    with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints "creating index..."
        coco.createIndex()
    cat_ids = sorted(coco.getCatIds())
    return GroundTruth(coco=coco, cat_ids=cat_ids, classes=[coco.cats[c]['name'] for c in cat_ids], path=path)


def load_predictions(path: str, gt: GroundTruth) -> Predictions:
    """Read predictions and express them in ``gt``'s image and category ids.

    Accepted: a COCO results json (a list of ``image_id, category_id, bbox, score``); a json object with
    ``annotations`` holding such entries plus ``images`` (matched to ``gt`` by file name) and ``categories``
    (matched by name), as ``tools/infer.py`` writes; mmdet's ``results.pkl`` (``tools/test.py --out x.pkl``).

    Raises:
        DatasetError: The file is missing or unreadable, an entry lacks a field, or an image or category is not
            in the ground truth (the message names them).
    """
    if path.endswith(('.pkl', '.pickle')):
        return _from_pkl(path, gt)
    data = _read_json(path, 'results file')
    file_names, image_map, cat_map = {}, None, None
    if isinstance(data, dict):
        if not isinstance(data.get('annotations'), list):
            raise DatasetError(f'results file {path}: a json object must hold an "annotations" list of detections '
                               '(or give a COCO results list: [{"image_id", "category_id", "bbox", "score"}, ...])')
        if isinstance(data.get('images'), list):
            file_names = {img['id']: img.get('file_name', '') for img in data['images']}
            image_map = _images_by_file_name(path, data['images'], gt)
        if isinstance(data.get('categories'), list):
            cat_map = _categories_by_name(path, data['categories'], gt)
        data = data['annotations']
    if not isinstance(data, list):
        raise DatasetError(f'results file {path}: expected a list of detections, found {type(data).__name__}')
    for i, det in enumerate(data[:1] + data[-1:]):  # the fields, checked cheaply at both ends
        missing = [k for k in ('image_id', 'category_id', 'bbox', 'score') if not isinstance(det, dict) or k not in det]
        if missing:
            raise DatasetError(f'results file {path}: detection {0 if i == 0 else len(data) - 1} has no '
                               f'{", ".join(missing)} (a COCO results entry needs image_id, category_id, bbox, score)')
    try:
        image_ids = np.asarray([d['image_id'] for d in data], np.int64)
        category_ids = np.asarray([d['category_id'] for d in data], np.int64)
        boxes = np.asarray([d['bbox'] for d in data], np.float64).reshape(-1, 4)
        scores = np.asarray([d['score'] for d in data], np.float64)
    except (KeyError, TypeError, ValueError) as err:
        raise DatasetError(f'results file {path}: a detection is malformed ({type(err).__name__}: {err}); each needs '
                           'image_id, category_id, bbox [x, y, w, h] and score') from None
    if image_map is not None:
        image_ids = _remap(image_ids, image_map, path, 'image_id', 'its "images" list')
    if cat_map is not None:
        category_ids = _remap(category_ids, cat_map, path, 'category_id', 'its "categories" list')
    preds = Predictions(image_ids, category_ids, boxes, scores, file_names)
    _check_known(preds, gt, path)
    return preds


def _read_json(path: str, what: str) -> Any:
    if not osp.isfile(path):
        raise DatasetError(f'{what} {path} does not exist')
    try:
        with open(path, 'rb') as f:
            return json.load(f)
    except (ValueError, UnicodeDecodeError) as err:
        raise DatasetError(f'{what} {path} is not valid json ({err})') from None


def _images_by_file_name(path: str, images: list, gt: GroundTruth) -> dict:
    """{results image id: gt image id}, by file name (the whole name, else the base name when that is unique)."""
    by_name = {img['file_name']: img['id'] for img in gt.coco.dataset['images']}
    by_base: dict = {}
    for img in gt.coco.dataset['images']:
        by_base.setdefault(osp.basename(img['file_name']), []).append(img['id'])
    mapping, unknown = {}, []
    for img in images:
        name = img.get('file_name', '')
        if name in by_name:
            mapping[img['id']] = by_name[name]
        elif len(by_base.get(osp.basename(name), ())) == 1:
            mapping[img['id']] = by_base[osp.basename(name)][0]
        else:
            unknown.append(name)
    if unknown:
        raise DatasetError(f'results file {path}: {len(unknown)} of its {len(images)} images are not in the ground '
                           f'truth {gt.path} (by file name), e.g. {", ".join(map(repr, unknown[:3]))}; compare '
                           'predictions with the annotation file of the same images')
    return mapping


def _categories_by_name(path: str, categories: list, gt: GroundTruth) -> dict:
    names = dict(zip(gt.classes, gt.cat_ids))
    unknown = [c.get('name') for c in categories if c.get('name') not in names]
    if unknown:
        raise DatasetError(f'results file {path}: classes {unknown} are not in the ground truth {gt.path} '
                           f'(its classes: {gt.classes})')
    return {c['id']: names[c['name']] for c in categories}


def _remap(ids: np.ndarray, mapping: dict, path: str, field: str, where: str) -> np.ndarray:
    missing = sorted(set(ids.tolist()) - set(mapping))
    if missing:
        raise DatasetError(f'results file {path}: {field} {missing[:5]} of some detections are not in {where}')
    return np.asarray([mapping[i] for i in ids.tolist()], np.int64)


def _check_known(preds: Predictions, gt: GroundTruth, path: str) -> None:
    bad_images = sorted(set(np.unique(preds.image_ids).tolist()) - set(gt.coco.imgs))
    if bad_images:
        raise DatasetError(f'results file {path}: image ids {bad_images[:5]} (of {len(bad_images)}) are not in the '
                           f'ground truth {gt.path}; compare predictions with the annotation file they were made on')
    bad_cats = sorted(set(np.unique(preds.category_ids).tolist()) - set(gt.cat_ids))
    if bad_cats:
        raise DatasetError(f'results file {path}: category ids {bad_cats} are not in the ground truth {gt.path} '
                           f'(its ids: {gt.cat_ids})')
    if not np.isfinite(preds.boxes).all() or not np.isfinite(preds.scores).all():
        raise DatasetError(f'results file {path}: some boxes or scores are NaN or infinite')


def _from_pkl(path: str, gt: GroundTruth) -> Predictions:
    """mmdet's DumpDetResults file: one dict per image with ``img_id`` and ``pred_instances`` (xyxy, labels in
    the dataset's label order, which for mmext's CustomCocoDataset is category-id order)."""
    if not osp.isfile(path):
        raise DatasetError(f'results file {path} does not exist')
    import mmengine
    try:
        samples = mmengine.load(path)
    except Exception as err:  # a truncated or foreign pickle: say which file
        raise DatasetError(f'results file {path} could not be read as a pickle ({type(err).__name__}: {err})') from None
    image_ids, labels, boxes, scores = [], [], [], []
    for i, sample in enumerate(samples if isinstance(samples, list) else []):
        pred = sample.get('pred_instances') if isinstance(sample, dict) else None
        if pred is None or 'img_id' not in sample:
            raise DatasetError(f'results file {path}: entry {i} has no img_id / pred_instances; is it the pkl of '
                               'tools/test.py --out results.pkl?')
        n = len(pred['scores'])
        image_ids.append(np.full(n, int(sample['img_id']), np.int64))
        labels.append(np.asarray(pred['labels']).astype(np.int64).reshape(-1))
        boxes.append(np.asarray(pred['bboxes']).astype(np.float64).reshape(-1, 4))
        scores.append(np.asarray(pred['scores']).astype(np.float64).reshape(-1))
    if not isinstance(samples, list):
        raise DatasetError(f'results file {path}: expected a list of per-image results, found {type(samples).__name__}')
    label = np.concatenate(labels) if labels else np.zeros(0, np.int64)
    if len(label) and (label.min() < 0 or label.max() >= len(gt.cat_ids)):
        raise DatasetError(f'results file {path}: labels up to {label.max()} but the ground truth {gt.path} has '
                           f'{len(gt.cat_ids)} classes')
    xyxy = np.concatenate(boxes) if boxes else np.zeros((0, 4))
    preds = Predictions(image_ids=np.concatenate(image_ids) if image_ids else np.zeros(0, np.int64),
                        category_ids=np.asarray(gt.cat_ids, np.int64)[label],
                        boxes=np.concatenate([xyxy[:, :2], xyxy[:, 2:] - xyxy[:, :2]], axis=1),
                        scores=np.concatenate(scores) if scores else np.zeros(0), file_names={})
    _check_known(preds, gt, path)
    return preds
