"""The CPU node kernel (fuse + activation + depthwise conv in one autograd Function) against the plain ops it
replaces: the same outputs and gradients, and two maps fewer held for backward."""
import pytest
import torch

from mmext.models.necks.fusion_node import FUSIONS, FusionNode
from mmext.models.necks.node_kernel import use_cpu_kernels

SHAPE = (2, 6, 9, 7)


def _node(weighted: str, act: str | None) -> FusionNode:
    torch.manual_seed(0)
    node = FusionNode(3, 6, weighted, dict(type='BN'), act and dict(type=act)).double()
    with torch.no_grad():
        if node.weight is not None:
            node.weight.copy_(torch.tensor([1.5, -0.3, 0.7]))  # one weight clipped by relu in 'fast'
    return node


def _run(node, xs, grad):
    for p in [*node.parameters(), *xs]:
        p.grad = None
    out = node(xs)
    out.backward(grad)
    return [out.detach()] + [x.grad for x in xs] + [p.grad for p in node.parameters()]


@pytest.mark.parametrize('layout', [torch.contiguous_format, torch.channels_last])
@pytest.mark.parametrize('act', ['SiLU', 'Swish', 'ReLU', None])
@pytest.mark.parametrize('weighted', FUSIONS)
def test_same_outputs_and_gradients_as_the_plain_ops(weighted, act, layout, monkeypatch):
    node = _node(weighted, act)
    xs = [torch.randn(SHAPE, dtype=torch.float64).contiguous(memory_format=layout).requires_grad_()
          for _ in range(3)]
    grad = torch.randn(SHAPE, dtype=torch.float64)
    assert use_cpu_kernels(xs[0])
    fast = _run(node, xs, grad)
    assert node(xs).grad_fn.next_functions[0][0].next_functions[0][0].name() == '_FuseActDepthwiseBackward'
    monkeypatch.setattr(torch.compiler, 'is_compiling', lambda: True)  # the plain ops, as under torch.compile
    plain = _run(node, xs, grad)
    assert len(fast) == len(plain) == 1 + 3 + len(list(node.parameters()))
    for a, b in zip(fast, plain):
        assert a is not None and torch.allclose(a, b, rtol=0, atol=1e-12)


def _saved_maps(node, xs) -> int:
    """How many full-size maps other than the inputs autograd holds for the node's backward."""
    inputs = {x.data_ptr() for x in xs}
    saved = {}

    def pack(t):
        if t.numel() == xs[0].numel() and t.data_ptr() not in inputs:
            saved[t.data_ptr()] = t
        return t
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        node(xs)
    return len(saved)


def test_backward_holds_two_maps_fewer(monkeypatch):
    node = _node('fast', 'SiLU').float()
    xs = [torch.randn(SHAPE, requires_grad=True) for _ in range(3)]
    # kernel: the depthwise output (for the pointwise conv) and the pointwise output (for BN); the plain ops also
    # hold the fused sum (for the activation) and the activation (for the depthwise conv)
    assert _saved_maps(node, xs) == 2
    monkeypatch.setattr(torch.compiler, 'is_compiling', lambda: True)
    assert _saved_maps(node, xs) == 4


def test_an_activation_the_kernel_does_not_know_runs_as_plain_ops():
    node = FusionNode(2, 4, 'fast', None, dict(type='GELU'))
    xs = [torch.randn(1, 4, 5, 5) for _ in range(2)]
    expected = node.conv_pw(node.conv_dw(torch.nn.functional.gelu(node.fuse(xs))))
    assert torch.allclose(node(xs), expected)
    assert not use_cpu_kernels(xs[0].to('meta'))
