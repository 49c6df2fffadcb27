"""Train loops that continue a resumed run exactly, mid-epoch included, without replaying the data.

mmengine's ``EpochBasedTrainLoop`` restarts an interrupted epoch from its first batch, and its
``IterBasedTrainLoop`` replays every finished iteration through the dataloader (loading and augmenting each
image again: hours on a long run). These subclasses:

- feed the dataloader through :class:`~mmext.engine.resume.seeded_batches.SeededBatchSampler` (each batch's
  augmentation depends on its seed, not on a worker's history) and start a resumed epoch at the right batch by
  index;
- restore the training's random state (per rank) and stateful hooks from the checkpoint, at the point where the
  interrupted run took it;
- run validation and dataloader start-up under :func:`~mmext.runtime.rng_state.preserve_rng`, so they do not move
  the training's random stream.

``MMExtRunner`` uses them in place of mmengine's two standard loops (:func:`exact_loop_cfg`); they can also be
named in a config.

Example:
    >>> train_cfg = dict(type='ExactEpochBasedTrainLoop', max_epochs=12, val_interval=1)
    >>> train_cfg = dict(type='ExactIterBasedTrainLoop', max_iters=90000, val_interval=5000)
"""
from __future__ import annotations

import bisect
import copy
from typing import Iterator

from mmdet.registry import LOOPS
from mmengine.dataset import InfiniteSampler
from mmengine.logging import print_log
from mmengine.runner import EpochBasedTrainLoop, IterBasedTrainLoop
from mmengine.runner.base_loop import BaseLoop
from mmengine.runner.utils import calc_dynamic_intervals

from mmext.runtime import run_state
from mmext.runtime.rng_state import preserve_rng, restore_rng
from mmext.engine.resume.seeded_batches import SeededBatchSampler, seeded_dataloader_cfg
from mmext.registry import register


class _ExactResumeMixin:
    """What both loops share: taking the loaded state and restoring random state and hooks from it."""

    def _take_resume(self) -> run_state.LoadedState | None:
        state = run_state.take_loaded(self.runner, self._epoch, self._iter)
        if state is None:
            return None
        missing = run_state.restore_hooks(self.runner, state.hooks)
        if missing:
            print_log(f'exact resume: no hook took the saved state of {", ".join(missing)}', logger='current',
                      level='WARNING')
        if state.problem:
            print_log(f'exact resume is not possible: {state.problem}. The run continues at iteration '
                      f'{self._iter} with new random state.', logger='current', level='WARNING')
        return state

    def _restore_rng(self, state: run_state.LoadedState | None) -> None:
        if state is not None and state.rng is not None and not state.problem:
            restore_rng(state.rng)

    def _validate_if_due(self, done: int, total: int) -> None:
        """mmengine's validation schedule, run without moving the training's random stream."""
        if (self.runner.val_loop is not None and done >= self.val_begin
                and (done % self.val_interval == 0 or done == total)):
            with preserve_rng():
                self.runner.val_loop.run()

    @property
    def _batch_sampler(self) -> SeededBatchSampler:
        return self.dataloader.batch_sampler


@register(LOOPS)
class ExactEpochBasedTrainLoop(_ExactResumeMixin, EpochBasedTrainLoop):
    """mmengine's ``EpochBasedTrainLoop`` that resumes exactly, mid-epoch too. Same arguments.

    Example:
        >>> train_cfg = dict(type='ExactEpochBasedTrainLoop', max_epochs=12, val_interval=1)
    """

    def __init__(self, runner, dataloader: dict, *args, **kwargs) -> None:
        super().__init__(runner, seeded_dataloader_cfg(dataloader, runner.seed), *args, **kwargs)
        self._next_batch = 0       # batches of the current epoch trained (or being trained)
        self._epoch_ending = False  # inside the after_train_epoch hooks
        self._resume: run_state.LoadedState | None = None

    def resume_position(self) -> dict:
        """Where the data continues after the iteration (or epoch end) now being finished."""
        if self._epoch_ending:
            return dict(epoch=self._epoch + 1, batch=0)
        return dict(epoch=self._epoch, batch=self._next_batch)

    def run(self):
        self.runner.call_hook('before_train')
        self._resume = self._take_resume()
        while self._epoch < self._max_epochs and not self.stop_training:
            self.run_epoch()
            self._decide_current_val_interval()
            self._validate_if_due(self._epoch, self._max_epochs)
        self.runner.call_hook('after_train')
        return self.runner.model

    def run_epoch(self) -> None:
        skip, state, self._resume = self._skip_for(self._resume), self._resume, None
        if skip == 0:  # taken at an epoch end: the before_train_epoch hooks came after it
            self._restore_rng(state)
        self.runner.call_hook('before_train_epoch')
        self.runner.model.train()
        self._batch_sampler.start(self._epoch, skip)
        with preserve_rng():
            batches = iter(self.dataloader)
        if skip > 0:  # taken mid-epoch: the before_train_epoch hooks came before it
            self._restore_rng(state)
        self._next_batch = skip
        for idx, data_batch in enumerate(batches, start=skip):
            self.run_iter(idx, data_batch)
        self._epoch_ending = True
        self.runner.call_hook('after_train_epoch')
        self._epoch += 1
        self._epoch_ending, self._next_batch = False, 0

    def run_iter(self, idx, data_batch) -> None:
        self._next_batch = idx + 1
        super().run_iter(idx, data_batch)

    def _skip_for(self, state: run_state.LoadedState | None) -> int:
        if state is None:
            return 0
        if state.position is not None and state.position.get('epoch') == self._epoch:
            return int(state.position['batch'])
        # A checkpoint without mmext's state (mmengine's CheckpointHook): counters are all there is.
        skip = self._iter - self._epoch * len(self.dataloader)
        return skip if 0 < skip <= len(self.dataloader) else 0


