"""Batched prediction: images through the test pipeline, one real batch through the detector."""
from __future__ import annotations

from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterable, Iterator, Sequence, TypeVar

import numpy as np

from mmext.inference.pipeline import build_array_pipeline
from mmext.inference.prediction import Prediction, from_data_sample, from_tensors

T = TypeVar('T')


class BatchPredictor:
    """Runs a loaded detector on batches of decoded images.

    A batch is one forward pass (mmdet's data preprocessor stacks and pads the images and the detector runs once
    on the whole batch), not a loop over single images. It is ``model.test_step``, except for a one-stage
    detector whose head keeps mmdet's dense post-processing: its parts are called in turn and the
    post-processing runs for the whole batch at once (:mod:`mmext.inference.dense_postprocess`).

    Args:
        model: An mmdet detector in eval mode (see :func:`mmext.inference.loading.load_model`).
        cfg: Its config (for the test pipeline).
        classes: Its class names.
        batch_size: Images per forward pass. Defaults to 8.
        optimize: Fold each BatchNorm into the convolution before it (mmcv's ``fuse_conv_bn``, what mmdet's own
            benchmark tool offers), keep the backbone, neck and head in channels-last memory, which oneDNN's CPU
            convolutions run faster (2x for the demo's backbone and neck on 2 cores; see
            :func:`optimize_for_inference` for the models left in NCHW), and post-process a one-stage
            detector's batch at once (:mod:`mmext.inference.dense_postprocess`). The boxes stay mmdet's to
            float rounding. Defaults to True.
    """

    def __init__(self, model, cfg, classes: tuple[str, ...], batch_size: int = 8, optimize: bool = True) -> None:
        if batch_size < 1:
            raise ValueError(f'batch_size must be >= 1, got {batch_size}')
        self.model = optimize_for_inference(model) if optimize else model
        self.classes, self.batch_size = classes, batch_size
        self.batched_postprocess = optimize and _has_batched_postprocess(self.model)
        self.pipeline, self.read = build_array_pipeline(cfg)

    def prepare(self, img: np.ndarray) -> dict:
        """One image through the test pipeline (thread-safe: the test transforms keep no state)."""
        return self.pipeline(dict(img=img))

    def run(self, prepared: Sequence[dict], paths: Sequence[str | None] | None = None) -> list[Prediction]:
        """Predict on images already through :meth:`prepare`, as one batch."""
        import torch
        from mmengine.dataset import pseudo_collate
        if not prepared:
            return []
        paths = paths or [None] * len(prepared)
        with torch.no_grad():
            if self.batched_postprocess:
                return self._run_single_stage(pseudo_collate(list(prepared)), paths)
            samples = self.model.test_step(pseudo_collate(list(prepared)))
        return [from_data_sample(s, self.classes, p) for s, p in zip(samples, paths)]

    def _run_single_stage(self, batch: dict, paths: Sequence[str | None]) -> list[Prediction]:
        """``SingleStageDetector.predict`` with the head's post-processing done for the whole batch at once
        (:mod:`mmext.inference.dense_postprocess`: mmdet's steps and results, a fraction of the time)."""
        from mmext.inference.dense_postprocess import batched_predict_by_feat
        model = self.model
        # the samples' metainfo (img_shape, scale_factor, ori_shape) is all the post-processing reads: they need
        # not go through the preprocessor, which would copy each to the device and annotate its padding
        metas = [sample.metainfo for sample in batch['data_samples']]
        inputs = model.data_preprocessor(dict(inputs=batch['inputs']), False)['inputs']
        outs = model.bbox_head(model.extract_feat(inputs))
        detections = batched_predict_by_feat(model.bbox_head, *outs, batch_img_metas=metas)
        return [from_tensors(boxes, scores, labels, self.classes, meta['ori_shape'], path=path)
                for (boxes, scores, labels), meta, path in zip(detections, metas, paths)]

    def predict_arrays(self, images: Sequence[np.ndarray]) -> list[Prediction]:
        """Predict on BGR images (as ``cv2.imread`` gives them), ``batch_size`` at a time."""
        out: list[Prediction] = []
        for start in range(0, len(images), self.batch_size):
            out += self.run([self.prepare(img) for img in images[start:start + self.batch_size]])
        return out

    def stream(self, items: Iterable[T], load: Callable[[T], np.ndarray | None],
               predict: Callable[[list[np.ndarray], list[dict]], list[Prediction]] | None = None,
               workers: int | None = None, prepare: bool = True) -> Iterator[tuple[T, np.ndarray | None, Prediction | None]]:
        """Predict on many items, decoding and preparing the next ones in threads while the model runs.

        Args:
            items: What to predict on (paths, video frames, ...), in order.
            load: Turns an item into a BGR image; None when it cannot be read (the item is then yielded with
                ``None`` image and prediction, and the rest go on).
            predict: Predicts a batch (images, their prepared dicts); defaults to :meth:`run`.
            workers: Decoding threads (OpenCV releases the GIL while decoding and resizing); 0 decodes in this
                thread. Defaults to the cores that torch's threads leave free, at most 2 (none on 2 cores:
                there a decoding thread slows the forward pass more than it saves).
            prepare: Whether the threads also run the test pipeline (False when ``predict`` does its own,
                as sliced prediction does per tile).

        Yields:
            ``(item, image, prediction)`` in the order of ``items``.
        """
        def job(item):
            img = load(item)
            return item, img, (self.prepare(img) if prepare and img is not None else None)

        predict = predict or (lambda images, prepared: self.run(prepared))
        if workers is None:
            import os

            import torch
            workers = max(0, min(2, (os.cpu_count() or 1) - torch.get_num_threads()))
        if workers == 0:
            for chunk in _chunks(items, self.batch_size):
                yield from self._predict_chunk([job(item) for item in chunk], predict)
            return
        window = max(2 * self.batch_size, workers)
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix='mmext-load') as pool:
            pending: deque = deque()
            source = iter(items)
            exhausted = False
            while True:
                while not exhausted and len(pending) < window:
                    nxt = next(source, _END)
                    if nxt is _END:
                        exhausted = True
                    else:
                        pending.append(pool.submit(job, nxt))
                if not pending:
                    return
                batch = [pending.popleft().result() for _ in range(min(self.batch_size, len(pending)))]
                yield from self._predict_chunk(batch, predict)

    @staticmethod
    def _predict_chunk(batch: list[tuple], predict) -> Iterator[tuple]:
        good = [b for b in batch if b[1] is not None]
        preds = iter(predict([b[1] for b in good], [b[2] for b in good]) if good else [])
        for item, img, _ in batch:
            yield item, img, (next(preds) if img is not None else None)


