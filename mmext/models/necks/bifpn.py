"""BiFPN, the weighted bi-directional feature pyramid of EfficientDet (Tan, Pang, Le, CVPR 2020).

A neck for any mmdet detector: swapping ``type='FPN'`` for ``type='BiFPN'`` in a config is the whole change,
since the arguments that mean the same as FPN's have FPN's names. The layer structure, fusion, node order,
extra levels and D0-D7 presets follow the paper and the official release (google/automl).
"""
from __future__ import annotations

from types import MappingProxyType
from typing import Mapping, Sequence

import torch
import torch.nn as nn
from mmdet.registry import MODELS
from mmengine.model import BaseModule

from mmext.errors import ConfigError
from mmext.models.necks.bifpn_layer import BiFPNLayer, SamePadMaxPool2d, lateral
from mmext.models.necks.fusion_node import FUSIONS
from mmext.models.necks.node_kernel import memory_format_of, use_cpu_kernels
from mmext.models.necks.same_pool import POOL_PADDINGS
from mmext.registry import register

#: EfficientDet-D0..D7 (paper table 1; the official release fuses by plain sum in D6 and D7).
BIFPN_PRESETS: Mapping[str, Mapping] = MappingProxyType({
    name: MappingProxyType(dict(out_channels=width, num_repeats=repeats, weighted=weighted))
    for name, width, repeats, weighted in [
        ('D0', 64, 3, 'fast'), ('D1', 88, 4, 'fast'), ('D2', 112, 5, 'fast'), ('D3', 160, 6, 'fast'),
        ('D4', 224, 7, 'fast'), ('D5', 288, 7, 'fast'), ('D6', 384, 8, 'sum'), ('D7', 384, 8, 'sum')]})

_DEFAULTS = MappingProxyType(dict(num_repeats=3, weighted='fast'))  # D0's, when there is no preset
_NORM = MappingProxyType(dict(type='BN', momentum=0.01, eps=1e-3))  # TF's BN momentum 0.99 = torch's 0.01
_ACT = MappingProxyType(dict(type='SiLU'))  # swish, through the fused native op
_INIT = MappingProxyType(dict(type='Xavier', layer='Conv2d', distribution='uniform'))  # TF's glorot default
_EXTRA_CONVS = (False, True, 'on_input', 'on_lateral', 'on_output')


