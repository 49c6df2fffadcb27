"""One BiFPN layer (one repeat): a top-down then a bottom-up path over all pyramid levels.

For L levels there are L-1 top-down nodes (every level but the top) and L-1 bottom-up nodes (every level but
the bottom, whose top-down node is already its output): for P3-P7, 4 and 4, as in EfficientDet's figure 2(d)::

    td[L-1] = in[L-1]
    td[i]   = node(in[i], up(td[i+1]))                    for i = L-2 .. 0
    out[0]  = td[0]
    out[i]  = node(in[i], td[i], down(out[i-1]))          for i = 1 .. L-2
    out[L-1]= node(in[L-1], down(out[L-2]))
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn as nn
from mmcv.cnn import build_norm_layer

from mmext.models.necks.fusion_node import FusionNode
from mmext.models.necks.same_pool import max_pool2d_same, resize_to


class ConvNorm(nn.Sequential):
    """A 1x1 conv, with a bias as in the official model (so its checkpoints convert), then norm if any."""

    def __init__(self, in_channels: int, out_channels: int, norm_cfg: dict | None) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, 1)
        if norm_cfg:
            self.norm = build_norm_layer(dict(norm_cfg), out_channels)[1]


def lateral(in_channels: int, out_channels: int, norm_cfg: dict | None) -> nn.Module:
    """:class:`ConvNorm` when the channels differ, else nothing (as the official model)."""
    if in_channels == out_channels:
        return nn.Identity()
    return ConvNorm(in_channels, out_channels, norm_cfg)


class SamePadMaxPool2d(nn.Module):
    """:func:`~mmext.models.necks.same_pool.max_pool2d_same` as a module (for ``nn.Sequential``)."""

    def __init__(self, padding: str = 'tf') -> None:
        super().__init__()
        self.padding = padding

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return max_pool2d_same(x, self.padding)

    def extra_repr(self) -> str:
        return f'kernel_size=3, stride=2, padding={self.padding!r}'


class BiFPNLayer(nn.Module):
    """One top-down + bottom-up pass over ``len(in_channels)`` levels, every output ``channels`` wide.

    In the first layer some inputs come straight from the backbone with other channel counts: those get 1x1
    conv + norm laterals, and the bottom-up path reads them again through laterals of its own, as the official
    model does (each node resamples its own inputs). Later layers have no laterals.

    Args:
        in_channels: Channels of each input level, finest first.
        channels: The width of the layer's nodes and outputs.
        weighted: Fusion method of every node (see :class:`FusionNode`).
        norm_cfg: Norm config of the nodes and laterals, or None.
        act_cfg: Activation config of the nodes, or None.
        pool_padding: Padding of the downsampling max-pool (see ``same_pool.POOL_PADDINGS``).
        eps: ``'fast'`` fusion's epsilon.
    """

    def __init__(self, in_channels: Sequence[int], channels: int, weighted: str, norm_cfg: dict | None,
                 act_cfg: dict | None, pool_padding: str = 'tf', eps: float = 1e-4) -> None:
        super().__init__()
        levels = len(in_channels)
        self.pool_padding = pool_padding
        self.td_laterals = nn.ModuleList(lateral(c, channels, norm_cfg) for c in in_channels)
        self.bu_laterals = nn.ModuleList(lateral(c, channels, norm_cfg) for c in in_channels[1:])

        def node(num_inputs: int) -> FusionNode:
            return FusionNode(num_inputs, channels, weighted, norm_cfg, act_cfg, eps)

        self.td_nodes = nn.ModuleList(node(2) for _ in range(levels - 1))  # [i]: level i
        self.bu_nodes = nn.ModuleList(node(3 if i < levels - 1 else 2) for i in range(1, levels))  # [i-1]: level i

    def forward(self, feats: Sequence[torch.Tensor]) -> list[torch.Tensor]:
        """Fuse ``feats`` (finest first) into as many maps of ``channels`` channels, sizes unchanged."""
        levels = len(feats)
        inputs = [lat(x) for lat, x in zip(self.td_laterals, feats)]
        td = [inputs[-1]]  # top-down outputs, coarsest first
        for i in range(levels - 2, -1, -1):
            td.append(self.td_nodes[i]((inputs[i], resize_to(td[-1], inputs[i]))))
        td.reverse()

        outs = [td[0]]
        for i in range(1, levels):
            down = max_pool2d_same(outs[-1], self.pool_padding)
            skip = self.bu_laterals[i - 1](feats[i])
            fused = (skip, td[i], down) if i < levels - 1 else (skip, down)
            outs.append(self.bu_nodes[i - 1](fused))
        return outs
