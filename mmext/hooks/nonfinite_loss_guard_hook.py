"""Stop (or skip up to N times) on a NaN/inf loss, on every rank, without applying the bad step."""
from __future__ import annotations

import math

import torch
import torch.distributed as dist
from mmdet.registry import HOOKS
from mmengine.hooks import Hook

from mmext.errors import ConfigError, NonFiniteLossError
from mmext.optim.nonfinite_guard_optim_wrapper import NonFiniteGuard, stop_message
from mmext.registry import register

_SKIPPED_KEY = 'nonfinite_skipped'  # message-hub runtime info: saved in checkpoints, restored on resume only


@register(HOOKS)
class NonFiniteLossGuardHook(Hook):
    """Options and a per-term report for :class:`~mmext.optim.NonFiniteGuardOptimWrapper`.

    The wrapper withholds ``backward`` and ``step`` on every rank when the loss is NaN/inf on any rank (all ranks
    agree through one all-reduce, see the wrapper for why that has to happen there); alone, it then stops. With
    this hook attached, the hook decides, in ``after_train_iter`` of the same iteration:

    - counts the skipped iteration and logs which loss terms were non-finite, on which rank;
    - once more than ``max_skips`` iterations were skipped, raises :class:`~mmext.errors.NonFiniteLossError` on
      every rank (they all saw the same flag) with the iteration, the non-finite terms and the last good
      checkpoint. No checkpoint written so far can hold a bad step, since none was ever applied.

    The count lives in the message hub, so it survives ``--resume`` but not ``load_from``. A skipped iteration's
    non-finite terms are removed from the outputs so they do not poison the logger's smoothed loss. With
    ``max_skips > 0`` the wrapper also puts back the BatchNorm statistics that the bad forward pass changed.

    Args:
        max_skips: How many bad iterations to skip before stopping. Defaults to 0 (stop at the first).

    Raises:
        ConfigError: ``max_skips`` is not an int >= 0; the optim wrapper is not a ``NonFiniteGuardOptimWrapper``
            (when training starts).

    Example:
        >>> optim_wrapper = dict(type='NonFiniteGuardOptimWrapper', optimizer=dict(type='AdamW', lr=2e-3))
        >>> custom_hooks = [dict(type='NonFiniteLossGuardHook', max_skips=3)]
    """

    priority = 'HIGHEST'  # before the loggers read this iteration's outputs

    def __init__(self, max_skips: int = 0) -> None:
        if isinstance(max_skips, bool) or not isinstance(max_skips, int) or max_skips < 0:
            raise ConfigError(f'NonFiniteLossGuardHook: max_skips={max_skips!r} must be an int >= 0 (how many bad '
                              'iterations to skip before stopping; 0 stops at the first)')
        self.max_skips = max_skips
        self.skipped = 0

    def before_train(self, runner) -> None:
        wrapper = runner.optim_wrapper
        if not isinstance(wrapper, NonFiniteGuard):
            raise ConfigError(
                f"NonFiniteLossGuardHook needs optim_wrapper type='NonFiniteGuardOptimWrapper' (the only place that "
                f'can withhold the optimizer step), got {type(wrapper).__name__}. Set '
                "optim_wrapper=dict(type='NonFiniteGuardOptimWrapper', ...) in the config.")
        wrapper.hook_decides = True
        wrapper.keep_buffers = self.max_skips > 0
        self.skipped = int(runner.message_hub.get_info(_SKIPPED_KEY, 0))

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if not runner.optim_wrapper.skipped_last:
            return
        bad_by_rank = _gather(_nonfinite_terms(outputs or {}))
        self.skipped += 1
        runner.message_hub.update_info(_SKIPPED_KEY, self.skipped)
        # 1-based, as mmengine's log lines count: global iteration, and epoch/batch for epoch-based loops
        where = f'iteration {runner.iter + 1}' + (
            f' (epoch {runner.epoch + 1}, batch {batch_idx + 1})' if _by_epoch(runner) else '')
        terms = '; '.join(f'rank {rank}: {", ".join(f"{k}={v}" for k, v in bad.items())}'
                          for rank, bad in enumerate(bad_by_rank) if bad) or 'the total loss'
        if self.skipped > self.max_skips:
            message = stop_message(where, terms, self.skipped, self.max_skips, runner.message_hub)
            runner.logger.error(message)
            raise NonFiniteLossError(message)
        runner.logger.warning(f'NonFiniteLossGuardHook: skipped {where}, non-finite loss: {terms} '
                              f'({self.skipped}/{self.max_skips} skips used; the step was not applied)')
        runner.message_hub.update_scalar('train/nonfinite_skipped', self.skipped)
        for key in [k for k, v in outputs.items() if not _finite(v)]:
            del outputs[key]


def _finite(value) -> bool:
    return math.isfinite(_value(value))


def _value(value) -> float:
    return float(value.detach() if isinstance(value, torch.Tensor) else value)


def _nonfinite_terms(outputs: dict) -> dict[str, float]:
    """The non-finite loss terms of this rank, the total ``loss`` only when no single term explains it."""
    bad = {k: _value(v) for k, v in outputs.items() if not _finite(v)}
    if len(bad) > 1:
        bad.pop('loss', None)
    return bad


def _gather(local: dict) -> list[dict]:
    """Every rank's non-finite terms (only called on a bad iteration, which all ranks agree on)."""
    if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        gathered: list = [None] * dist.get_world_size()
        dist.all_gather_object(gathered, local)
        return gathered
    return [local]


def _by_epoch(runner) -> bool:
    from mmengine.runner import EpochBasedTrainLoop
    return isinstance(runner.train_loop, EpochBasedTrainLoop)
