"""Layer-wise learning-rate decay for any detector backbone (mmdet's own constructor handles ConvNeXt only).

Lower layers of a pretrained backbone hold generic features and should move less than the top ones, as in BEiT and
ConvNeXt fine-tuning (Bao et al., 2021; Clark et al., ELECTRA, 2020 for the original layer-wise decay).
"""
from __future__ import annotations

import torch.nn as nn
from mmdet.registry import OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.logging import print_log

from mmext.errors import ConfigError
from mmext.optim.layer_ids import assign_layer_ids
from mmext.optim.param_groups import Multiplier, NamedMultiplierConstructor
from mmext.registry import register


@register(OPTIM_WRAPPER_CONSTRUCTORS)
class LayerDecayOptimWrapperConstructor(NamedMultiplierConstructor):
    """Give every backbone layer its own lr: ``lr = base_lr * decay_rate ** (num_layers - layer_id)``.

    Layer ids come from :func:`mmext.optim.layer_ids.assign_layer_ids`: id 0 is the stem, each block the next id,
    and the neck and heads (every parameter outside ``model.backbone``) the top id ``num_layers``, so they keep
    ``base_lr``. mmengine's param-wise options (``norm_decay_mult``, ``bias_decay_mult``, ``custom_keys``, ...)
    apply first and the decay multiplies their result. Each parameter group is tagged with its ``layer_id`` for
    :class:`~mmext.hooks.ParamGroupSummaryHook`.

    Args:
        optim_wrapper_cfg: mmengine's optim wrapper config (``optimizer.lr`` required).
        paramwise_cfg: ``decay_rate`` (required, in (0, 1]), ``generic_fallback`` (bool, default False: number
            an unsupported backbone by module order instead of raising), plus mmengine's param-wise options.

    Raises:
        ConfigError: ``decay_rate`` is missing or outside (0, 1]; the backbone is unsupported and
            ``generic_fallback`` is off (when the optimizer is built); the model has no ``backbone``.

    Example:
        >>> optim_wrapper = dict(
        ...     type='OptimWrapper',
        ...     constructor='LayerDecayOptimWrapperConstructor',
        ...     optimizer=dict(type='AdamW', lr=2e-3, weight_decay=0.05),
        ...     paramwise_cfg=dict(decay_rate=0.8, norm_decay_mult=0.0, bias_decay_mult=0.0))
    """

    own_keys = frozenset({'decay_rate', 'generic_fallback'})

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg: dict | None = None) -> None:
        super().__init__(optim_wrapper_cfg, paramwise_cfg)
        rate = self.paramwise_cfg.get('decay_rate')
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 < rate <= 1:
            raise ConfigError(
                f'LayerDecayOptimWrapperConstructor: paramwise_cfg.decay_rate={rate!r} must be a number in (0, 1] '
                '(the lr of layer i is base_lr * decay_rate ** (num_layers - i); 0.65-0.9 are usual, 1.0 means '
                'no decay)')
        self.decay_rate = float(rate)
        self.generic_fallback = bool(self.paramwise_cfg.get('generic_fallback', False))

    def multipliers(self, model: nn.Module, names: list[str]) -> dict[str, Multiplier]:
        """Layer id and lr factor of every parameter (see the class docstring)."""
        backbone = getattr(model, 'backbone', None)
        if not isinstance(backbone, nn.Module):
            raise ConfigError(f'LayerDecayOptimWrapperConstructor: the model ({type(model).__name__}) has no '
                              "'backbone' module to number; layer-wise decay needs model.backbone")
        family, ids, num_layers = assign_layer_ids(backbone, self.generic_fallback)
        plan = {}
        for name in names:
            inner = name[len('backbone.'):] if name.startswith('backbone.') else None
            layer_id = ids[inner] if inner is not None else num_layers
            plan[name] = Multiplier(lr_mult=self.decay_rate ** (num_layers - layer_id),
                                    tags=dict(layer_id=layer_id))
        print_log(f'LayerDecayOptimWrapperConstructor: {family} rule, {num_layers} backbone layers (ids 0-'
                  f'{num_layers - 1}; neck and heads {num_layers}), decay_rate={self.decay_rate}', logger='current')
        return plan
