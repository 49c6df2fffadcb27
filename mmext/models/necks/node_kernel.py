"""A fusion node's fuse + activation + depthwise conv as one CPU autograd Function that saves only its inputs."""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

#: Activations the kernel knows (by module type), with their forward and backward (from the pre-activation).
_ACTS = {
    'identity': (lambda s: s, lambda grad, s: grad),
    'silu': (lambda s: F.silu(s), torch.ops.aten.silu_backward),
    'relu': (lambda s: F.relu(s), lambda grad, s: torch.ops.aten.threshold_backward(grad, s, 0)),
}


def use_cpu_kernels(x: torch.Tensor) -> bool:
    """Whether the hand-written CPU paths apply: on CPU, eagerly (not under ``torch.compile`` or a tracer, whose
    graphs want the plain ops)."""
    return x.device.type == 'cpu' and not torch.compiler.is_compiling() and not torch.jit.is_tracing()


def memory_format_of(x: torch.Tensor) -> torch.memory_format:
    """``channels_last`` for a 4-d map stored so (and not also plain contiguous), else ``contiguous_format``."""
    channels_last = x.dim() == 4 and not x.is_contiguous() and x.is_contiguous(memory_format=torch.channels_last)
    return torch.channels_last if channels_last else torch.contiguous_format


def act_kind(act: nn.Module) -> str | None:
    """The kernel's name for ``act`` (SiLU/Swish, ReLU or none), or None where it has to run as plain ops."""
    name = type(act).__name__
    if name == 'Identity':
        return 'identity'
    if name in ('SiLU', 'Swish'):  # mmcv's Swish is x * sigmoid(x), which is SiLU
        return 'silu'
    if name == 'ReLU':
        return 'relu'
    return None


def weighted_sum(w: torch.Tensor | None, xs: Sequence[torch.Tensor]) -> torch.Tensor:
    """``sum_i w[i] * xs[i]`` (a plain sum when ``w`` is None) as one running sum, in ``xs[0]``'s layout."""
    out = xs[0] * w[0] if w is not None else xs[0].clone()
    for i in range(1, len(xs)):
        if w is None:
            out.add_(xs[i])
        else:
            out.addcmul_(xs[i], w[i])  # out is this function's own new tensor: accumulate in place
    return out


def fuse_act_depthwise(act: str, conv: nn.Conv2d, w: torch.Tensor | None, xs: Sequence[torch.Tensor]
                       ) -> torch.Tensor:
    """``conv(act(weighted_sum(w, xs)))`` (``conv`` without bias), saving for backward only ``w`` and ``xs``.

    The fused sum and its activation are as large as a whole input each and cheap to recompute, so backward
    recomputes them instead of holding them from forward to backward: per node, two maps fewer held.
    """
    geometry = (conv.stride, conv.padding, conv.dilation, conv.groups)
    return _FuseActDepthwise.apply(act, geometry, w, conv.weight, *xs)


def _flat(t: torch.Tensor) -> torch.Tensor | None:
    if t.is_contiguous():
        return t.view(-1)
    if t.dim() == 4 and t.is_contiguous(memory_format=torch.channels_last):
        return t.permute(0, 2, 3, 1).reshape(-1)  # a view: the storage order
    return None


def _dot(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``(a * b).sum()``, as one BLAS dot product when both are dense in the same layout (no temporary)."""
    fa, fb = _flat(a), _flat(b)
    if fa is not None and fb is not None and a.stride() == b.stride():
        return torch.dot(fa, fb)
    return (a * b).sum()


class _FuseActDepthwise(torch.autograd.Function):

    @staticmethod
    def forward(ctx, act, geometry, w, weight, *xs):
        stride, padding, dilation, groups = geometry
        s = weighted_sum(w, xs)
        a = _ACTS[act][0](s)
        ctx.act, ctx.geometry = act, geometry
        ctx.save_for_backward(w, weight, *xs)
        return F.conv2d(a, weight, None, stride, padding, dilation, groups)

    @staticmethod
    def backward(ctx, grad):
        w, weight, *xs = ctx.saved_tensors
        stride, padding, dilation, groups = ctx.geometry
        act_fwd, act_bwd = _ACTS[ctx.act]
        s = weighted_sum(w, xs)
        grad_a, grad_weight, _ = torch.ops.aten.convolution_backward(
            grad, act_fwd(s), weight, None, stride, padding, dilation, False, [0, 0], groups,
            [True, ctx.needs_input_grad[3], False])
        grad_s = act_bwd(grad_a, s)
        del s, grad_a
        grad_w = None
        if w is not None and ctx.needs_input_grad[2]:
            grad_w = torch.stack([_dot(grad_s, x) for x in xs])
        grad_xs = [(grad_s if w is None else grad_s * w[i]) if ctx.needs_input_grad[i + 4] else None
                   for i in range(len(xs))]
        return (None, None, grad_w, grad_weight, *grad_xs)
