"""Resampling between pyramid levels as EfficientDet does it.

Downsampling is a 3x3, stride-2 max-pool with TensorFlow's ``'SAME'`` padding: the output side is
``ceil(n / 2)`` and the padding goes at the end first (even side: 0 before, 1 after; odd side: 1 and 1).
Upsampling is nearest-neighbour to the exact size of the target level, so odd sizes work and not only x2.

On CPU, PyTorch's max-pool is about 10x slower on NCHW tensors than on channels_last ones (measured: 3.6 ms
against 0.3 ms for a 2x64x64x64 map), while its backward is fastest on NCHW; :class:`_CPUMaxPool` takes the fast
path each way, with identical outputs and gradients. Under ``torch.compile``, a tracer and on GPUs the plain op is
used.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from mmext.models.necks.node_kernel import memory_format_of, use_cpu_kernels

#: How the max-pool treats its padding. ``'tf'``: padded cells never win, as in TensorFlow's max-pool and the
#: official EfficientDet. ``'zeros'``: the input is zero-padded first, as mmdet's ``projects/EfficientDet`` (and
#: Yet-Another-EfficientDet-Pytorch) do, which matters only where a whole border window is negative; use it to
#: reproduce checkpoints trained with those.
POOL_PADDINGS = ('tf', 'zeros')


def max_pool2d_same(x: torch.Tensor, padding: str = 'tf') -> torch.Tensor:
    """3x3 stride-2 max-pool with TF ``'SAME'`` padding: output side ``ceil(n / 2)``.

    Args:
        x: A ``(N, C, H, W)`` feature map (any memory format).
        padding: One of :data:`POOL_PADDINGS`. Defaults to ``'tf'``.

    Returns:
        The pooled map, ``(N, C, ceil(H / 2), ceil(W / 2))``.
    """
    # Plain ints: under the ONNX tracer the sizes are tensors, and max_pool2d takes only constant padding (the
    # exported graph has fixed sizes anyway, see tools/export.py's --dynamic refusal for BiFPN).
    h, w = int(x.shape[-2]), int(x.shape[-1])
    if padding == 'tf':
        # PyTorch's own padding is -inf, i.e. padded cells never win, which is TF's max-pool. An odd side takes
        # 1 on both ends; an even side takes 1 at the end only, which ceil_mode gives (the last window may hang
        # over the end by one). No padded copy of the input is made.
        pads = (h % 2, w % 2)
    else:
        # Zero padding, then (as the padded sides are odd) ceil_mode changes nothing.
        x, pads = F.pad(x, [w % 2, 1, h % 2, 1]), (0, 0)
    if use_cpu_kernels(x):
        return _CPUMaxPool.apply(x, pads)
    return F.max_pool2d(x, 3, 2, padding=pads, ceil_mode=True)


class _CPUMaxPool(torch.autograd.Function):
    """3x3/2 ceil-mode max-pool: forward on a channels_last copy, backward on NCHW (PyTorch's fast CPU kernels)."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, pads: tuple[int, int]) -> torch.Tensor:
        fmt = memory_format_of(x)
        out, indices = torch.ops.aten.max_pool2d_with_indices(
            x.contiguous(memory_format=torch.channels_last), [3, 3], [2, 2], list(pads), [1, 1], True)
        ctx.save_for_backward(indices)
        ctx.meta = (x.shape, pads, fmt)
        return out.contiguous(memory_format=fmt)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        (indices,) = ctx.saved_tensors
        shape, pads, fmt = ctx.meta
        # The input only gives the kernel its shape and layout; an uninitialised NCHW one costs nothing.
        grad_in = torch.ops.aten.max_pool2d_with_indices_backward(
            grad.contiguous(), grad.new_empty(shape), [3, 3], [2, 2], list(pads), [1, 1], True,
            indices.contiguous())
        return grad_in.contiguous(memory_format=fmt), None


def resize_to(x: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """Nearest-neighbour upsampling of ``x`` to the spatial size of ``like`` (a no-op when it already has it)."""
    size = like.shape[-2:]
    if x.shape[-2:] == size:
        return x
    return F.interpolate(x, size=size, mode='nearest')
