"""The predictions of many images as one COCO file: ``images``, ``annotations`` with scores, ``categories``."""
from __future__ import annotations

import json
import os.path as osp

import numpy as np

from mmext.inference.class_names import ModelClasses
from mmext.inference.prediction import Prediction


def image_entry(image_id: int, file_name: str, pred: Prediction) -> dict:
    """One ``images`` entry (``file_name`` relative to the input folder, as in a COCO dataset; ``path`` as given)."""
    height, width = pred.image_size
    return dict(id=image_id, file_name=file_name, width=int(width), height=int(height), path=pred.path)


def annotation_entries(image_id: int, pred: Prediction, cat_ids: tuple[int, ...], first_id: int) -> list[dict]:
    """The ``annotations`` of one image: COCO ``bbox`` (x, y, w, h), ``score``, ``category_id``, ``area`` (of the
    mask when there is one; masks themselves are not written)."""
    out = []
    boxes = pred.boxes.astype(np.float64)
    areas = pred.masks.reshape(len(pred), -1).sum(1) if pred.masks is not None else None
    for k, ((x1, y1, x2, y2), score, label) in enumerate(zip(boxes, pred.scores.tolist(), pred.labels.tolist())):
        w, h = x2 - x1, y2 - y1
        area = float(areas[k]) if areas is not None else w * h
        out.append(dict(id=first_id + k, image_id=image_id, category_id=int(cat_ids[label]),
                        bbox=[round(float(x1), 2), round(float(y1), 2), round(float(w), 2), round(float(h), 2)],
                        score=round(float(score), 5), area=round(area, 2), iscrowd=0))
    return out


class CocoResults:
    """Collects predictions image by image; :meth:`to_dict` is a COCO dataset file with a ``score`` on every
    annotation.

    Loadable as ground truth for review or pseudo-labelling (``pycocotools.coco.COCO(path)``, mmext's
    ``CustomCocoDataset``), and its ``annotations`` list is a COCO results list (``coco_gt.loadRes(...)``)
    whose ``image_id`` s are this file's: match them to another json's images by ``file_name``.
    """

    def __init__(self, classes: ModelClasses) -> None:
        self.classes = classes
        self.cat_ids = classes.category_ids()
        self.images: list[dict] = []
        self.annotations: list[dict] = []

    def add(self, file_name: str, pred: Prediction) -> None:
        image_id = len(self.images) + 1
        self.images.append(image_entry(image_id, file_name, pred))
        self.annotations += annotation_entries(image_id, pred, self.cat_ids, len(self.annotations) + 1)

    def extend(self, other: dict) -> None:
        """Append another part's :meth:`to_dict` (a worker's shard), renumbering its ids."""
        new_id = {}
        for image in other['images']:
            new_id[image['id']] = len(self.images) + 1
            self.images.append(dict(image, id=new_id[image['id']]))
        for ann in other['annotations']:
            self.annotations.append(dict(ann, id=len(self.annotations) + 1, image_id=new_id[ann['image_id']]))

    def to_dict(self) -> dict:
        categories = [dict(id=int(i), name=n) for i, n in zip(self.cat_ids, self.classes.names)]
        return dict(images=self.images, annotations=self.annotations, categories=categories)

    def dumps(self) -> bytes:
        return json.dumps(self.to_dict()).encode()


def load_results(path: str) -> dict:
    """Read a file written by :class:`CocoResults` (``images``, ``annotations``, ``categories``)."""
    with open(path) as f:
        data = json.load(f)
    if not isinstance(data, dict) or not {'images', 'annotations'} <= set(data):
        raise ValueError(f'{osp.basename(path)} is not a results file with images and annotations')
    return data
