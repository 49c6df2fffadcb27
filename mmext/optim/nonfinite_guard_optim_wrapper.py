"""An OptimWrapper that never applies an optimizer step computed from a NaN or infinite loss.

Why a wrapper and not only a hook: in mmengine the loss is computed, back-propagated and stepped inside
``model.train_step``, which ends with ``optim_wrapper.update_params(loss)``. No hook runs between the forward pass
and the optimizer step (``after_train_iter`` comes after the step, when the weights are already damaged), so
``update_params`` is the one place that sees the loss before ``backward``/``step``. The wrapper is the mechanism
(detect, agree across ranks, do not step) and, on its own, stops training at the first bad iteration.
:class:`~mmext.hooks.NonFiniteLossGuardHook` adds the options: skipping up to N bad iterations, and naming the
non-finite loss terms per rank (the wrapper only sees their sum). The hook without the wrapper is a config error,
since a hook cannot withhold the step.
"""
from __future__ import annotations

import math
from contextlib import contextmanager
from typing import Any

import torch
import torch.distributed as dist
import torch.nn as nn
from mmdet.registry import OPTIM_WRAPPERS
from mmengine.optim import AmpOptimWrapper, OptimWrapper

from mmengine.logging import MessageHub

from mmext.errors import NonFiniteLossError
from mmext.registry import register


def last_good_checkpoint(message_hub: MessageHub) -> str:
    """A sentence naming the latest checkpoint (mmengine's CheckpointHook records it in the message hub)."""
    path = message_hub.get_info('last_ckpt')
    if not path:
        return 'No checkpoint was saved before it.'
    return f'Last good checkpoint: {path} (resume with --resume {path}).'


def stop_message(where: str, terms: str, bad_iterations: int, max_skips: int, message_hub: MessageHub) -> str:
    """The message training stops with, wherever the stop is decided.

    Args:
        where: The iteration, e.g. ``'iteration 6 (epoch 2, batch 2)'``.
        terms: The non-finite loss terms, e.g. ``'rank 1: loss_cls=nan'``.
        bad_iterations: How many bad iterations there were, this one included.
        max_skips: How many were allowed to be skipped.
        message_hub: The run's message hub (for the last checkpoint).

    Returns:
        One paragraph: what happened, what was not applied, where to resume, what to try.
    """
    return (f'non-finite loss at {where}: {terms}. The optimizer step of that iteration was not applied; training '
            f'stopped on every rank after {bad_iterations} bad iteration(s) (max_skips={max_skips}). '
            f'{last_good_checkpoint(message_hub)} Common causes: a too high lr (try a longer warm-up or gradient '
            'clipping, optim_wrapper.clip_grad), broken boxes in the data; NonFiniteLossGuardHook(max_skips=N) '
            'skips up to N bad iterations instead and names the non-finite loss terms.')


def nonfinite_on_any_rank(loss: torch.Tensor) -> bool:
    """Whether ``loss`` is NaN/inf on this process or on any other process of the default group.

    Every rank must take the same decision *before* ``backward``: under DDP, ``backward`` all-reduces the
    gradients, and a rank that skipped it would leave the others waiting forever. One all-reduce (MAX) of a
    single number does it; gloo and NCCL both support it.

    Args:
        loss: The total loss of this iteration (any shape; non-finite if any element is).

    Returns:
        True when some rank's loss is not finite.
    """
    flag = (~torch.isfinite(loss.detach())).any().to(torch.float32).reshape(1)
    if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        dist.all_reduce(flag, op=dist.ReduceOp.MAX)
    return bool(flag.item())