@register(MODELS)
class BiFPN(BaseModule):
    """EfficientDet's BiFPN: ``num_repeats`` layers of top-down + bottom-up weighted fusion.

    Levels ``in_channels[start_level:end_level + 1]`` are used; when ``num_outs`` asks for more, the extra
    levels come from the last one used: the first is a 1x1 conv + norm (when its channels differ) then a 3x3
    stride-2 max-pool with TF "same" padding, each next one the same max-pool again (C3-C5 -> P3-P7).

    Args:
        in_channels: Channels of each backbone output, finest first (as FPN).
        out_channels: The width of every level. Defaults to the preset's (then required without a preset).
        num_outs: How many levels come out (as FPN). Defaults to 5.
        start_level: The first backbone output used (as FPN). Defaults to 0.
        end_level: The last backbone output used, inclusive; -1 for the last (as FPN). Defaults to -1.
        preset: ``'D0'`` .. ``'D7'`` (see :data:`BIFPN_PRESETS`): sets ``out_channels``, ``num_repeats`` and
            ``weighted`` where they are not given. Defaults to None.
        num_repeats: How many BiFPN layers. Defaults to the preset's, else 3.
        weighted: Fusion: ``'fast'`` (normalised relu weights), ``'softmax'`` or ``'sum'``. Defaults to the
            preset's, else ``'fast'``.
        pool_padding: ``'tf'`` (padded cells never win the max, as TensorFlow and the official model) or
            ``'zeros'`` (zero-padded first, as mmdet's ``projects/EfficientDet``). Defaults to ``'tf'``.
        add_extra_convs: Accepted so that an FPN config works with only ``type`` changed; BiFPN always builds
            its extra levels from the last input as described above, whatever the value. Defaults to False.
        relu_before_extra_convs: Accepted for the same reason, with no effect. Defaults to False.
        norm_cfg: Norm of the nodes and laterals, or None. Defaults to ``dict(type='BN', momentum=0.01,
            eps=1e-3)``; use ``type='SyncBN'`` for multi-GPU training, as the official model does.
        act_cfg: Activation before each node's conv, or None. Defaults to ``dict(type='SiLU')`` (swish).
        eps: Added to the sum of the weights in ``'fast'`` fusion. Defaults to 1e-4.
        init_cfg: Initialisation. Defaults to Xavier-uniform convs (TensorFlow's default).

    Raises:
        ConfigError: Unknown preset, fusion or padding; fewer than 2 input levels or outputs; ``in_channels``
            that does not fit ``start_level``/``end_level``/``num_outs``. In ``forward``: feature maps whose
            number or channels differ from ``in_channels``.

    Example:
        >>> # in a config, after custom_imports = dict(imports=['mmext'])
        >>> neck = dict(type='BiFPN', in_channels=[512, 1024, 2048], num_outs=5, preset='D3')
        >>> neck = dict(type='BiFPN', in_channels=[128, 256, 512], out_channels=64, num_outs=5, num_repeats=3)
    """

    def __init__(self, in_channels: Sequence[int], out_channels: int | None = None, num_outs: int = 5,
                 start_level: int = 0, end_level: int = -1, preset: str | None = None,
                 num_repeats: int | None = None, weighted: str | None = None, pool_padding: str = 'tf',
                 add_extra_convs: bool | str = False, relu_before_extra_convs: bool = False,
                 norm_cfg: Mapping | None = _NORM, act_cfg: Mapping | None = _ACT, eps: float = 1e-4,
                 init_cfg: Mapping | list | None = _INIT) -> None:
        super().__init__(init_cfg=dict(init_cfg) if isinstance(init_cfg, Mapping) else init_cfg)
        width, num_repeats, weighted = _resolve_preset(preset, out_channels, num_repeats, weighted)
        self.in_channels = _check_in_channels(in_channels)
        self.start_level = start_level
        self.end = _check_levels(self.in_channels, num_outs, start_level, end_level)
        _check_choice('pool_padding', pool_padding, POOL_PADDINGS)
        if add_extra_convs not in _EXTRA_CONVS:
            raise ConfigError(f'BiFPN: add_extra_convs={add_extra_convs!r} is not one of FPN\'s values '
                              f'{_EXTRA_CONVS}; BiFPN ignores it (extra levels always come from the last input)')
        self.out_channels = width
        self.num_outs = num_outs
        self.num_repeats = num_repeats
        self.weighted = weighted
        norm = dict(norm_cfg) if norm_cfg else None
        act = dict(act_cfg) if act_cfg else None

        used = list(self.in_channels[start_level:self.end])
        self.extra_levels = nn.ModuleList()
        for i in range(num_outs - len(used)):
            pool = SamePadMaxPool2d(pool_padding)
            self.extra_levels.append(nn.Sequential(lateral(used[-1], width, norm), pool) if i == 0 else pool)
        first = used + [width] * len(self.extra_levels)
        self.layers = nn.ModuleList(
            BiFPNLayer(first if r == 0 else [width] * num_outs, width, weighted, norm, act, pool_padding, eps)
            for r in range(num_repeats))

    def forward(self, inputs: Sequence[torch.Tensor]) -> tuple[torch.Tensor, ...]:
        """Backbone outputs (finest first, ``len(in_channels)`` of them) -> ``num_outs`` maps, finest first."""
        self._check_inputs(inputs)
        feats = list(inputs[self.start_level:self.end])
        fmt = None
        if use_cpu_kernels(feats[0]):
            # On CPU every op of the neck (depthwise conv, max-pool, upsampling, BN) is several times faster on
            # channels_last maps: work in it, and hand the outputs back in the layout the inputs came in.
            fmt = memory_format_of(feats[0])
            feats = [x.contiguous(memory_format=torch.channels_last) for x in feats]
        for extra in self.extra_levels:
            feats.append(extra(feats[-1]))
        for layer in self.layers:
            feats = layer(feats)
        return tuple(feats) if fmt is None else tuple(x.contiguous(memory_format=fmt) for x in feats)

    def _check_inputs(self, inputs: Sequence[torch.Tensor]) -> None:
        # The neck cannot see the backbone when it is built, so the first forward is where a mismatch shows;
        # comparing a few ints costs nothing, and a clear message beats a conv's shape error.
        got = [x.shape[1] for x in inputs]
        if got != list(self.in_channels):
            raise ConfigError(
                f'BiFPN was built with in_channels={list(self.in_channels)}, but the backbone gave {len(got)} '
                f'feature maps with channels {got}. Set model.neck.in_channels={got} (and start_level/num_outs '
                'to match), or change the backbone\'s out_indices.')


