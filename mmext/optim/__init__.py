"""Optimizer wrappers and optimizer wrapper constructors, registered into mmdet's registries.

- :class:`NonFiniteGuardOptimWrapper` (OPTIM_WRAPPERS): no step from a NaN/inf loss (with ``NonFiniteLossGuardHook``);
  :class:`NonFiniteGuardAmpOptimWrapper` the same over ``AmpOptimWrapper`` (what ``--amp`` switches to).
- :class:`LayerDecayOptimWrapperConstructor` (OPTIM_WRAPPER_CONSTRUCTORS): layer-wise lr decay for any backbone.
- :class:`RuleBasedOptimWrapperConstructor` (OPTIM_WRAPPER_CONSTRUCTORS): lr/decay multipliers by ordered regex rules.
- :func:`format_param_group_summary`: the table that ``ParamGroupSummaryHook`` prints.
"""
from mmext.optim.layer_decay_constructor import LayerDecayOptimWrapperConstructor
from mmext.optim.nonfinite_guard_optim_wrapper import NonFiniteGuardAmpOptimWrapper, NonFiniteGuardOptimWrapper
from mmext.optim.rule_constructor import RuleBasedOptimWrapperConstructor
from mmext.optim.summary import format_param_group_summary, summarize_param_groups

__all__ = ['LayerDecayOptimWrapperConstructor', 'NonFiniteGuardAmpOptimWrapper', 'NonFiniteGuardOptimWrapper', 'RuleBasedOptimWrapperConstructor',
           'format_param_group_summary', 'summarize_param_groups']
