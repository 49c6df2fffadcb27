"""NamedMultiplierConstructor: multipliers by parameter name on top of mmengine's param-wise options, applied once,
tagged in the groups; typos and a missing lr refused at build."""
import pytest
import torch.nn as nn

from mmext.errors import ConfigError
from mmext.optim.param_groups import Multiplier, NamedMultiplierConstructor, check_nonnegative

OPTIM = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.1, weight_decay=0.01, momentum=0.9))


class HalveTheBody(NamedMultiplierConstructor):
    """Every parameter under ``body.`` at half the lr and a tenth of the decay, tagged; the rest untouched."""

    own_keys = frozenset({'tag'})

    def multipliers(self, model, names):
        tag = self.paramwise_cfg.get('tag', 'body')
        return {n: Multiplier(0.5, 0.1, dict(part=tag)) for n in names if n.startswith('body.')}


class Model(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Sequential(nn.Linear(2, 2)), nn.BatchNorm1d(2))  # nested: mmengine recurses
        self.head = nn.Linear(2, 1)


def _groups(constructor, model) -> dict:
    names = {id(p): n for n, p in model.named_parameters()}
    return {names[id(g['params'][0])]: g for g in constructor(model).optimizer.param_groups}


def test_multipliers_apply_once_on_top_of_mmengines_options():
    model = Model()
    groups = _groups(HalveTheBody(OPTIM, dict(bias_decay_mult=0.0, custom_keys={'body.0': dict(lr_mult=2.0)})),
                     model)
    assert len(groups) == len(list(model.parameters()))
    lr_wd = {name: (g['lr'], g['weight_decay']) for name, g in groups.items()}
    assert lr_wd['body.0.0.weight'] == pytest.approx((0.1 * 2.0 * 0.5, 0.01 * 0.1))  # custom key, then ours
    assert lr_wd['body.0.0.bias'] == pytest.approx((0.1, 0.001))  # mmengine: a custom key wins over bias_decay_mult
    assert lr_wd['body.1.weight'] == pytest.approx((0.05, 0.001))
    assert lr_wd['body.1.bias'] == pytest.approx((0.05, 0.0))  # mmengine's bias_decay_mult, then ours
    assert lr_wd['head.weight'] == pytest.approx((0.1, 0.01)) and lr_wd['head.bias'] == pytest.approx((0.1, 0.0))
    assert groups['body.1.bias']['part'] == 'body' and 'part' not in groups['head.weight']
    assert all(g['momentum'] == 0.9 for g in groups.values())


def test_without_weight_decay_only_the_lr_is_multiplied():
    optim = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.1))
    groups = _groups(HalveTheBody(optim, dict(tag='x')), Model())
    assert groups['body.1.weight']['lr'] == pytest.approx(0.05) and groups['body.1.weight']['part'] == 'x'
    assert groups['body.1.weight'].get('weight_decay', 0) == 0


def test_a_misspelt_key_names_the_closest_ones():
    with pytest.raises(ConfigError, match="HalveTheBody: paramwise_cfg has an unknown key 'bias_decay_mul'. Did you "
                                          "mean: bias_decay_mult.*Known keys: bias_decay_mult, bias_lr_mult, .*tag"):
        HalveTheBody(OPTIM, dict(bias_decay_mul=0.0))
    with pytest.raises(ConfigError, match="unknown key 'zzz'. Known keys"):
        HalveTheBody(OPTIM, dict(zzz=1))


def test_an_optimizer_without_lr_is_refused():
    with pytest.raises(ConfigError, match='HalveTheBody: optim_wrapper.optimizer needs an explicit lr'):
        HalveTheBody(dict(type='OptimWrapper', optimizer=dict(type='Adam')))


@pytest.mark.parametrize('value', [-1, 'x', None, True, [1]])
def test_a_multiplier_must_be_a_number_of_at_least_0(value):
    with pytest.raises(ConfigError, match=r"^Owner: rules\[0\].lr_mult=.* must be a number >= 0$"):
        check_nonnegative('Owner', 'rules[0].lr_mult', value)
    assert check_nonnegative('Owner', 'x', 0) == 0.0 and check_nonnegative('Owner', 'x', 3) == 3.0
