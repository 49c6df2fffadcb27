"""Freeze modules by name until an epoch or iteration, then unfreeze them."""
from __future__ import annotations

import difflib
from fnmatch import fnmatchcase
from typing import Sequence

import torch.nn as nn
from mmdet.registry import HOOKS
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.parallel import DistributedDataParallel

from mmext.errors import ConfigError
from mmext.registry import register


def match_modules(model: nn.Module, patterns: Sequence[str]) -> list[str]:
    """The outermost module names that the patterns match.

    A pattern matches a module whose dotted name equals it, or fits it as a glob (``*``, ``?``, ``[...]``;
    ``backbone.layer[12]``). Children of a matched module are implied and not listed.

    Args:
        model: The model (unwrapped).
        patterns: Module name patterns.

    Returns:
        Matched module names, in model order.

    Raises:
        ConfigError: A pattern matches no module; the message lists the closest module names.
    """
    names = [n for n, _ in model.named_modules() if n]
    matched = []
    for pattern in patterns:
        hits = [n for n in names if n == pattern or fnmatchcase(n, pattern)]
        if not hits:
            near = difflib.get_close_matches(pattern, names, n=5, cutoff=0.5)
            top = [n for n in names if '.' not in n]
            raise ConfigError(
                f"FreezeScheduleHook: pattern '{pattern}' matches no module of the model. "
                + (f'Closest module names: {", ".join(near)}. ' if near else '')
                + f'Top-level modules: {", ".join(top)} (use dotted names such as backbone.layer1, globs allowed).')
        matched += [n for n in hits if n not in matched]
    return [n for n in matched if not any(n.startswith(m + '.') for m in matched if m != n)]


@register(HOOKS)
class FreezeScheduleHook(Hook):
    """Freeze the modules matched by ``patterns`` for the first epochs or iterations, then unfreeze them.

    Frozen means: no gradient (``requires_grad=False``, so the optimizer skips the parameters, weight decay and
    momentum included) and BatchNorm layers in eval mode (running statistics untouched); frozen parameters stay
    bit-identical. On unfreezing, only the parameters this hook froze get their gradients back (parameters the model
    freezes itself, such as ResNet's ``frozen_stages``, stay frozen) and ``model.train()`` restores each module's own
    train mode (``norm_eval`` included).

    Resume: whether the modules are frozen follows from the epoch/iteration counters, which ``--resume`` restores,
    so a resumed run is frozen exactly when the uninterrupted run would have been.

    Distributed: parameters that stop getting gradients after DDP was built need
    ``model_wrapper_cfg=dict(type='MMDistributedDataParallel', find_unused_parameters=True)``; the hook checks.

    Args:
        patterns: Module names or globs, e.g. ``['backbone']`` or ``['backbone.layer1', 'backbone.layer2']``.
        until_epoch: Frozen for the first ``until_epoch`` epochs (unfrozen when epoch ``until_epoch + 1`` starts).
        until_iter: Frozen for the first ``until_iter`` iterations. Give exactly one of the two.

    Raises:
        ConfigError: No patterns, both or neither of ``until_epoch``/``until_iter``, a value < 1; when training
            starts, a pattern that matches no module, or DDP without ``find_unused_parameters``.

    Example:
        >>> custom_hooks = [dict(type='FreezeScheduleHook', patterns=['backbone'], until_epoch=2)]
    """

    priority = 'ABOVE_NORMAL'

    def __init__(self, patterns: Sequence[str] | str, until_epoch: int | None = None,
                 until_iter: int | None = None) -> None:
        self.patterns = [patterns] if isinstance(patterns, str) else list(patterns or [])
        if not self.patterns or not all(isinstance(p, str) and p for p in self.patterns):
            raise ConfigError(f'FreezeScheduleHook: patterns={patterns!r} must be module names such as '
                              "['backbone'] or ['backbone.layer1']")
        if (until_epoch is None) == (until_iter is None):
            raise ConfigError('FreezeScheduleHook: give exactly one of until_epoch or until_iter, got '
                              f'until_epoch={until_epoch!r}, until_iter={until_iter!r}')
        limit = until_epoch if until_epoch is not None else until_iter
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ConfigError(f'FreezeScheduleHook: until_epoch/until_iter={limit!r} must be an int >= 1')
        self.until_epoch = until_epoch
        self.until_iter = until_iter
        self.modules: list[str] = []
        self._frozen_params: list[nn.Parameter] = []
        self._norms: list[_BatchNorm] = []
        self.frozen = False

    def before_run(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        self.modules = match_modules(model, self.patterns)
        if isinstance(runner.model, DistributedDataParallel) and not runner.model.find_unused_parameters:
            raise ConfigError(
                'FreezeScheduleHook under distributed training needs model_wrapper_cfg=dict('
                "type='MMDistributedDataParallel', find_unused_parameters=True): DDP was built expecting gradients "
                'for the parameters that the hook freezes')

    def _should_freeze(self, runner) -> bool:
        if self.until_epoch is not None:
            return runner.epoch < self.until_epoch
        return runner.iter < self.until_iter

    def _when(self) -> str:
        return f'epoch {self.until_epoch}' if self.until_epoch is not None else f'iteration {self.until_iter}'

    def before_train(self, runner) -> None:
        if self._should_freeze(runner):
            self._freeze(runner)
        elif runner.iter > 0:
            runner.logger.info(f'FreezeScheduleHook: {", ".join(self.modules)} stay unfrozen (resumed at '
                               f'epoch {runner.epoch}, iteration {runner.iter}; frozen until {self._when()})')

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        if not self.frozen:
            return
        if not self._should_freeze(runner):
            self._unfreeze(runner)
            return
        for norm in self._norms:  # the loop's model.train() at each epoch start turns them back on
            if norm.training:
                norm.eval()

    def _freeze(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        modules = dict(model.named_modules())
        seen: set[int] = set()
        self._frozen_params, self._norms = [], []
        for name in self.modules:
            for param in modules[name].parameters():
                if param.requires_grad and id(param) not in seen:
                    seen.add(id(param))
                    param.requires_grad_(False)
                    self._frozen_params.append(param)
            self._norms += [m for m in modules[name].modules() if isinstance(m, _BatchNorm)]
        for norm in self._norms:
            norm.eval()
        self.frozen = True
        count = sum(p.numel() for p in self._frozen_params)
        runner.logger.info(
            f'FreezeScheduleHook: froze {", ".join(self.modules)} ({len(self._frozen_params)} tensors, {count:,} '
            f'parameters, {len(self._norms)} BatchNorm layers in eval mode) at epoch {runner.epoch}, iteration '
            f'{runner.iter}, until {self._when()}')

    def _unfreeze(self, runner) -> None:
        for param in self._frozen_params:
            param.requires_grad_(True)
        runner.model.train()  # each module's own train(): ResNet's norm_eval/frozen_stages are re-applied
        self.frozen = False
        runner.logger.info(f'FreezeScheduleHook: unfroze {", ".join(self.modules)} ({len(self._frozen_params)} '
                           f'tensors) at epoch {runner.epoch}, iteration {runner.iter}')
        self._frozen_params, self._norms = [], []
