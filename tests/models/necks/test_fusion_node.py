import pytest
import torch
import torch.nn as nn

from mmext.models.necks.fusion_node import FusionNode


def _inputs(n: int, requires_grad: bool = True) -> list[torch.Tensor]:
    torch.manual_seed(0)
    return [torch.randn(2, 4, 5, 7, dtype=torch.float64, requires_grad=requires_grad) for _ in range(n)]


def test_fast_fusion_is_the_papers_formula_with_its_gradients():
    node = FusionNode(3, 4, 'fast').double()
    raw = torch.tensor([2.0, -1.0, 0.5], dtype=torch.float64)
    with torch.no_grad():
        node.weight.copy_(raw)
    xs = _inputs(3)
    out = node.fuse(xs)
    # w = relu(w_raw) = [2, 0, 0.5]; out = sum(w_i x_i) / (sum(w) + 1e-4)
    expected = (2.0 * xs[0] + 0.0 * xs[1] + 0.5 * xs[2]) / (2.5 + 1e-4)
    assert torch.allclose(out, expected, rtol=0, atol=1e-12)

    grad = torch.randn_like(out)
    out.backward(grad)
    w_raw = raw.clone().requires_grad_()
    xs_ref = [x.detach().clone().requires_grad_() for x in xs]
    w = torch.relu(w_raw)
    (sum(w[i] * xs_ref[i] for i in range(3)) / (w.sum() + 1e-4)).backward(grad)
    assert torch.allclose(node.weight.grad, w_raw.grad, atol=1e-10)
    for x, x_ref in zip(xs, xs_ref):
        assert torch.allclose(x.grad, x_ref.grad, atol=1e-12)


def test_softmax_and_sum_fusion():
    xs = _inputs(2, requires_grad=False)
    node = FusionNode(2, 4, 'softmax').double()
    with torch.no_grad():
        node.weight.copy_(torch.tensor([0.0, 1.0]))
    p = torch.softmax(torch.tensor([0.0, 1.0], dtype=torch.float64), 0)
    assert torch.allclose(node.fuse(xs), p[0] * xs[0] + p[1] * xs[1], atol=1e-12)
    node = FusionNode(2, 4, 'sum').double()
    assert node.weight is None
    assert torch.allclose(node.fuse(xs), xs[0] + xs[1])


def test_node_order_is_fuse_act_depthwise_pointwise_norm():
    node = FusionNode(2, 4, 'fast', norm_cfg=dict(type='BN', momentum=0.01, eps=1e-3),
                      act_cfg=dict(type='SiLU')).eval()
    assert node.conv_dw.groups == 4 and node.conv_dw.bias is None and node.conv_pw.kernel_size == (1, 1)
    assert isinstance(node.act, nn.SiLU) and node.norm.momentum == 0.01 and node.norm.eps == 1e-3
    xs = [torch.randn(1, 4, 6, 6) for _ in range(2)]
    expected = node.norm(node.conv_pw(node.conv_dw(torch.nn.functional.silu(node.fuse(xs)))))
    assert torch.allclose(node(xs), expected)


def test_weights_start_at_one():
    assert torch.equal(FusionNode(3, 4).weight.data, torch.ones(3))


def test_unknown_fusion_is_refused():
    with pytest.raises(ValueError, match='fast'):
        FusionNode(2, 4, 'max')
