"""The parameter-group table: rows merged by settings, names by covering prefix, multipliers."""
from mmengine.optim import DefaultOptimWrapperConstructor

from mmext.optim import LayerDecayOptimWrapperConstructor, format_param_group_summary, summarize_param_groups
from tests.optim.test_layer_decay_constructor import OPTIM, resnet18_detector


def _rows(text: str) -> list[list[str]]:
    return [line.split() for line in text.splitlines()[3:] if line[:1].isdigit()]


def test_backbone_lr_multiplier_shows_in_one_row():
    model = resnet18_detector()
    wrapper = DefaultOptimWrapperConstructor(
        OPTIM, dict(custom_keys={'backbone': dict(lr_mult=0.1)}, norm_decay_mult=0.0))(model)
    text = format_param_group_summary(model, wrapper)
    assert text.splitlines()[0] == ('optimizer AdamW: 62 parameter group(s) in 2 row(s); lr x and wd x are '
                                    'relative to lr=0.01, weight_decay=0.05')
    # custom_keys win over norm_decay_mult in mmengine, so all 60 backbone tensors share one row
    assert _rows(text) == [['0', 'backbone.*', '60', '11,176,512', '0.001', '0.1', '0.05', '1'],
                           ['1', 'neck.*', '2', '4,104', '0.01', '1', '0.05', '1']]


def test_layer_decay_rows_carry_the_layer_and_frozen_parameters_are_counted():
    model = resnet18_detector()
    for p in model.backbone.layer4.parameters():
        p.requires_grad_(False)  # mmengine leaves these out of the optimizer
    wrapper = LayerDecayOptimWrapperConstructor(OPTIM, dict(decay_rate=0.5, norm_decay_mult=0.0))(model)
    rows, overlaps = summarize_param_groups(model, wrapper)
    assert [dict(r.tags)['layer_id'] for r in rows][:3] == [0, 0, 1] and not overlaps
    text = format_param_group_summary(model, wrapper, max_patterns=1)
    assert _rows(text)[3][1:3] == ['backbone.layer1.0.bn*.*', '4']  # bn1 and bn2, weights and biases
    # block layer1.0 (id 1): lr 0.01 * 0.5 ** 8; its two conv weights named by one exact glob
    assert _rows(text)[2] == ['2', 'backbone.layer1.0.conv*.weight', '2', '73,728', '3.906e-05', '0.003906', '0.05',
                              '1', '1']
    assert text.splitlines()[-1] == ('not in the optimizer (frozen when it was built): 15 tensor(s): '
                                     'backbone.layer4.*')
