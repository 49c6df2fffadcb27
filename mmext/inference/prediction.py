"""What a detector found in one image, as plain NumPy arrays."""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np


@dataclass
class Prediction:
    """The detections in one image (or video frame), in the image's own pixels.

    Attributes:
        boxes: (N, 4) float32, ``x1, y1, x2, y2``.
        scores: (N,) float32, highest first.
        labels: (N,) int64, indices into ``classes``.
        classes: The model's class names (all of them; ``class_names`` gives each detection's).
        image_size: (height, width) of the image.
        masks: (N, height, width) bool for instance-segmentation models, else None.
        path: The image file, or None for an array.
    """
    boxes: np.ndarray
    scores: np.ndarray
    labels: np.ndarray
    classes: tuple[str, ...]
    image_size: tuple[int, int]
    masks: np.ndarray | None = None
    path: str | None = field(default=None)

    def __len__(self) -> int:
        return len(self.scores)

    @property
    def class_names(self) -> list[str]:
        """The class name of each detection."""
        return [self.classes[i] for i in self.labels.tolist()]

    def above(self, score_thr: float | None) -> 'Prediction':
        """The detections scoring at least ``score_thr`` (all of them for None)."""
        if not score_thr:
            return self
        keep = self.scores >= score_thr
        return replace(self, boxes=self.boxes[keep], scores=self.scores[keep], labels=self.labels[keep],
                       masks=None if self.masks is None else self.masks[keep])

    def to_dict(self) -> dict:
        """JSON-ready: ``boxes`` (xyxy lists), ``scores``, ``labels``, ``class_names`` (masks left out)."""
        return dict(boxes=np.round(self.boxes.astype(np.float64), 2).tolist(),
                    scores=np.round(self.scores.astype(np.float64), 5).tolist(), labels=self.labels.tolist(),
                    class_names=self.class_names)


def from_data_sample(sample, classes: tuple[str, ...], path: str | None = None) -> Prediction:
    """A :class:`Prediction` from an mmdet ``DetDataSample`` (its ``pred_instances``, already in the original
    image's pixels: mmdet's ``predict`` rescales them)."""
    pred = sample.pred_instances
    return from_tensors(pred.bboxes, pred.scores, pred.labels, classes, sample.ori_shape, pred.get('masks'), path)


def from_tensors(boxes, scores, labels, classes: tuple[str, ...], image_size, masks=None,
                 path: str | None = None) -> Prediction:
    """A :class:`Prediction` from a detector's tensors (on any device, in any float type), in the original
    image's pixels; ``image_size`` starts with (height, width)."""
    if masks is not None:
        masks = masks.detach().cpu().numpy().astype(bool, copy=False)
    return Prediction(boxes=boxes.detach().cpu().numpy().astype(np.float32, copy=False),
                      scores=scores.detach().cpu().numpy().astype(np.float32, copy=False),
                      labels=labels.detach().cpu().numpy().astype(np.int64, copy=False),
                      classes=classes, image_size=(int(image_size[0]), int(image_size[1])), masks=masks, path=path)


def empty_prediction(classes: tuple[str, ...], image_size: tuple[int, int], path: str | None = None) -> Prediction:
    """No detections."""
    return Prediction(np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros(0, np.int64), classes,
                      image_size, None, path)
