import copy
import inspect
import math
import re

import pytest
import torch

from mmdet.registry import MODELS
from mmext.errors import ConfigError
from mmext.models.necks import BIFPN_PRESETS, BiFPN
from benchmarks.bifpn_reference import realistic_weights
from mmext.models.necks.fusion_node import FusionNode


@pytest.fixture(autouse=True)
def one_thread():
    """Small maps: one thread is faster than two, and far faster on a machine other jobs share."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _halve(n: int, times: int) -> int:
    for _ in range(times):
        n = math.ceil(n / 2)
    return n


def _backbone_maps(channels: list[int], first_stride_log2: int, image=(99, 77), batch=2) -> list[torch.Tensor]:
    """What a ResNet-like backbone gives for an odd-sized image: each level ceil(previous / 2)."""
    return [torch.randn(batch, c, _halve(image[0], first_stride_log2 + i), _halve(image[1], first_stride_log2 + i))
            for i, c in enumerate(channels)]


@pytest.mark.parametrize('in_channels, start_level, num_outs', [
    ([8, 16, 32], 0, 5),          # C3-C5 -> P3-P7 (two extra levels)
    ([4, 8, 16, 32], 0, 5),       # C2-C5 -> P2-P6
    ([4, 8, 16, 32], 1, 6),       # C3-C5 of four, three extra levels
    ([8, 8, 16, 16, 32], 0, 5),   # five inputs, no extra level
])
def test_output_shapes_and_strides_on_odd_sizes(in_channels, start_level, num_outs):
    neck = BiFPN(in_channels, out_channels=12, num_outs=num_outs, start_level=start_level, num_repeats=2)
    feats = _backbone_maps(in_channels, 3)
    outs = neck(feats)
    assert len(outs) == num_outs
    used = feats[start_level:]
    for i, out in enumerate(outs):
        expected = used[i].shape[-2:] if i < len(used) else (_halve(used[-1].shape[-2], i - len(used) + 1),
                                                              _halve(used[-1].shape[-1], i - len(used) + 1))
        assert out.shape == (2, 12, *expected), i
        assert torch.isfinite(out).all()


@pytest.mark.parametrize('preset', list(BIFPN_PRESETS))
def test_presets_set_width_repeats_and_fusion(preset):
    expected = {'D0': (64, 3), 'D1': (88, 4), 'D2': (112, 5), 'D3': (160, 6), 'D4': (224, 7), 'D5': (288, 7),
                'D6': (384, 8), 'D7': (384, 8)}[preset]
    neck = BiFPN([40, 112, 320], preset=preset)
    assert (neck.out_channels, neck.num_repeats) == expected == (BIFPN_PRESETS[preset]['out_channels'],
                                                                 BIFPN_PRESETS[preset]['num_repeats'])
    assert len(neck.layers) == expected[1]
    nodes = [m for m in neck.modules() if isinstance(m, FusionNode)]
    assert len(nodes) == expected[1] * 8  # 4 top-down + 4 bottom-up per layer for 5 levels
    assert {n.conv_pw.out_channels for n in nodes} == {expected[0]}
    assert {n.weighted for n in nodes} == {'sum' if preset in ('D6', 'D7') else 'fast'}


def test_preset_fields_can_be_overridden_one_by_one():
    neck = BiFPN([8, 16, 32], preset='d6', out_channels=16, num_repeats=2)
    assert (neck.out_channels, neck.num_repeats, neck.weighted) == (16, 2, 'sum')
    assert BiFPN([8, 16, 32], preset='D6', weighted='fast').out_channels == 384
    assert BiFPN([8, 16, 32], out_channels=16).num_repeats == 3  # D0's depth without a preset


def test_gradients_reach_every_fusion_weight_and_every_conv():
    neck = BiFPN([8, 16, 32], out_channels=8, num_outs=5, num_repeats=2)
    outs = neck(_backbone_maps([8, 16, 32], 3, image=(64, 48), batch=2))
    # Random weighting: a plain sum of BN outputs has zero gradient upstream.
    sum((o * torch.randn_like(o)).sum() for o in outs).backward()
    names = dict(neck.named_parameters())
    fusion = [n for n in names if re.fullmatch(r'layers\.\d\.(td|bu)_nodes\.\d\.weight', n)]
    assert len(fusion) == 2 * 8
    for name, param in names.items():
        assert param.grad is not None, name
        if name.endswith('.weight'):  # conv biases feeding BN have an exactly-zero true gradient
            assert param.grad.abs().sum() > 0, name


def test_first_layer_laterals_follow_the_official_model():
    neck = BiFPN([8, 16, 32], out_channels=12, num_outs=5)
    first, second = neck.layers[0], neck.layers[1]
    # every input of other channels gets a top-down lateral; levels 1.. get separate bottom-up ones
    assert [type(m).__name__ for m in first.td_laterals] == ['ConvNorm'] * 3 + ['Identity'] * 2
    assert [type(m).__name__ for m in first.bu_laterals] == ['ConvNorm'] * 2 + ['Identity'] * 2
    assert all(type(m).__name__ == 'Identity' for m in [*second.td_laterals, *second.bu_laterals])
    p6 = neck.extra_levels[0]
    assert p6[0].conv.in_channels == 32 and p6[0].norm.momentum == 0.01 and p6[1].padding == 'tf'
    assert [len(n.weight) for n in first.bu_nodes] == [3, 3, 3, 2]


def test_an_fpn_config_works_with_only_the_type_changed():
    fpn = dict(type='FPN', in_channels=[16, 32, 64, 128], out_channels=16, start_level=1,
               add_extra_convs='on_input', num_outs=5)
    neck = MODELS.build(dict(fpn, type='BiFPN'))
    outs = neck(_backbone_maps([16, 32, 64, 128], 2, image=(64, 64)))
    assert [o.shape[-1] for o in outs] == [8, 4, 2, 1, 1]
    params = inspect.signature(BiFPN).parameters
    for name in ('in_channels', 'out_channels', 'num_outs', 'start_level', 'end_level', 'norm_cfg', 'act_cfg',
                 'init_cfg'):
        assert name in params and name in inspect.signature(MODELS.get('FPN')).parameters


def test_norm_and_activation_are_configurable():
    neck = BiFPN([8, 16], out_channels=8, num_outs=3, num_repeats=1, norm_cfg=dict(type='GN', num_groups=2),
                 act_cfg=dict(type='ReLU'))
    node = neck.layers[0].td_nodes[0]
    assert type(node.norm).__name__ == 'GroupNorm' and type(node.act).__name__ == 'ReLU'
    assert len(neck(_backbone_maps([8, 16], 3, image=(40, 40)))) == 3


def test_channels_last_inputs_give_the_same_outputs():
    neck = BiFPN([8, 16, 32], out_channels=8, num_repeats=1).eval()
    feats = _backbone_maps([8, 16, 32], 3, image=(77, 64))
    with torch.no_grad():
        plain = neck(feats)
        cl = neck.to(memory_format=torch.channels_last)([f.contiguous(memory_format=torch.channels_last)
                                                         for f in feats])
    assert all(torch.allclose(a, b, atol=1e-5) for a, b in zip(plain, cl))


@pytest.mark.parametrize('kwargs, message', [
    (dict(in_channels=[8, 16, 32], preset='D9'), r"preset='D9' is not known; allowed: 'D0', 'D1'"),
    (dict(in_channels=[8, 16, 32], out_channels=8, weighted='max'),
     r"weighted='max' is not known; allowed: 'fast', 'softmax', 'sum'"),
    (dict(in_channels=[8, 16, 32], out_channels=8, pool_padding='reflect'), r"pool_padding='reflect'"),
    (dict(in_channels=[32], out_channels=8), r'too few levels: in_channels=\[32\]'),
    (dict(in_channels=[8, 16, 32], out_channels=8, start_level=2), r'too few levels'),
    (dict(in_channels=[8, 16, 32], out_channels=8, num_outs=2), r'num_outs=2 is fewer than the 3'),
    (dict(in_channels=[8, 16, 32], out_channels=8, start_level=3), r'start_level=3 .* must be in 0..2'),
    (dict(in_channels=[8, 16, 32], out_channels=8, end_level=5), r'end_level=5'),
    (dict(in_channels=[8, 16, 32]), r'needs out_channels .* or a preset'),
    (dict(in_channels=256, out_channels=8), r'in_channels=256; it must be a list'),
    (dict(in_channels=[8, 16, 32], out_channels=0), r'out_channels=0'),
    (dict(in_channels=[8, 16, 32], out_channels=8, add_extra_convs='on_everything'), r'add_extra_convs'),
])
def test_bad_arguments_fail_at_build_time_naming_given_and_allowed(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        MODELS.build(dict(type='BiFPN', **kwargs))


@pytest.mark.parametrize('channels', [[8, 16, 64], [8, 16]])
def test_maps_that_do_not_match_in_channels_are_named(channels):
    neck = BiFPN([8, 16, 32], out_channels=8, num_repeats=1)
    expected = f'in_channels=[8, 16, 32], but the backbone gave {len(channels)} feature maps with channels {channels}'
    with pytest.raises(ConfigError, match=re.escape(expected)):
        neck(_backbone_maps(channels, 3, image=(32, 32)))


def _trained_like(pool_padding: str) -> tuple[BiFPN, list[torch.Tensor]]:
    """A neck whose eval-mode outputs really depend on the input (fan-in-scaled convs, BN statistics of real
    batches), in float64, and odd-sized inputs (upsampling to other than x2)."""
    torch.manual_seed(0)
    neck = BiFPN([8, 16, 32], out_channels=16, num_outs=5, num_repeats=2, pool_padding=pool_padding).double()
    realistic_weights(neck, [[f.double() for f in _backbone_maps([8, 16, 32], 3)] for _ in range(2)])
    feats = [f.double() for f in _backbone_maps([8, 16, 32], 3)]
    return neck, feats


def _forward_backward(neck, feats, grads=None):
    feats = [f.detach().clone().requires_grad_() for f in feats]
    neck.zero_grad()
    outs = neck(feats)
    grads = grads or [torch.randn_like(o) for o in outs]
    torch.autograd.backward(outs, grads)
    return [o.detach() for o in outs], [f.grad for f in feats] + [p.grad for p in neck.parameters()], grads


@pytest.mark.parametrize('pool_padding', ['tf', 'zeros'])
def test_the_cpu_kernels_equal_the_plain_ops_in_train_and_eval_mode(pool_padding, monkeypatch):
    neck, feats = _trained_like(pool_padding)
    state = copy.deepcopy(neck.state_dict())  # a train-mode forward moves BN's running statistics: restore them
    fast_outs, fast_grads, grads = _forward_backward(neck.train(), feats)
    neck.load_state_dict(state)
    with torch.no_grad():
        fast_eval = list(neck.eval()(feats))
        other_input = neck([f + torch.randn_like(f) for f in feats])
    monkeypatch.setattr(torch.compiler, 'is_compiling', lambda: True)  # plain ops, NCHW: the spec
    plain_outs, plain_grads, _ = _forward_backward(neck.train(), feats, grads)
    neck.load_state_dict(state)
    with torch.no_grad():
        plain_eval = list(neck.eval()(feats))
    for a, b in zip(fast_outs + fast_eval + fast_grads, plain_outs + plain_eval + plain_grads):
        assert a.shape == b.shape and torch.allclose(a, b, rtol=0, atol=1e-10)
    # the eval-mode comparison means something: every output moves with the input on the scale of the output
    for out, moved in zip(plain_eval, other_input):
        assert (out - moved).std() > 0.2 * out.std() > 0


@pytest.mark.parametrize('layout', [torch.contiguous_format, torch.channels_last])
def test_outputs_come_back_in_the_inputs_layout(layout):
    neck = BiFPN([8, 16, 32], out_channels=8, num_repeats=1)
    outs = neck([f.contiguous(memory_format=layout) for f in _backbone_maps([8, 16, 32], 3, image=(64, 64))])
    assert all(o.is_contiguous(memory_format=layout) for o in outs)
