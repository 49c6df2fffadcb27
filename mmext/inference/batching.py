"""Batched prediction: images through the test pipeline, one real batch through ``model.test_step``."""
from __future__ import annotations

from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterable, Iterator, Sequence, TypeVar

import numpy as np

from mmext.inference.pipeline import build_array_pipeline
from mmext.inference.prediction import Prediction, from_data_sample

T = TypeVar('T')


class BatchPredictor:
    """Runs a loaded detector on batches of decoded images.

    A batch is one call of ``model.test_step`` (mmdet's data preprocessor stacks and pads the images and the
    detector runs once on the whole batch), not a loop over single images.

    Args:
        model: An mmdet detector in eval mode (see :func:`mmext.inference.loading.load_model`).
        cfg: Its config (for the test pipeline).
        classes: Its class names.
        batch_size: Images per forward pass. Defaults to 8.
    """

    def __init__(self, model, cfg, classes: tuple[str, ...], batch_size: int = 8) -> None:
        if batch_size < 1:
            raise ValueError(f'batch_size must be >= 1, got {batch_size}')
        self.model, self.classes, self.batch_size = model, classes, batch_size
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
        with torch.no_grad():
            samples = self.model.test_step(pseudo_collate(list(prepared)))
        paths = paths or [None] * len(samples)
        return [from_data_sample(s, self.classes, p) for s, p in zip(samples, paths)]

    def predict_arrays(self, images: Sequence[np.ndarray]) -> list[Prediction]:
        """Predict on BGR images (as ``cv2.imread`` gives them), ``batch_size`` at a time."""
        out: list[Prediction] = []
        for start in range(0, len(images), self.batch_size):
            out += self.run([self.prepare(img) for img in images[start:start + self.batch_size]])
        return out

    def stream(self, items: Iterable[T], load: Callable[[T], np.ndarray | None],
               predict: Callable[[list[np.ndarray], list[dict]], list[Prediction]] | None = None,
               workers: int = 2, prepare: bool = True) -> Iterator[tuple[T, np.ndarray | None, Prediction | None]]:
        """Predict on many items, decoding and preparing the next ones in threads while the model runs.

        Args:
            items: What to predict on (paths, video frames, ...), in order.
            load: Turns an item into a BGR image; None when it cannot be read (the item is then yielded with
                ``None`` image and prediction, and the rest go on).
            predict: Predicts a batch (images, their prepared dicts); defaults to :meth:`run`.
            workers: Decoding threads (OpenCV releases the GIL while decoding and resizing).
            prepare: Whether the threads also run the test pipeline (False when ``predict`` does its own,
                as sliced prediction does per tile).

        Yields:
            ``(item, image, prediction)`` in the order of ``items``.
        """
        def job(item):
            img = load(item)
            return item, img, (self.prepare(img) if prepare and img is not None else None)

        predict = predict or (lambda images, prepared: self.run(prepared))
        window = max(2 * self.batch_size, workers)
        with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix='mmext-load') as pool:
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
                good = [b for b in batch if b[1] is not None]
                preds = iter(predict([b[1] for b in good], [b[2] for b in good]) if good else [])
                for item, img, _ in batch:
                    yield item, img, (next(preds) if img is not None else None)


_END = object()
