"""A CheckpointHook that never leaves a run without a loadable checkpoint, and saves what exact resume needs.

mmengine's ``CheckpointHook`` deletes the oldest checkpoint before it writes the new one, writes the new one in
place, then rewrites ``last_checkpoint`` in place: with ``max_keep_ckpts=1`` a crash during the save leaves no
valid checkpoint at all. This subclass keeps every option and file name of mmengine's and changes the order:

    collect the resume state from every rank         (mmext.runtime.run_state, a collective call)
    write the checkpoint to a temporary file, fsync, rename it into place   (mmext.runtime.checkpoint_files)
    write last_checkpoint the same way
    only then delete the checkpoints that max_keep_ckpts (or a better best checkpoint) retires
"""
from __future__ import annotations

import os.path as osp
from collections import deque
from contextlib import contextmanager

from mmdet.registry import HOOKS
from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook

from mmext.runtime import checkpoint_files, run_state
from mmext.runtime.crash_points import crash_point
from mmext.registry import register

_PREEMPTED_KEY = 'mmext_preempted_ckpts'


@register(HOOKS)
class AtomicCheckpointHook(CheckpointHook):
    """mmengine's ``CheckpointHook`` (same arguments) with crash-safe saving and exact-resume state.

    Every checkpoint (regular, best, preemption) is written atomically; ``last_checkpoint`` is updated only after
    the checkpoint is in place, atomically too; outdated checkpoints are deleted only after that. The checkpoint
    also holds ``mmext_resume``: the random state of every rank, the data position and the state of stateful
    hooks (see :mod:`mmext.runtime.run_state`). A full disk raises
    :class:`~mmext.errors.DiskFullError` and leaves the previous checkpoint and pointer as they were.

    Example:
        >>> default_hooks = dict(checkpoint=dict(type='AtomicCheckpointHook', interval=1, max_keep_ckpts=1))
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._pending_state: dict | None = None
        self._saved_at: tuple | None = None  # (iter, position) of the last save, so a preemption can reuse it

    def before_train(self, runner) -> None:
        super().before_train(runner)
        if is_main_process() and osp.isdir(str(self.out_dir)):
            for path in checkpoint_files.remove_stale_temp_files(str(self.out_dir)):
                runner.logger.info(f'removed {path}, left by a save that was interrupted')

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        if self._pending_state is not None:
            checkpoint[run_state.RESUME_KEY] = self._pending_state

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        run_state.remember_loaded(runner, checkpoint)

    def _save_checkpoint_with_step(self, runner, step, meta) -> None:
        """Save ``filename_tmpl.format(step)``, point ``last_checkpoint`` at it, then retire old ones."""
        retired = []
        if self.max_keep_ckpts > 0 and not (self.keep_ckpt_ids and self.keep_ckpt_ids[-1] == step):
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                retired.append(self.file_backend.join_path(self.out_dir,
                                                           self.filename_tmpl.format(self.keep_ckpt_ids[0])))
            ids = deque(self.keep_ckpt_ids, self.max_keep_ckpts)
            ids.append(step)
            self.keep_ckpt_ids = ids
            runner.message_hub.update_info('keep_ckpt_ids', list(ids))
        # Checkpoints written on preemption are kept until a regular one replaces them.
        retired += runner.message_hub.get_info(_PREEMPTED_KEY, [])
        runner.message_hub.update_info(_PREEMPTED_KEY, [])
        self._write(runner, self.filename_tmpl.format(step), meta, retired)

    def save_preemption_checkpoint(self, runner) -> str:
        """Save the state after the current iteration as ``iter_<n>.pth`` (all ranks must call this).

        Returns:
            The checkpoint's path (the last regular one when it was saved at this very iteration).
        """
        position = self._position(runner)
        if self._saved_at == (runner.iter + 1, position) and self.last_ckpt:
            return self.last_ckpt
        filename = f'iter_{runner.iter + 1}.pth'
        if self.out_dir is None:  # the hook was made for this save only
            self.before_train(runner)
        path = self.file_backend.join_path(self.out_dir, filename)
        runner.message_hub.update_info(_PREEMPTED_KEY, runner.message_hub.get_info(_PREEMPTED_KEY, []) + [path])
        self._write(runner, filename, dict(epoch=runner.epoch, iter=runner.iter + 1), [])
        return path

    def _write(self, runner, filename: str, meta: dict, retired: list[str]) -> None:
        self.last_ckpt = self.file_backend.join_path(self.out_dir, filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        self._pending_state = run_state.collect(runner)
        try:
            runner.save_checkpoint(self.out_dir, filename, self.file_client_args,
                                   save_optimizer=self.save_optimizer,
                                   save_param_scheduler=self.save_param_scheduler, meta=meta,
                                   by_epoch=self.by_epoch,
                                   backend_args=checkpoint_files.atomic_backend_args(self.out_dir, self.backend_args),
                                   **self.args)
        finally:
            self._pending_state = None
        self._saved_at = (meta.get('iter'), self._position(runner))
        if not is_main_process():
            return
        checkpoint_files.write_pointer(runner.work_dir, self.last_ckpt)
        self._remove(retired)

    def _save_best_checkpoint(self, runner, metrics) -> None:
        # A validation outside training (runner.val(), tools/test.py on a config with save_best) has no training
        # state to save, and before_train, which sets file_backend and out_dir, never ran.
        if not self.save_best or not hasattr(self, 'file_backend'):
            return
        # mmengine's logic, with the previous best deleted after the new one is written (and written atomically).
        with self._deferred_removals() as retired, self._atomic_backend():
            super()._save_best_checkpoint(runner, metrics)
        if is_main_process():
            self._remove(retired)

    def _remove(self, paths: list[str]) -> None:
        for path in paths:
            if path == self.last_ckpt:
                continue
            crash_point(f'removing {path}')
            if self.file_backend.isfile(path):
                self.file_backend.remove(path)
            elif self.file_backend.isdir(path):  # checkpoints saved by deepspeed are directories
                self.file_backend.rmtree(path)

    @contextmanager
    def _deferred_removals(self):
        retired: list[str] = []
        backend = self.file_backend
        self.file_backend = _DeferRemovals(backend, retired)
        try:
            yield retired
        finally:
            self.file_backend = backend

    @contextmanager
    def _atomic_backend(self):
        saved = self.backend_args
        self.backend_args = checkpoint_files.atomic_backend_args(self.out_dir, saved)
        try:
            yield
        finally:
            self.backend_args = saved

    @staticmethod
    def _position(runner):
        position_of = getattr(runner.train_loop, 'resume_position', None)
        return position_of() if position_of else None


class _DeferRemovals:
    """A file backend whose ``remove``/``rmtree`` only note the path; everything else goes to the real one."""

    def __init__(self, backend, retired: list[str]) -> None:
        self._backend, self._retired = backend, retired

    def remove(self, path) -> None:
        self._retired.append(str(path))

    def rmtree(self, path) -> None:
        self._retired.append(str(path))

    def __getattr__(self, name):
        return getattr(self._backend, name)
