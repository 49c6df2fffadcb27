"""``ExampleThroughputHook``: log how many training images per second each epoch processed."""
from __future__ import annotations

import time

from mmdet.registry import HOOKS
from mmengine.hooks import Hook

from mmext.registry import register


@register(HOOKS)
class ExampleThroughputHook(Hook):
    """Log ``example plugin: epoch N: I images in S s (R images/s)`` after every training epoch.

    Args:
        min_images: Below this many images in an epoch nothing is logged. Defaults to 1.

    Example:
        >>> custom_hooks = [dict(type='ExampleThroughputHook')]
    """

    priority = 'VERY_LOW'

    def __init__(self, min_images: int = 1) -> None:
        if min_images < 0:
            raise ValueError(f'ExampleThroughputHook: min_images must be >= 0, got {min_images}')
        self.min_images = min_images
        self._start = 0.0
        self._images = 0

    def before_train_epoch(self, runner) -> None:
        self._start, self._images = time.perf_counter(), 0

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if data_batch is not None:
            self._images += len(data_batch['inputs'])

    def after_train_epoch(self, runner) -> None:
        if self._images < max(self.min_images, 1):
            return
        seconds = time.perf_counter() - self._start
        # mmengine counts the epoch up after this hook: runner.epoch is still the 0-based index here
        runner.logger.info(f'example plugin: epoch {runner.epoch + 1}: {self._images} images in {seconds:.1f} s '
                           f'({self._images / seconds:.1f} images/s)')
