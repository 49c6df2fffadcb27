"""One BiFPN layer: its top-down and bottom-up paths reach what EfficientDet's figure says, laterals only where the
channels differ, and the same-padding max-pool as a module."""
import pytest
import torch

from mmext.models.necks.bifpn_layer import BiFPNLayer, ConvNorm, SamePadMaxPool2d, lateral
from mmext.models.necks.same_pool import max_pool2d_same, resize_to

IN_CHANNELS = [8, 16, 12, 12]  # the first layer of a neck: the last input is already 12 wide
SIZES = [(37, 29), (19, 15), (10, 8), (5, 4)]


def _layer_and_inputs():
    torch.manual_seed(0)
    layer = BiFPNLayer(IN_CHANNELS, 12, 'fast', dict(type='BN'), dict(type='Swish')).eval()
    feats = [torch.randn(1, c, h, w, requires_grad=True) for c, (h, w) in zip(IN_CHANNELS, SIZES)]
    return layer, feats


def test_outputs_keep_each_levels_size_at_the_layers_width():
    layer, feats = _layer_and_inputs()
    outs = layer(feats)
    assert [tuple(o.shape) for o in outs] == [(1, 12, h, w) for h, w in SIZES]
    assert all(torch.isfinite(o).all() for o in outs)
    assert [len(n.weight) for n in layer.td_nodes] == [2, 2, 2]  # levels 0..2: input, upsampled coarser
    assert [len(n.weight) for n in layer.bu_nodes] == [3, 3, 2]  # levels 1..3: input, top-down, downsampled


def _reached(layer, feats, out) -> tuple[list[bool], set[str]]:
    """Which inputs and which of the layer's nodes and laterals (``td_nodes.0``, ...) the gradient of ``out``
    reaches."""
    layer.zero_grad()
    for f in feats:
        f.grad = None
    (out * torch.randn_like(out)).sum().backward()
    inputs = [f.grad is not None and bool(f.grad.abs().sum() > 0) for f in feats]
    modules = {'.'.join(name.split('.')[:2]) for name, p in layer.named_parameters()
               if p.grad is not None and p.grad.abs().sum() > 0}
    return inputs, modules


def test_the_finest_output_is_the_top_down_path_alone():
    layer, feats = _layer_and_inputs()
    inputs, modules = _reached(layer, feats, layer(feats)[0])
    assert inputs == [True] * 4  # the coarsest level reaches the finest through the top-down path
    assert not any(m.startswith('bu_') for m in modules)
    assert {'td_nodes.0', 'td_nodes.1', 'td_nodes.2', 'td_laterals.0', 'td_laterals.1'} <= modules


def test_laterals_only_where_the_channels_differ():
    assert isinstance(lateral(12, 12, dict(type='BN')), torch.nn.Identity)
    conv = lateral(8, 12, dict(type='BN', momentum=0.01))
    assert isinstance(conv, ConvNorm) and conv.conv.bias is not None  # a bias, as the official model's checkpoints
    assert conv.norm.momentum == 0.01 and conv.conv.kernel_size == (1, 1)
    assert not hasattr(lateral(8, 12, None), 'norm')
    layer = BiFPNLayer(IN_CHANNELS, 12, 'sum', None, None)
    assert [type(m).__name__ for m in layer.td_laterals] == ['ConvNorm', 'ConvNorm', 'Identity', 'Identity']
    assert [type(m).__name__ for m in layer.bu_laterals] == ['ConvNorm', 'Identity', 'Identity']


@pytest.mark.parametrize('padding', ['tf', 'zeros'])
def test_the_pool_module_is_the_same_padding_pool(padding):
    x = torch.randn(2, 3, 11, 8)
    pool = SamePadMaxPool2d(padding)
    assert torch.equal(pool(x), max_pool2d_same(x, padding))
    assert repr(pool) == f"SamePadMaxPool2d(kernel_size=3, stride=2, padding='{padding}')"


def test_each_node_fuses_the_inputs_of_the_figure():
    """td[i] = node(in[i], up(td[i+1])); out[i] = node(in[i], td[i], down(out[i-1])); out[top] = node(in, down)."""
    layer, feats = _layer_and_inputs()
    seen = {}
    for path in ('td', 'bu'):
        for k, node in enumerate(getattr(layer, f'{path}_nodes')):
            node.register_forward_hook(lambda m, args, out, key=(path, k): seen.update({key: (args[0], out)}))
    with torch.no_grad():
        outs = layer(feats)
        td = {i: seen['td', i][1] for i in range(3)}
        for i in (1, 2):  # the middle levels: lateral of the input, the top-down node's output, the finer output
            skip, from_td, down = seen['bu', i - 1][0]
            assert torch.equal(skip, layer.bu_laterals[i - 1](feats[i]))
            assert from_td is td[i] and torch.equal(down, max_pool2d_same(outs[i - 1]))
        skip, down = seen['bu', 2][0]  # the top level has no top-down node: its input and the finer output
        assert skip is feats[3] and torch.equal(down, max_pool2d_same(outs[2]))
        assert outs[0] is td[0]
        for i in (0, 1, 2):  # the top-down nodes: the lateral input and the coarser top-down output, resized
            lateral_input, coarser = seen['td', i][0]
            assert torch.equal(lateral_input, layer.td_laterals[i](feats[i]))
            assert torch.equal(coarser, resize_to(td[i + 1] if i < 2 else feats[3], lateral_input))
