"""``mmext.Detector``: a trained detector from a work dir or checkpoint, predicting on arrays, files and folders."""
from __future__ import annotations

import os.path as osp
import warnings
from typing import Iterable, Iterator, Sequence

import numpy as np

from mmext.errors import InputError, MmextError
from mmext.inference.batching import BatchPredictor
from mmext.inference.class_names import ClassesArg
from mmext.inference.loading import load_model
from mmext.inference.model_files import resolve_model_files
from mmext.inference.prediction import Prediction
from mmext.inference.slicing import SliceOptions, predict_sliced


class PredictionList(list):
    """A list of :class:`Prediction` (one per readable image) with ``skipped``: the files that could not be
    read."""

    def __init__(self, predictions: Iterable[Prediction] = (), skipped: Sequence[str] = ()) -> None:
        super().__init__(predictions)
        self.skipped = list(skipped)


class Detector:
    """A trained mmdet detector, ready to predict.

    The class names (and so ``num_classes='auto'``) come from the checkpoint's metadata; the training dataset is
    not needed. Results are plain NumPy arrays (:class:`~mmext.inference.prediction.Prediction`).

    Args:
        config: A work dir (its latest checkpoint and the config dumped there), a config file, or a checkpoint
            file (its config from its folder, else the one saved inside it).
        checkpoint: The checkpoint, when not found from ``config``.
        device: ``'cpu'``, ``'cuda'`` or ``'cuda:N'``. Defaults to ``'cpu'``.
        classes: Class names for a checkpoint without them (names, a comma-separated string, a text file or the
            training COCO json).
        batch_size: Images (or tiles) per forward pass. Defaults to 8.
        cfg_options: Config overrides, as ``--cfg-options`` gives them.
        optimize: Fold BatchNorm into convolutions and run the backbone and neck channels-last (see
            :class:`~mmext.inference.batching.BatchPredictor`); ``det.model`` is then the folded model.
            Defaults to True.

    Raises:
        CheckpointError: No checkpoint, no class names, or a checkpoint that does not fit the config.
        ConfigError: A missing or unreadable config.

    Example:
        >>> import mmext
        >>> det = mmext.Detector.from_work_dir('work_dirs/demo')
        >>> pred = det.predict('photo.jpg')
        >>> pred.boxes, pred.scores, pred.class_names
    """

    def __init__(self, config: str, checkpoint: str | None = None, *, device: str = 'cpu',
                 classes: ClassesArg = None, batch_size: int = 8, cfg_options: dict | None = None,
                 optimize: bool = True) -> None:
        check_device(device)
        loaded = load_model(resolve_model_files(str(config), checkpoint and str(checkpoint)), device, classes,
                            cfg_options)
        self.model, self.cfg, self.model_classes, self.files = loaded.model, loaded.cfg, loaded.classes, loaded.files
        self.device = device
        self.predictor = BatchPredictor(self.model, self.cfg, self.classes, batch_size, optimize)

    @classmethod
    def from_work_dir(cls, work_dir: str, checkpoint: str | None = None, **kwargs) -> 'Detector':
        """The detector trained in ``work_dir``: its latest checkpoint (``last_checkpoint``, else the newest
        ``*.pth``) and the config mmengine dumped there. Keyword arguments as for :class:`Detector`."""
        if not osp.isdir(str(work_dir)):
            raise InputError(f'work dir {work_dir} does not exist')
        return cls(str(work_dir), checkpoint, **kwargs)

    @property
    def classes(self) -> tuple[str, ...]:
        """The class names; a label is an index into them."""
        return self.model_classes.names

    def predict(self, images: str | np.ndarray | Sequence[str | np.ndarray], score_thr: float | None = None,
                slice: SliceOptions | int | None = None) -> Prediction | list[Prediction]:
        """Predict on one image or several.

        Args:
            images: A file path, a BGR ``uint8`` array (as ``cv2.imread`` gives), or a list of them.
            score_thr: Keep detections scoring at least this; None keeps all the model returns (its
                ``test_cfg.score_thr``).
            slice: Sliced prediction: a tile size, or :class:`~mmext.inference.slicing.SliceOptions`.

        Returns:
            A :class:`Prediction` for one image, a list for a list.

        Raises:
            InputError: A file that does not exist or cannot be decoded.
        """
        single = isinstance(images, (str, np.ndarray)) or hasattr(images, '__fspath__')
        items = [images] if single else list(images)
        loaded = [self._load(item) for item in items]
        paths = [None if isinstance(item, np.ndarray) else str(item) for item in items]
        preds = self._predict_loaded(loaded, paths, _slice_options(slice))
        preds = [p.above(score_thr) for p in preds]
        return preds[0] if single else preds

    def predict_folder(self, folder: str, score_thr: float | None = None, slice: SliceOptions | int | None = None,
                       ) -> PredictionList:
        """Predict on every image under ``folder`` (recursive, sorted). Unreadable files are skipped, listed
        in the result's ``skipped`` and named in one warning.

        Raises:
            InputError: The folder does not exist or holds no image.
        """
        from mmext.inference.inputs import discover_inputs
        if not osp.isdir(str(folder)):
            raise InputError(f'folder {folder} does not exist')
        found = discover_inputs([str(folder)]).images
        if not found:
            raise InputError(f'folder {folder} holds no image')
        preds, skipped = PredictionList(), []
        for path, _, pred in self.iter_predict([f.path for f in found], slice=slice):
            if pred is None:
                skipped.append(path)
            else:
                preds.append(pred.above(score_thr))
        preds.skipped = skipped
        if skipped:
            warnings.warn(f'skipped {len(skipped)} unreadable image(s) of {folder}: {", ".join(skipped[:10])}'
                          + (' ...' if len(skipped) > 10 else ''), stacklevel=2)
        return preds

    def iter_predict(self, paths: Iterable[str], slice: SliceOptions | int | None = None, workers: int | None = None,
                     ) -> Iterator[tuple[str, np.ndarray | None, Prediction | None]]:
        """Predict on image files as a stream (decoding ahead in ``workers`` threads where cores are free, see
        :meth:`BatchPredictor.stream`): ``(path, image, prediction)`` in order, with ``None`` image and prediction
        for a file that cannot be read."""
        options = _slice_options(slice)
        predict = None
        if options is not None:
            def predict(images, _prepared):
                return [predict_sliced(self.predictor, img, options) for img in images]
        for path, img, pred in self.predictor.stream(paths, self.predictor.read, predict=predict, workers=workers,
                                                     prepare=options is None):
            if pred is not None:
                pred.path = path
            yield path, img, pred

    def _load(self, item) -> np.ndarray:
        if isinstance(item, np.ndarray):
            if item.ndim not in (2, 3) or item.size == 0:
                raise InputError(f'an image array must be HxW or HxWxC, got shape {item.shape}')
            return item
        path = str(item)
        if not osp.isfile(path):
            raise InputError(f'image {path} does not exist')
        img = self.predictor.read(path)
        if img is None:
            raise InputError(f'image {path} cannot be decoded (not an image, or a broken file)')
        return img

    def _predict_loaded(self, images: list[np.ndarray], paths: list[str | None],
                        options: SliceOptions | None) -> list[Prediction]:
        if options is not None:
            return [predict_sliced(self.predictor, img, options, path) for img, path in zip(images, paths)]
        preds = self.predictor.predict_arrays(images)
        for pred, path in zip(preds, paths):
            pred.path = path
        return preds


def _slice_options(slice) -> SliceOptions | None:
    if slice is None or isinstance(slice, SliceOptions):
        return slice
    return SliceOptions(size=int(slice))


def check_device(device: str) -> None:
    """Raise a one-line error for a device this machine does not have.

    Raises:
        MmextError: CUDA asked for without a visible GPU, or an unknown device.
    """
    import torch
    if device == 'cpu':
        return
    if not device.startswith('cuda'):
        raise MmextError(f"--device {device}: use 'cpu', 'cuda' or 'cuda:N'")
    if not torch.cuda.is_available():
        raise MmextError(f'--device {device}: no CUDA GPU is visible on this machine; use --device cpu')
    index = int(device.split(':', 1)[1]) if ':' in device else 0
    if index >= torch.cuda.device_count():
        raise MmextError(f'--device {device}: only {torch.cuda.device_count()} CUDA GPU(s) are visible here')
