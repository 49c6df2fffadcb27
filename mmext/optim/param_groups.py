"""Shared base of mmext's optimizer wrapper constructors: mmengine's param-wise options, then multipliers by name.

mmengine's ``DefaultOptimWrapperConstructor`` already turns ``paramwise_cfg`` (``custom_keys``,
``norm_decay_mult``, ``bias_decay_mult``, ...) into one optimizer parameter group per parameter. The constructors
here keep all of that and then multiply each group's lr and weight decay by factors that depend on the parameter's
full name (its layer for layer-wise decay, the first matching rule for rule-based groups). They also tag each group
(``layer_id``, ``rule``) so that :class:`~mmext.hooks.ParamGroupSummaryHook` can show where each lr came from.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

import torch.nn as nn
from mmengine.optim import DefaultOptimWrapperConstructor

from mmext.errors import ConfigError

# The paramwise_cfg keys that mmengine's DefaultOptimWrapperConstructor reads.
MMENGINE_PARAMWISE_KEYS = frozenset({
    'custom_keys', 'bias_lr_mult', 'bias_decay_mult', 'norm_decay_mult', 'dwconv_decay_mult', 'flat_decay_mult',
    'bypass_duplicate', 'dcn_offset_lr_mult'})


@dataclass
class Multiplier:
    """What a constructor applies to one parameter, on top of mmengine's param-wise options.

    Attributes:
        lr_mult: Factor on the group's lr.
        decay_mult: Factor on the group's weight decay.
        tags: Extra keys stored in the optimizer's parameter group (plain values: they go into checkpoints).
    """
    lr_mult: float = 1.0
    decay_mult: float = 1.0
    tags: dict[str, Any] = field(default_factory=dict)


class NamedMultiplierConstructor(DefaultOptimWrapperConstructor):
    """Base class: subclasses implement :meth:`multipliers` (and list their own ``paramwise_cfg`` keys).

    Args:
        optim_wrapper_cfg: As for mmengine's ``DefaultOptimWrapperConstructor``; ``optimizer.lr`` is required.
        paramwise_cfg: mmengine's param-wise options plus the subclass's :attr:`own_keys`.

    Raises:
        ConfigError: ``paramwise_cfg`` has a key nobody reads (a typo), or the optimizer has no ``lr``.
    """

    #: ``paramwise_cfg`` keys that the subclass reads (besides mmengine's).
    own_keys: frozenset[str] = frozenset()

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg: dict | None = None) -> None:
        super().__init__(optim_wrapper_cfg, dict(paramwise_cfg or {}))
        name = type(self).__name__
        known = MMENGINE_PARAMWISE_KEYS | self.own_keys
        for key in self.paramwise_cfg:
            if key not in known:
                near = difflib.get_close_matches(key, sorted(known), n=3)
                hint = f' Did you mean: {", ".join(near)}?' if near else ''
                raise ConfigError(f"{name}: paramwise_cfg has an unknown key '{key}'.{hint} Known keys: "
                                  f'{", ".join(sorted(known))}.')
        if self.base_lr is None:
            raise ConfigError(f'{name}: optim_wrapper.optimizer needs an explicit lr (the multipliers scale it)')

    def multipliers(self, model: nn.Module, names: list[str]) -> dict[str, Multiplier]:
        """The multiplier of every parameter.

        Args:
            model: The model (unwrapped from DDP).
            names: Full names of all the model's parameters, in ``named_parameters()`` order.

        Returns:
            ``{name: Multiplier}``; a name left out keeps mmengine's settings unchanged.

        Raises:
            ConfigError: The model does not fit the subclass's settings.
        """
        raise NotImplementedError

    def add_params(self, params: list[dict], module: nn.Module, prefix: str = '',
                   is_dcn_module: int | float | None = None) -> None:
        """mmengine's ``add_params``, then (on the outermost call only) the multipliers by parameter name."""
        super().add_params(params, module, prefix, is_dcn_module)
        if prefix:  # mmengine recurses through self.add_params for every child; act once, at the top
            return
        names = {id(p): n for n, p in module.named_parameters()}
        plan = self.multipliers(module, list(names.values()))
        for group in params:
            mult = plan.get(names[id(group['params'][0])])
            if mult is None:
                continue
            group['lr'] = group.get('lr', self.base_lr) * mult.lr_mult
            if self.base_wd is not None:
                group['weight_decay'] = group.get('weight_decay', self.base_wd) * mult.decay_mult
            group.update(mult.tags)


def check_nonnegative(owner: str, where: str, value: Any) -> float:
    """A multiplier from the config as a float >= 0, or a :class:`ConfigError` naming where it was given."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ConfigError(f'{owner}: {where}={value!r} must be a number >= 0')
    return float(value)
