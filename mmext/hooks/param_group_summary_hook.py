"""Print the optimizer's parameter groups as one table when training starts."""
from __future__ import annotations

from mmdet.registry import HOOKS
from mmengine.dist import is_main_process
from mmengine.hooks import Hook

from mmext.errors import ConfigError
from mmext.optim.summary import format_param_group_summary
from mmext.registry import register


@register(HOOKS)
class ParamGroupSummaryHook(Hook):
    """Log one table of the optimizer's parameter groups at the start of training, once, on rank 0.

    Each row merges the groups with the same settings: the parameters (by name pattern such as
    ``backbone.layer3.*``), how many tensors and elements, lr (before warm-up and schedules), its multiplier
    against the optimizer's lr, weight decay and its multiplier, and the ``layer`` / ``rule`` that mmext's
    constructors tag; overlapping rules are listed below the table. It answers "did my backbone lr multiplier
    apply?" from the optimizer training really uses. See :func:`mmext.optim.format_param_group_summary`.

    Args:
        max_patterns: Name patterns shown per row before "+N more". Defaults to 4.

    Example:
        >>> custom_hooks = [dict(type='ParamGroupSummaryHook')]
    """

    priority = 'LOWEST'  # after resume and the other hooks' before_train, i.e. the optimizer as it will run

    def __init__(self, max_patterns: int = 4) -> None:
        if isinstance(max_patterns, bool) or not isinstance(max_patterns, int) or max_patterns < 1:
            raise ConfigError(f'ParamGroupSummaryHook: max_patterns={max_patterns!r} must be an int >= 1')
        self.max_patterns = max_patterns

    def before_train(self, runner) -> None:
        if not is_main_process():
            return
        table = format_param_group_summary(runner.model, runner.optim_wrapper, self.max_patterns)
        runner.logger.info('parameter groups (ParamGroupSummaryHook):\n' + table)
