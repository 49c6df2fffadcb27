"""Layer ids of a backbone's parameters: ResNet and its subclasses, Swin, ConvNeXt, and the generic fallback."""
import pytest
import torch
import torch.nn as nn
from mmdet.models.backbones import RegNet, ResNet, ResNetV1d, ResNeXt, SwinTransformer

from mmext.errors import ConfigError
from mmext.optim.layer_ids import assign_layer_ids


def test_resnet_stem_is_0_and_each_block_has_its_own_id():
    family, ids, num_layers = assign_layer_ids(ResNet(depth=18))
    assert (family, num_layers) == ('ResNet', 9)
    assert ids['conv1.weight'] == ids['bn1.bias'] == 0
    assert [ids[f'layer{i}.{j}.conv1.weight'] for i in (1, 2, 3, 4) for j in (0, 1)] == list(range(1, 9))
    assert ids['layer2.0.downsample.1.weight'] == 3


@pytest.mark.parametrize('backbone, blocks, stem', [
    (lambda: ResNetV1d(depth=18), 8, 'stem.0.weight'),  # a deep stem
    (lambda: ResNeXt(depth=50, groups=2, base_width=4), 16, 'conv1.weight'),
    (lambda: RegNet(arch='regnetx_400mf'), 22, 'conv1.weight'),
])
def test_resnet_subclasses_follow_the_resnet_rule(backbone, blocks, stem):
    family, ids, num_layers = assign_layer_ids(backbone())
    assert (family, num_layers) == ('ResNet', blocks + 1)
    assert ids[stem] == 0 and max(ids.values()) == blocks


def test_swin_ids_follow_its_blocks():
    swin = SwinTransformer(embed_dims=8, depths=(1, 2), num_heads=(1, 1), strides=(4, 2), out_indices=(0, 1),
                           window_size=2)
    family, ids, num_layers = assign_layer_ids(swin)
    assert (family, num_layers) == ('SwinTransformer', 4)
    assert ids['patch_embed.projection.weight'] == 0
    assert ids['stages.0.blocks.0.attn.w_msa.qkv.weight'] == 1
    assert ids['stages.0.downsample.reduction.weight'] == 1  # applied after stage 0's blocks
    assert ids['stages.1.blocks.0.norm1.weight'] == 2
    assert ids['stages.1.blocks.1.ffn.layers.1.weight'] == 3
    assert ids['norm0.weight'] == 1 and ids['norm1.bias'] == 3


class ConvNeXt(nn.Module):
    """mmpretrain's ConvNeXt layout (downsample_layers, stages of blocks, norm{i}), without mmpretrain."""

    def __init__(self) -> None:
        super().__init__()
        self.downsample_layers = nn.ModuleList([nn.Conv2d(3, 4, 4), nn.Conv2d(4, 8, 2)])
        self.stages = nn.ModuleList([nn.Sequential(nn.Conv2d(4, 4, 3), nn.Conv2d(4, 4, 3)),
                                     nn.Sequential(nn.Conv2d(8, 8, 3))])
        self.norm1 = nn.LayerNorm(8)


def test_convnext_ids():
    family, ids, num_layers = assign_layer_ids(ConvNeXt())
    assert (family, num_layers) == ('ConvNeXt', 4)
    assert ids['downsample_layers.0.weight'] == 0
    assert ids['stages.0.0.weight'] == 1 and ids['stages.0.1.bias'] == 2
    assert ids['downsample_layers.1.weight'] == 3 and ids['stages.1.0.weight'] == 3
    assert ids['norm1.weight'] == 3


class Plain(nn.Module):
    """A backbone mmext has no rule for: a stem, stages in a ModuleList, an activation, its own parameter."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.ones(1))
        self.stem = nn.Conv2d(3, 4, 3)
        self.act = nn.ReLU()  # no parameters: no id of its own
        self.stages = nn.ModuleList([nn.Sequential(nn.Conv2d(4, 4, 3), nn.BatchNorm2d(4)), nn.ReLU(),
                                     nn.Conv2d(4, 8, 3)])
        self.head = nn.Linear(8, 8)


def test_an_unknown_backbone_needs_the_opt_in_generic_rule():
    with pytest.raises(ConfigError, match=r'no layer-id rule for backbone Plain\. Supported: ResNet.*'
                                          r'generic_fallback=True.*mmext/optim/layer_ids\.py'):
        assign_layer_ids(Plain())
    family, ids, num_layers = assign_layer_ids(Plain(), generic_fallback=True)
    assert (family, num_layers) == ('generic', 4)
    assert ids == {'scale': 0, 'stem.weight': 0, 'stem.bias': 0,
                   'stages.0.0.weight': 1, 'stages.0.0.bias': 1, 'stages.0.1.weight': 1, 'stages.0.1.bias': 1,
                   'stages.2.weight': 2, 'stages.2.bias': 2, 'head.weight': 3, 'head.bias': 3}


def test_a_backbone_without_parameters_has_one_layer():
    assert assign_layer_ids(nn.Sequential(nn.ReLU()), generic_fallback=True) == ('generic', {}, 1)
