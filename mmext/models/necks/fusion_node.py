"""One BiFPN fusion node (EfficientDet, Tan, Pang, Le, CVPR 2020, section 3.3): fuse, act, separable conv, norm.

The fusion weights one input against the others:

- ``'fast'`` (fast normalised fusion): ``w = relu(w_raw); out = sum(w_i * x_i) / (sum(w) + eps)``;
- ``'softmax'``: ``out = sum(softmax(w_raw)_i * x_i)``;
- ``'sum'``: ``out = sum(x_i)``, no weights (the official release uses it for D6 and D7, for stability).

Weights start at 1. On CPU (eagerly) fuse, activation and the depthwise conv run as one autograd Function
(:func:`~mmext.models.necks.node_kernel.fuse_act_depthwise`) that recomputes the fused sum in backward instead of
holding it and its activation; under ``torch.compile``, a tracer or on GPUs plain ops are used, for the compiler to
fuse.
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import build_activation_layer, build_norm_layer

from mmext.models.necks.node_kernel import act_kind, fuse_act_depthwise, use_cpu_kernels

#: The fusion methods a node knows.
FUSIONS = ('fast', 'softmax', 'sum')


class FusionNode(nn.Module):
    """Fuse same-shaped inputs, then activation, depthwise 3x3 conv (no bias), pointwise 1x1 conv and norm.

    The order (activation before the conv, norm last with no activation after it) and the biased pointwise conv
    are the official model's, so converted checkpoints give the same outputs.

    Args:
        num_inputs: How many maps this node fuses.
        channels: Channels of every input and of the output.
        weighted: One of :data:`FUSIONS`. Defaults to ``'fast'``.
        norm_cfg: mmcv norm config, or None for no norm. Defaults to None.
        act_cfg: mmcv activation config, or None for no activation. Defaults to None.
        eps: Added to the sum of the weights in ``'fast'`` fusion. Defaults to 1e-4.
    """

    def __init__(self, num_inputs: int, channels: int, weighted: str = 'fast', norm_cfg: dict | None = None,
                 act_cfg: dict | None = None, eps: float = 1e-4) -> None:
        super().__init__()
        if weighted not in FUSIONS:  # BiFPN checks this with a friendlier message; this guards direct use
            raise ValueError(f'weighted={weighted!r}: expected one of {FUSIONS}')
        self.weighted = weighted
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(num_inputs)) if weighted != 'sum' else None
        self.act = build_activation_layer(dict(act_cfg)) if act_cfg else nn.Identity()
        self.conv_dw = nn.Conv2d(channels, channels, 3, padding=1, groups=channels, bias=False)
        self.conv_pw = nn.Conv2d(channels, channels, 1)
        self.norm = build_norm_layer(dict(norm_cfg), channels)[1] if norm_cfg else nn.Identity()

    def fusion_weights(self) -> torch.Tensor | None:
        """The normalised weights that multiply the inputs (None for ``'sum'``)."""
        if self.weight is None:
            return None
        if self.weighted == 'softmax':
            return torch.softmax(self.weight, dim=0)
        w = F.relu(self.weight)
        return w / (w.sum() + self.eps)

    def fuse(self, inputs: Sequence[torch.Tensor]) -> torch.Tensor:
        """The weighted sum of ``inputs`` (all of one shape), as plain ops (autograd saves what they need)."""
        w = self.fusion_weights()
        out = inputs[0] if w is None else inputs[0] * w[0]
        for i in range(1, len(inputs)):
            out = out + inputs[i] if w is None else torch.addcmul(out, inputs[i], w[i])
        return out

    def forward(self, inputs: Sequence[torch.Tensor]) -> torch.Tensor:
        act = act_kind(self.act)
        if act is not None and self.conv_dw.padding_mode == 'zeros' and use_cpu_kernels(inputs[0]):
            x = fuse_act_depthwise(act, self.conv_dw, self.fusion_weights(), inputs)
        else:
            x = self.conv_dw(self.act(self.fuse(inputs)))
        return self.norm(self.conv_pw(x))
