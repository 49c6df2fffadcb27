"""Videos: frames through the detector in batches, an annotated copy and a json of every frame's detections."""
from __future__ import annotations

import json
import os
import os.path as osp
from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np

from mmext.inference.drawing import draw_prediction
from mmext.inference.prediction import Prediction

# OpenCV's bundled FFmpeg writes these without extra codecs; other containers are written as mp4.
_FOURCC = {'.avi': 'MJPG', '.mp4': 'mp4v'}


@dataclass
class VideoResult:
    """What came out of one video."""
    path: str
    frames: int
    video_out: str
    json_out: str


def open_video(path: str):
    """An opened ``cv2.VideoCapture`` and its (fps, width, height, frame count), or None when OpenCV cannot read
    a single frame of it."""
    import cv2
    cap = cv2.VideoCapture(path)
    if not cap.isOpened():
        return None
    ok, first = cap.read()
    if not ok or first is None:
        cap.release()
        return None
    fps = cap.get(cv2.CAP_PROP_FPS) or 25.0
    count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
    cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
    if int(cap.get(cv2.CAP_PROP_POS_FRAMES) or 0) != 0:  # cannot seek back: reopen
        cap.release()
        cap = cv2.VideoCapture(path)
    return cap, (float(fps), first.shape[1], first.shape[0], max(count, 0))


def _frames(cap) -> Iterator[tuple[int, np.ndarray]]:
    index = 0
    while True:
        ok, frame = cap.read()
        if not ok or frame is None:
            return
        yield index, frame
        index += 1


def video_outputs(out_dir: str, name: str) -> tuple[str, str]:
    """The annotated video's and the per-frame json's paths for an input named ``name``."""
    stem, ext = osp.splitext(name)
    ext = ext.lower() if ext.lower() in _FOURCC else '.mp4'
    return osp.join(out_dir, stem + ext), osp.join(out_dir, stem + '.json')


def predict_video(predictor, path: str, name: str, out_dir: str, score_thr: float,
                  predict: Callable[[list[np.ndarray], list[dict]], list[Prediction]] | None = None,
                  prepare: bool = True, on_frame: Callable[[], None] | None = None) -> VideoResult | None:
    """Predict on every frame of a video; write the annotated video and the frames' json into ``out_dir``.

    Both files are written under temporary names and renamed into place at the end, so an interrupted run
    leaves no half file where an earlier result was.

    Args:
        predictor: A :class:`~mmext.inference.batching.BatchPredictor` (frames go through it in batches).
        path: The video file.
        name: Its output name (see :class:`~mmext.inference.inputs.InputFile`).
        out_dir: Where the outputs go.
        score_thr: Lowest score drawn (the json keeps every detection of the model).
        predict: Predicts a batch of frames; defaults to the predictor's (sliced prediction passes its own).
        prepare: Whether frames go through the test pipeline before ``predict``.
        on_frame: Called after every frame (progress).

    Returns:
        The outputs, or None when the video cannot be read.
    """
    import cv2

    from mmext.runtime.checkpoint_files import atomic_write_bytes
    opened = open_video(path)
    if opened is None:
        return None
    cap, (fps, width, height, _) = opened
    video_out, json_out = video_outputs(out_dir, name)
    os.makedirs(osp.dirname(video_out), exist_ok=True)
    partial = osp.join(osp.dirname(video_out), f'.{osp.basename(video_out)}.partial{osp.splitext(video_out)[1]}')
    writer = cv2.VideoWriter(partial, cv2.VideoWriter_fourcc(*_FOURCC[osp.splitext(video_out)[1]]), fps,
                             (width, height))
    frames = []
    try:
        for (index, _), frame, pred in predictor.stream(_frames(cap), lambda item: item[1], predict=predict,
                                                          prepare=prepare):
            writer.write(draw_prediction(frame, pred, score_thr))
            frames.append(dict(frame=index, time=round(index / fps, 4), **pred.to_dict()))
            if on_frame:
                on_frame()
    finally:
        cap.release()
        writer.release()
    if not frames:
        if osp.exists(partial):
            os.remove(partial)
        return None
    os.replace(partial, video_out)
    summary = dict(video=path, fps=fps, width=width, height=height, classes=list(predictor.classes), frames=frames)
    atomic_write_bytes(json.dumps(summary).encode(), json_out)
    return VideoResult(path, len(frames), video_out, json_out)