def _chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _has_batched_postprocess(model) -> bool:
    """A one-stage detector predicting as ``SingleStageDetector`` does, with a head whose post-processing
    :mod:`mmext.inference.dense_postprocess` repeats (RetinaNet, FCOS, ATSS, ...)."""
    from mmdet.models.detectors.single_stage import SingleStageDetector
    from mmengine.model import BaseModel

    from mmext.inference.dense_postprocess import supports_batched_postprocess
    kind = type(model)
    return (isinstance(model, SingleStageDetector) and kind.test_step is BaseModel.test_step
            and all(getattr(kind, name) is getattr(SingleStageDetector, name) for name in ('predict', 'extract_feat'))
            and supports_batched_postprocess(model.bbox_head))


def optimize_for_inference(model):
    """Fold BatchNorms into convolutions and run the backbone, neck and head in channels-last memory (in place).

    Channels-last is left out for a model with any of mmcv's compiled ops (RoIAlign, deformable convolutions,
    CARAFE, ...): their CPU kernels read a map as plain NCHW memory whatever its strides, so a channels-last map
    would give them wrong numbers silently (a two-stage detector's RoI features, for one).

    Returns:
        The same model.
    """
    import torch
    from mmcv.cnn import fuse_conv_bn
    fuse_conv_bn(model)
    if uses_compiled_ops(model):
        return model
    for name in ('backbone', 'neck', 'bbox_head'):
        part = getattr(model, name, None)
        if isinstance(part, torch.nn.Module):
            part.to(memory_format=torch.channels_last)
    return model


def uses_compiled_ops(model) -> bool:
    """Whether any module of ``model`` is one of mmcv's compiled ops (a class from ``mmcv.ops``)."""
    return any(type(module).__module__.startswith('mmcv.ops') for module in model.modules())


_END = object()
