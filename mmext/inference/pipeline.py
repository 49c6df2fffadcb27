"""The config's test pipeline, fed with decoded images, and image reading as that pipeline would do it."""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

_LOADERS = ('LoadImageFromFile', 'mmdet.LoadImageFromFile', 'mmcv.LoadImageFromFile')
_DROPPED = ('LoadAnnotations', 'mmdet.LoadAnnotations', 'LoadPanopticAnnotations', 'mmdet.LoadPanopticAnnotations')


@dataclass
class ImageReader:
    """Decodes an image file exactly as the config's ``LoadImageFromFile`` would (same flag and backend; its
    float conversion moves to the pipeline's first step), so that predictions match ``tools/test.py`` and
    mmdet's inferencer.

    Attributes:
        color_type: mmcv's ``flag`` (``'color'`` applies the EXIF orientation).
        imdecode_backend: ``'cv2'``, ``'pillow'``, ...
        backend_args: mmengine file backend arguments.
    """
    color_type: str = 'color'
    imdecode_backend: str = 'cv2'
    backend_args: dict | None = None

    def __call__(self, path: str) -> np.ndarray | None:
        """The decoded image, or None when the file cannot be read or decoded."""
        import mmcv
        from mmengine import fileio
        try:
            img = mmcv.imfrombytes(fileio.get(path, backend_args=self.backend_args), flag=self.color_type,
                                   backend=self.imdecode_backend)
        except Exception:  # any decoder's failure on a broken file means the same: not an image we can use
            return None
        return None if img is None or img.size == 0 else img


def test_pipeline_cfg(cfg) -> list[dict]:
    """The test pipeline of a config (``test_dataloader.dataset.pipeline``, looking through dataset wrappers,
    else ``test_pipeline``)."""
    dataset = (cfg.get('test_dataloader') or {}).get('dataset') or {}
    while isinstance(dataset, dict) and 'pipeline' not in dataset and ('dataset' in dataset or 'datasets' in dataset):
        dataset = dataset.get('dataset') or dataset['datasets'][0]
    pipeline = (dataset or {}).get('pipeline') or cfg.get('test_pipeline')
    if not pipeline:
        from mmext.errors import ConfigError
        raise ConfigError('the config has no test pipeline (test_dataloader.dataset.pipeline or test_pipeline)')
    return copy.deepcopy(list(pipeline))


def build_array_pipeline(cfg) -> tuple[Callable[[dict], dict], ImageReader]:
    """The config's test pipeline starting from a decoded image (``dict(img=array)``), without annotation loading,
    and the reader that decodes files as its ``LoadImageFromFile`` did.

    Returns:
        The pipeline (a callable on one result dict) and the :class:`ImageReader`.
    """
    from mmcv.transforms import Compose
    steps = test_pipeline_cfg(cfg)
    reader = ImageReader()
    kept: list[Any] = []
    for step in steps:
        kind = step.get('type') if isinstance(step, dict) else None
        if kind in _DROPPED:
            continue
        if kind in _LOADERS:
            reader = ImageReader(step.get('color_type', 'color'), step.get('imdecode_backend', 'cv2'),
                                 step.get('backend_args'))
            kept.append(dict(type='mmdet.LoadImageFromNDArray', to_float32=bool(step.get('to_float32', False))))
            continue
        if kind and kind.endswith('PackDetInputs') and 'meta_keys' in step:
            step['meta_keys'] = tuple(k for k in step['meta_keys'] if k != 'img_id')  # no dataset ids here
        kept.append(step)
    return Compose(kept), reader
