"""Save a checkpoint and exit with a documented code when the job is told to stop (Slurm, Ctrl-C)."""
from __future__ import annotations

import os

from mmdet.registry import HOOKS
from mmengine.hooks import Hook

from mmext.runtime.preemption import PREEMPTED_MARKER_ENV, PREEMPTED_EXIT_CODE, PreemptionWatcher
from mmext.hooks.atomic_checkpoint_hook import AtomicCheckpointHook
from mmext.registry import register


@register(HOOKS)
class PreemptionHook(Hook):
    """On SIGTERM, SIGINT or SIGUSR1: finish the iteration, save a checkpoint, exit with code 75.

    The signal only raises a flag; after every training iteration the ranks agree (see
    :mod:`mmext.runtime.preemption`) and all stop after the same iteration. The checkpoint is written by the run's
    :class:`AtomicCheckpointHook` as ``iter_<n>.pth`` with ``last_checkpoint`` pointing at it, so the same command
    with ``--resume`` continues exactly where the run stopped. A second Ctrl-C exits at once. The process exits
    by ``SystemExit(75)`` (:data:`~mmext.runtime.preemption.PREEMPTED_EXIT_CODE`), so a launcher or batch script
    can tell "preempted, resumable" from success (0) and from failure (1 and others).

    Priority ``LOWEST``: every other hook has finished the iteration (schedulers stepped, logs written) when the
    checkpoint is taken.

    Example:
        >>> default_hooks = dict(preemption=dict(type='PreemptionHook'))
    """

    priority = 'LOWEST'

    def __init__(self) -> None:
        self._watcher = PreemptionWatcher()

    def before_train(self, runner) -> None:
        if not self._watcher.install():
            runner.logger.warning('PreemptionHook: training runs outside the main thread, where signals cannot '
                                  'be caught; SIGTERM/SIGINT/SIGUSR1 will not save a checkpoint')
        elif not any(isinstance(h, AtomicCheckpointHook) for h in runner.hooks):
            runner.logger.warning("PreemptionHook: the run has no AtomicCheckpointHook (default_hooks.checkpoint); "
                                  'a preemption checkpoint will be written, but without what an exact resume needs')

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if not self._watcher.should_stop():
            return
        hook = next((h for h in runner.hooks if isinstance(h, AtomicCheckpointHook)), None)
        if hook is None:
            hook = AtomicCheckpointHook(interval=-1, by_epoch=False)
        path = hook.save_preemption_checkpoint(runner)
        why = self._watcher.received or 'another rank was signalled'
        runner.logger.warning(f'preempted ({why}) after iteration {runner.iter + 1}: checkpoint {path} saved; '
                              f'exiting with code {PREEMPTED_EXIT_CODE}. Run the same command with --resume to '
                              'continue exactly from here.')
        self._watcher.uninstall()
        marker = os.environ.get(PREEMPTED_MARKER_ENV)
        if marker and runner.rank == 0:  # tells tools/train.py's outer process (torchrun turns 75 into 1)
            open(marker, 'w').close()
        raise SystemExit(PREEMPTED_EXIT_CODE)

    def after_train(self, runner) -> None:
        self._watcher.uninstall()
