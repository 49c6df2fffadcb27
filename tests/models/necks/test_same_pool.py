import pytest
import torch
import torch.nn.functional as F

from mmext.models.necks.same_pool import max_pool2d_same, resize_to


def _tf_same(x: torch.Tensor, value: float) -> torch.Tensor:
    """TF 'SAME' for k=3, s=2 written out: pad (total 1 or 2, the larger half at the end), then pool."""
    h, w = x.shape[-2:]
    extra_h, extra_w = (-(-h // 2) - 1) * 2 - h + 3, (-(-w // 2) - 1) * 2 - w + 3
    pad = [extra_w // 2, extra_w - extra_w // 2, extra_h // 2, extra_h - extra_h // 2]
    return F.max_pool2d(F.pad(x, pad, value=value), 3, 2)


@pytest.mark.parametrize('size', [(8, 8), (9, 9), (8, 11), (13, 6), (1, 2)])
@pytest.mark.parametrize('padding, value', [('tf', float('-inf')), ('zeros', 0.0)])
def test_matches_tf_same_padding_forward_and_backward(size, padding, value):
    x = torch.randn(2, 3, *size) - 0.5  # negative borders: where -inf and zero padding differ
    a, b = x.clone().requires_grad_(), x.clone().requires_grad_()
    out, expected = max_pool2d_same(a, padding), _tf_same(b, value)
    assert out.shape[-2:] == (-(-size[0] // 2), -(-size[1] // 2))
    assert torch.equal(out, expected)
    grad = torch.randn_like(out)
    out.backward(grad)
    expected.backward(grad)
    assert torch.equal(a.grad, b.grad)


def test_keeps_channels_last_and_the_two_paddings_differ_only_on_negative_borders():
    x = torch.randn(1, 4, 9, 10).contiguous(memory_format=torch.channels_last)
    out = max_pool2d_same(x)
    assert out.is_contiguous(memory_format=torch.channels_last)
    negative = -torch.rand(1, 1, 5, 5) - 0.1
    assert max_pool2d_same(negative, 'tf').max() < 0
    assert max_pool2d_same(negative, 'zeros').max() == 0


def test_resize_to_the_exact_size_of_the_target():
    x = torch.arange(9.0).view(1, 1, 3, 3)
    like = torch.empty(1, 1, 5, 6)
    assert resize_to(x, like).shape == (1, 1, 5, 6)
    assert resize_to(x, x) is x


def test_the_compiler_path_pools_the_same(monkeypatch):
    x = torch.randn(2, 3, 9, 12)
    fast = max_pool2d_same(x)
    monkeypatch.setattr(torch.compiler, 'is_compiling', lambda: True)
    assert torch.equal(max_pool2d_same(x), fast)