class NonFiniteGuard:
    """The guard itself, mixed into an mmengine optim wrapper class (plain or AMP) before it in the bases.

    Only ``update_params`` (before ``backward``) and ``optim_context`` (around the forward pass) are overridden;
    ``backward``/``step`` stay the wrapped class's own, so AMP's loss scaling works unchanged underneath.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.skipped_last = False
        self.hook_decides = False  # set by NonFiniteLossGuardHook: it decides between skipping and stopping
        self.keep_buffers = False  # set by the hook when it may skip iterations
        self._saved_buffers: list[tuple[torch.Tensor, torch.Tensor]] = []

    @contextmanager
    def optim_context(self, model: nn.Module):
        """mmengine's context around the forward pass; also copies the buffers first when skipping is allowed."""
        if self.keep_buffers:
            self._saved_buffers = [(b, b.detach().clone()) for b in model.buffers()]
        with super().optim_context(model):
            yield

    def update_params(self, loss: torch.Tensor, step_kwargs: dict | None = None,
                      zero_kwargs: dict | None = None) -> None:
        """Back-propagate and step as ``OptimWrapper`` does, unless the loss is non-finite on some rank.

        Args:
            loss: The total loss of this iteration.
            step_kwargs: Arguments for ``optimizer.step``.
            zero_kwargs: Arguments for ``optimizer.zero_grad``.

        Raises:
            NonFiniteLossError: The loss is non-finite on some rank and no hook is attached to decide.
        """
        self.skipped_last = nonfinite_on_any_rank(loss)
        if not self.skipped_last:
            super().update_params(loss, step_kwargs, zero_kwargs)
            return
        if not self.hook_decides:
            hub = MessageHub.get_current_instance()
            where = f"iteration {int(hub.get_info('iter', -1)) + 1}"
            local = float(loss.detach().sum())
            terms = (f'total loss={local} on rank {dist.get_rank() if dist.is_initialized() else 0}'
                     if not math.isfinite(local) else 'total loss non-finite on another rank')
            raise NonFiniteLossError(stop_message(where, terms, 1, 0, hub))
        # No backward (so no gradient all-reduce to wait for) and no step; drop what this window accumulated.
        self.zero_grad(**(zero_kwargs or {}))
        with torch.no_grad():
            for buffer, saved in self._saved_buffers:
                buffer.copy_(saved)
        self._inner_count += 1  # keep the accumulation windows aligned with the iterations


@register(OPTIM_WRAPPERS)
class NonFiniteGuardOptimWrapper(NonFiniteGuard, OptimWrapper):
    """mmengine's ``OptimWrapper`` that skips ``backward`` and ``step`` when the loss is NaN/inf on any rank.

    Takes the same arguments as ``OptimWrapper`` (``clip_grad``, ``accumulative_counts``, ...). On its own it
    raises :class:`~mmext.errors.NonFiniteLossError` on every rank at the first bad iteration, naming the
    iteration, the total loss and the last good checkpoint. With :class:`~mmext.hooks.NonFiniteLossGuardHook`
    attached (it attaches itself when training starts), it only withholds the step and sets :attr:`skipped_last`;
    the hook reads it in ``after_train_iter`` to name the loss terms, count, skip or stop.

    Cost per iteration: ``isfinite`` on one scalar and one device-to-host read (mmengine's logging reads every
    loss term anyway), plus, when distributed, one all-reduce of a single number; see the README for a
    measurement.

    BatchNorm running statistics are updated by the forward pass, before any loss exists; a NaN that arises in the
    forward (exploding activations) would leave them NaN. When skipping is allowed (the hook's ``max_skips > 0``),
    the wrapper keeps a copy of the model's buffers from before each forward pass and puts it back on
    a skipped iteration, so training goes on from exactly the state before it. When the run stops at the first bad
    iteration no copy is made (the last good checkpoint is what matters then).

    With gradient accumulation (``accumulative_counts > 1``) a skipped micro-batch also discards the gradients
    accumulated so far in its window, so no step is ever taken from a partial window that met a bad batch.

    Example:
        >>> optim_wrapper = dict(
        ...     type='NonFiniteGuardOptimWrapper',
        ...     optimizer=dict(type='AdamW', lr=2e-3, weight_decay=0.05),
        ...     clip_grad=dict(max_norm=10))
        >>> custom_hooks = [dict(type='NonFiniteLossGuardHook', max_skips=0)]  # optional: terms, skipping
    """


@register(OPTIM_WRAPPERS)
class NonFiniteGuardAmpOptimWrapper(NonFiniteGuard, AmpOptimWrapper):
    """:class:`NonFiniteGuardOptimWrapper` over mmengine's ``AmpOptimWrapper`` (mixed precision, CUDA).

    ``tools/train.py --amp`` switches a config's ``NonFiniteGuardOptimWrapper`` to this class (and a plain
    ``OptimWrapper`` to ``AmpOptimWrapper``). A NaN/inf *loss* withholds the step as in the plain wrapper; inf/NaN
    *gradients* from an fp16 overflow with a finite loss stay the business of AMP's dynamic loss scaler, which
    skips that step and lowers the scale, as it does without mmext.

    Example:
        >>> optim_wrapper = dict(
        ...     type='NonFiniteGuardAmpOptimWrapper', loss_scale='dynamic',
        ...     optimizer=dict(type='AdamW', lr=2e-3, weight_decay=0.05),
        ...     clip_grad=dict(max_norm=10))
    """