@register(LOOPS)
class ExactIterBasedTrainLoop(_ExactResumeMixin, IterBasedTrainLoop):
    """mmengine's ``IterBasedTrainLoop`` that resumes by skipping batches by index, not by loading them.

    Same arguments as mmengine's loop. With a finite sampler (``DefaultSampler``) the data is gone through in
    passes, each with its own shuffle (``set_epoch(pass)``), as mmengine does.

    Example:
        >>> train_cfg = dict(type='ExactIterBasedTrainLoop', max_iters=90000, val_interval=5000)
    """

    def __init__(self, runner, dataloader: dict, max_iters: int, val_begin: int = 1, val_interval: int = 1000,
                 dynamic_intervals=None) -> None:
        # Not IterBasedTrainLoop.__init__: it starts a dataloader iterator (and workers) that a resume would
        # throw away. The rest of its set-up, unchanged:
        BaseLoop.__init__(self, runner, seeded_dataloader_cfg(dataloader, runner.seed))
        self._max_iters = int(max_iters)
        if self._max_iters != max_iters:
            raise ValueError(f'max_iters must be a whole number, got {max_iters}')
        self._max_epochs, self._epoch, self._iter = 1, 0, 0
        self.val_begin, self.val_interval, self.stop_training = val_begin, val_interval, False
        if hasattr(self.dataloader.dataset, 'metainfo'):
            self.runner.visualizer.dataset_meta = self.dataloader.dataset.metainfo
        self.dynamic_milestones, self.dynamic_intervals = calc_dynamic_intervals(val_interval, dynamic_intervals)
        self._pass, self._next_batch = 0, 0
        self.dataloader_iterator: Iterator | None = None

    def resume_position(self) -> dict:
        """Where the data continues: the pass over the data and the batches of it already trained."""
        return dict(epoch=self._pass, batch=self._next_batch)

    def run(self):
        self.runner.call_hook('before_train')
        self.runner.call_hook('before_train_epoch')
        state = self._take_resume()
        self.dataloader_iterator = self._batches(*self._start_for(state))
        self._restore_rng(state)
        while self._iter < self._max_iters and not self.stop_training:
            self.runner.model.train()
            data_batch = next(self.dataloader_iterator)
            self.run_iter(data_batch)
            self._decide_current_val_interval()
            self._validate_if_due(self._iter, self._max_iters)
        self.runner.call_hook('after_train_epoch')
        self.runner.call_hook('after_train')
        return self.runner.model

    def _start_for(self, state: run_state.LoadedState | None) -> tuple[int, int]:
        if state is None:
            return 0, 0
        if state.position is not None:
            return int(state.position['epoch']), int(state.position['batch'])
        if isinstance(self._batch_sampler.sampler, InfiniteSampler):
            return 0, self._iter
        return divmod(self._iter, len(self.dataloader))

    def _batches(self, data_pass: int, skip: int) -> Iterator:
        """Batches from pass ``data_pass``, batch ``skip`` on, passing on to the next pass at the end of one."""
        while True:
            sampler = self._batch_sampler.sampler
            if data_pass > 0 and hasattr(sampler, 'set_epoch'):
                sampler.set_epoch(data_pass)
            self._batch_sampler.start(data_pass, skip)
            with preserve_rng():
                batches = iter(self.dataloader)
            for idx, data_batch in enumerate(batches, start=skip):
                self._pass, self._next_batch = data_pass, idx + 1
                yield data_batch
            data_pass, skip = data_pass + 1, 0

    def _decide_current_val_interval(self) -> None:
        step = bisect.bisect(self.dynamic_milestones, (self._iter + 1))
        self.val_interval = self.dynamic_intervals[step - 1]


_EXACT = {'EpochBasedTrainLoop': ExactEpochBasedTrainLoop, 'IterBasedTrainLoop': ExactIterBasedTrainLoop,
          EpochBasedTrainLoop: ExactEpochBasedTrainLoop, IterBasedTrainLoop: ExactIterBasedTrainLoop}


def exact_loop_cfg(loop, dataloader):
    """The train loop config with mmengine's standard loops replaced by the exact ones.

    Args:
        loop: ``train_cfg`` (a dict with ``type`` or ``by_epoch``), or an already built loop.
        dataloader: ``train_dataloader``; the exact loops need it as a config dict (they build it their way).

    Returns:
        A new config naming :class:`ExactEpochBasedTrainLoop` / :class:`ExactIterBasedTrainLoop` where
        ``loop`` named mmengine's ``EpochBasedTrainLoop`` / ``IterBasedTrainLoop``; otherwise ``loop``.
    """
    if not isinstance(loop, dict) or not isinstance(dataloader, dict):
        return loop
    cfg = copy.deepcopy(loop)
    if 'type' not in cfg and 'by_epoch' in cfg:
        cfg['type'] = 'EpochBasedTrainLoop' if cfg.pop('by_epoch') else 'IterBasedTrainLoop'
    kind = cfg.get('type')
    if isinstance(kind, str) and kind.startswith('mmengine.'):
        kind = kind[len('mmengine.'):]
    try:
        cfg['type'] = _EXACT[kind]
    except (KeyError, TypeError):  # another loop (or an unhashable type): left as the config says
        return loop
    return cfg
