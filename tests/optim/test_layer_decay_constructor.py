"""LayerDecayOptimWrapperConstructor: exact lr/decay per parameter against hand-computed values."""
import pytest
import torch.nn as nn
from mmdet.models.backbones import ResNet

from mmext.errors import ConfigError
from mmext.optim import LayerDecayOptimWrapperConstructor

OPTIM = dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=0.01, weight_decay=0.05))


class Detector(nn.Module):
    def __init__(self, backbone: nn.Module, channels: int) -> None:
        super().__init__()
        self.backbone = backbone
        self.neck = nn.Conv2d(channels, 8, 1)


def resnet18_detector() -> Detector:
    return Detector(ResNet(depth=18, out_indices=(3,), frozen_stages=-1, norm_eval=False), 512)


def groups_by_name(model: nn.Module, wrapper) -> dict:
    names = {id(p): n for n, p in model.named_parameters()}
    return {names[id(g['params'][0])]: g for g in wrapper.optimizer.param_groups}


def test_resnet18_lr_and_decay_per_parameter():
    model = resnet18_detector()
    wrapper = LayerDecayOptimWrapperConstructor(
        OPTIM, dict(decay_rate=0.5, norm_decay_mult=0.0, bias_decay_mult=0.0))(model)
    groups = groups_by_name(model, wrapper)
    # ResNet-18: stem id 0, blocks layer1.0 ... layer4.1 ids 1-8, neck id 9 = num_layers.
    # lr = 0.01 * 0.5 ** (9 - id); weight decay 0.05, but 0 for norm layers and biases.
    expected = {
        'backbone.conv1.weight': (0.01 / 512, 0.05, 0),
        'backbone.bn1.weight': (0.01 / 512, 0.0, 0),
        'backbone.layer1.0.conv1.weight': (0.01 / 256, 0.05, 1),
        'backbone.layer1.1.bn2.bias': (0.01 / 128, 0.0, 2),
        'backbone.layer2.0.downsample.0.weight': (0.01 / 64, 0.05, 3),
        'backbone.layer2.0.downsample.1.weight': (0.01 / 64, 0.0, 3),
        'backbone.layer3.1.conv2.weight': (0.01 / 8, 0.05, 6),
        'backbone.layer4.0.conv1.weight': (0.01 / 4, 0.05, 7),
        'backbone.layer4.1.bn2.weight': (0.01 / 2, 0.0, 8),
        'neck.weight': (0.01, 0.05, 9),
        'neck.bias': (0.01, 0.0, 9),
    }
    for name, (lr, wd, layer_id) in expected.items():
        group = groups[name]
        assert group['lr'] == pytest.approx(lr, rel=1e-12), name
        assert group['weight_decay'] == pytest.approx(wd, abs=1e-15), name
        assert group['layer_id'] == layer_id, name
    assert len(groups) == len(list(model.parameters()))  # every parameter is in the optimizer
    assert len({g['lr'] for g in groups.values()}) == 10


class Plain(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 4, 3)
        self.act = nn.ReLU()
        self.blocks = nn.Sequential(nn.Conv2d(4, 4, 3), nn.ReLU(), nn.Conv2d(4, 4, 3))
        self.out = nn.Conv2d(4, 4, 1)


def test_unknown_backbone_needs_the_generic_fallback():
    model = Detector(Plain(), 4)
    with pytest.raises(ConfigError, match=r'no layer-id rule for backbone Plain\. Supported: ResNet .*'
                                          r'SwinTransformer, mmpretrain.ConvNeXt\. .*generic_fallback=True'):
        LayerDecayOptimWrapperConstructor(OPTIM, dict(decay_rate=0.5))(model)
    wrapper = LayerDecayOptimWrapperConstructor(OPTIM, dict(decay_rate=0.5, generic_fallback=True))(model)
    groups = groups_by_name(model, wrapper)
    # units in order: stem (0), blocks.0 (1), blocks.2 (2), out (3); neck 4
    assert [groups[n]['layer_id'] for n in ('backbone.stem.weight', 'backbone.blocks.0.weight',
                                             'backbone.blocks.2.bias', 'backbone.out.weight', 'neck.weight')] \
        == [0, 1, 2, 3, 4]
    assert groups['backbone.blocks.2.bias']['lr'] == pytest.approx(0.01 * 0.25)


@pytest.mark.parametrize('rate', [0, 1.5, -0.2, 'high', None, True])
def test_decay_rate_outside_0_1_is_an_error(rate):
    with pytest.raises(ConfigError, match=r'decay_rate=.* must be a number in \(0, 1\]'):
        LayerDecayOptimWrapperConstructor(OPTIM, dict(decay_rate=rate))


def test_misspelt_paramwise_key_is_an_error():
    with pytest.raises(ConfigError, match="unknown key 'decay_rte'. Did you mean: decay_rate"):
        LayerDecayOptimWrapperConstructor(OPTIM, dict(decay_rate=0.5, decay_rte=0.5))
