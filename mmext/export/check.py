"""The onnxruntime parity check against mmdet's own prediction, and the CPU latency of both."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Sequence

import cv2
import numpy as np

from mmext.errors import DatasetError


@dataclass
class ParityReport:
    """Largest differences between onnxruntime + numpy steps and mmdet's ``inference_detector`` on the images.

    Args:
        images: Images compared.
        max_box_diff: Largest absolute difference of a box coordinate (pixels).
        max_score_diff: Largest absolute difference of a score.
        same_labels: Every detection found a partner of the same class with a score within 1e-3.
        count_mismatch: Images where the numbers of detections differ (their boxes are not compared).
    """
    images: int
    max_box_diff: float
    max_score_diff: float
    same_labels: bool
    count_mismatch: list

    @property
    def ok(self) -> bool:
        return not self.count_mismatch and self.same_labels and max(self.max_box_diff, self.max_score_diff) <= 1e-3

    def line(self) -> str:
        verdict = 'within 1e-3' if self.ok else 'NOT within 1e-3'
        extra = f'; detection counts differ on {self.count_mismatch[:3]}' if self.count_mismatch else ''
        return (f'onnxruntime vs torch on {self.images} images: max box difference {self.max_box_diff:.2e} px, '
                f'max score difference {self.max_score_diff:.2e}, labels {"equal" if self.same_labels else "DIFFER"} '
                f'({verdict}){extra}')


def read_images(paths: Sequence[str]) -> list[tuple[str, np.ndarray]]:
    """The readable images of ``paths``; an unreadable one is an error naming it."""
    images = []
    for path in paths:
        img = cv2.imread(path)
        if img is None:
            raise DatasetError(f'sample image {path} does not exist or cannot be read')
        images.append((path, img))
    return images


def compare(model: Any, onnx_detector: Any, images: Sequence[tuple[str, np.ndarray]]) -> ParityReport:
    """Predict every image with mmdet (``inference_detector``, the full torch model) and with onnxruntime."""
    from mmdet.apis import inference_detector
    box, score, same, mismatch = 0.0, 0.0, True, []
    for path, img in images:
        ref = inference_detector(model, img).pred_instances
        got = onnx_detector.predict(img)
        if len(ref.scores) != len(got['scores']):
            mismatch.append(path)
            continue
        if len(ref.scores):
            b, sc, ok = _pair_up(ref.bboxes.numpy(), ref.scores.numpy(), ref.labels.numpy(), got)
            box, score, same = max(box, b), max(score, sc), same and ok
    return ParityReport(len(images), box, score, same, mismatch)


def _pair_up(boxes: np.ndarray, scores: np.ndarray, labels: np.ndarray, got: dict,
             tol: float = 1e-3) -> tuple[float, float, bool]:
    """Pair each reference detection with the unused detection of the same class whose score is within ``tol``
    and whose box is closest; equal scores (an untrained model has many) leave NMS in either order on the two
    sides, so position alone does not pair them.

    Returns:
        The largest box and score differences of the pairs, and whether every detection found its pair.
    """
    used = np.zeros(len(got['scores']), bool)
    box = score = 0.0
    for b, s, lab in zip(boxes, scores, labels):
        cand = np.flatnonzero(~used & (got['labels'] == lab) & (np.abs(got['scores'] - s) <= tol))
        if not len(cand):
            return float('inf'), float('inf'), False
        diff = np.abs(got['bboxes'][cand] - b).max(1)
        j = cand[int(np.argmin(diff))]
        used[j] = True
        box, score = max(box, float(diff.min())), max(score, float(abs(got['scores'][j] - s)))
    return box, score, True


def latency(model: Any, onnx_detector: Any, img: np.ndarray, repeats: int = 10) -> dict[str, list[float]]:
    """Seconds per image (one image, end to end: pre-processing, network, post-processing), alternating
    torch (``inference_detector``) and onnxruntime so that a change of machine load hits both alike."""
    from mmdet.apis import inference_detector
    times: dict[str, list[float]] = dict(torch=[], onnxruntime=[])
    inference_detector(model, img), onnx_detector.predict(img)  # warm-up
    for _ in range(repeats):
        for name, run in (('torch', lambda: inference_detector(model, img)),
                          ('onnxruntime', lambda: onnx_detector.predict(img))):
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    return times
