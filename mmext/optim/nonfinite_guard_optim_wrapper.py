"""An OptimWrapper that never applies an optimizer step computed from a NaN or infinite loss.

Why a wrapper and not only a hook: in mmengine the loss is computed, back-propagated and stepped inside
``model.train_step``, which ends with ``optim_wrapper.update_params(loss)``. No hook runs between the forward pass
and the optimizer step (``after_train_iter`` comes after the step, when the weights are already damaged), so
``update_params`` is the one place that sees the loss before ``backward``/``step``. The wrapper is the mechanism
(detect, agree across ranks, do not step); :class:`~mmext.hooks.NonFiniteLossGuardHook` is the policy (skip up to N
times or stop) and the report (iteration, loss terms, last good checkpoint). The two check each other at the start
of training, so one without the other is a config error rather than a silent gap.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import torch
import torch.distributed as dist
import torch.nn as nn
from mmdet.registry import OPTIM_WRAPPERS
from mmengine.optim import OptimWrapper

from mmext.errors import ConfigError
from mmext.registry import register

if TYPE_CHECKING:  # pragma: no cover
    from mmext.hooks.nonfinite_loss_guard_hook import NonFiniteLossGuardHook


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


@register(OPTIM_WRAPPERS)
class NonFiniteGuardOptimWrapper(OptimWrapper):
    """mmengine's ``OptimWrapper`` that skips ``backward`` and ``step`` when the loss is NaN/inf on any rank.

    Takes the same arguments as ``OptimWrapper`` (``clip_grad``, ``accumulative_counts``, ...). After each
    :meth:`update_params`, :attr:`skipped_last` says whether that iteration's step was withheld; the paired
    :class:`~mmext.hooks.NonFiniteLossGuardHook` reads it in ``after_train_iter`` to count, log, or stop training.

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
        >>> custom_hooks = [dict(type='NonFiniteLossGuardHook', max_skips=0)]
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.skipped_last = False
        self.guard_hook: 'NonFiniteLossGuardHook | None' = None
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
            ConfigError: No :class:`~mmext.hooks.NonFiniteLossGuardHook` is attached (nobody would stop a run
                that keeps producing NaN).
        """
        if self.guard_hook is None:
            raise ConfigError(
                "optim_wrapper type='NonFiniteGuardOptimWrapper' needs its hook, which decides to skip or stop: "
                "add dict(type='NonFiniteLossGuardHook') to custom_hooks")
        self.skipped_last = nonfinite_on_any_rank(loss)
        if not self.skipped_last:
            super().update_params(loss, step_kwargs, zero_kwargs)
            return
        # No backward (so no gradient all-reduce to wait for) and no step; drop what this window accumulated.
        self.zero_grad(**(zero_kwargs or {}))
        with torch.no_grad():
            for buffer, saved in self._saved_buffers:
                buffer.copy_(saved)
        self._inner_count += 1  # keep the accumulation windows aligned with the iterations