def _check_choice(name: str, value: object, allowed: Sequence) -> None:
    if value not in allowed:
        raise ConfigError(f'BiFPN: {name}={value!r} is not known; allowed: {", ".join(map(repr, allowed))}')


def _resolve_preset(preset: str | None, out_channels: int | None, num_repeats: int | None,
                    weighted: str | None) -> tuple[int, int, str]:
    """The width, repeats and fusion: the ones given, else the preset's, else D0's repeats and fusion."""
    if preset is not None:
        key = preset.upper() if isinstance(preset, str) else preset
        _check_choice('preset', key, list(BIFPN_PRESETS))
        base = BIFPN_PRESETS[key]
    elif out_channels is None:
        raise ConfigError('BiFPN needs out_channels (the width of every level) or a preset '
                          f'(one of {", ".join(BIFPN_PRESETS)}); neither was given')
    else:
        base = _DEFAULTS
    width = base['out_channels'] if out_channels is None else out_channels
    repeats = base['num_repeats'] if num_repeats is None else num_repeats
    weighted = base['weighted'] if weighted is None else weighted
    _check_choice('weighted', weighted, FUSIONS)
    for name, value in (('out_channels', width), ('num_repeats', repeats)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ConfigError(f'BiFPN: {name}={value!r}; it must be a positive integer')
    return width, repeats, weighted


def _check_in_channels(in_channels: Sequence[int]) -> tuple[int, ...]:
    if (not isinstance(in_channels, Sequence) or isinstance(in_channels, str)
            or not all(isinstance(c, int) and not isinstance(c, bool) and c > 0 for c in in_channels)):
        raise ConfigError(f'BiFPN: in_channels={in_channels!r}; it must be a list of positive integers, one per '
                          'backbone output, finest first (e.g. [512, 1024, 2048] for ResNet-50 C3-C5)')
    return tuple(in_channels)


def _check_levels(in_channels: Sequence[int], num_outs: int, start_level: int, end_level: int) -> int:
    """Validate which inputs are used and how many levels come out; return the end (exclusive) of the inputs."""
    n = len(in_channels)
    if not isinstance(start_level, int) or not 0 <= start_level < n:
        raise ConfigError(f'BiFPN: start_level={start_level!r} with in_channels={list(in_channels)} '
                          f'({n} levels); start_level must be in 0..{n - 1}')
    if end_level == -1:
        end = n
    elif isinstance(end_level, int) and start_level <= end_level < n:
        end = end_level + 1
    else:
        raise ConfigError(f'BiFPN: end_level={end_level!r} with start_level={start_level} and {n} input levels; '
                          f'end_level must be -1 (the last) or in {start_level}..{n - 1}')
    used = end - start_level
    if used < 2:
        raise ConfigError(f'BiFPN: too few levels: in_channels={list(in_channels)}, start_level={start_level}, '
                          f'end_level={end_level} use {used} backbone level(s); BiFPN fuses across levels and '
                          'needs at least 2 (e.g. C3-C5 with num_outs=5 for P3-P7)')
    if not isinstance(num_outs, int) or num_outs < used:
        raise ConfigError(f'BiFPN: num_outs={num_outs!r} is fewer than the {used} backbone levels used '
                          f'(in_channels={list(in_channels)}, start_level={start_level}, end_level={end_level}); '
                          f'num_outs must be at least {used}')
    return end
