"""Search-space files: parsing, checks against the config's keys, sampling and grid values."""
import optuna
import pytest
from mmengine.config import Config

from mmext.errors import SpaceError
from mmext.sweep.space import Param, check_keys, config_keys, grid_space, load_space, parse_param


def _write(tmp_path, text):
    path = tmp_path / 'space.yaml'
    path.write_text(text)
    return str(path)


def test_load_space_reads_each_kind(tmp_path):
    params = load_space(_write(tmp_path, '''
optim_wrapper.optimizer.lr: {type: float, low: 0.001, high: 0.02, log: true}
train_cfg.max_epochs: {type: int, low: 2, high: 8, step: 2}
train_dataloader.batch_size: {type: categorical, choices: [1, 2]}
'''))
    assert params == [Param('optim_wrapper.optimizer.lr', 'float', low=0.001, high=0.02, log=True),
                      Param('train_cfg.max_epochs', 'int', low=2, high=8, step=2),
                      Param('train_dataloader.batch_size', 'categorical', choices=(1, 2))]
    trial = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0)).ask()
    lr, epochs, batch = (p.suggest(trial) for p in params)
    assert 0.001 <= lr <= 0.02 and epochs in (2, 4, 6, 8) and batch in (1, 2)
    assert grid_space(params[1:]) == {'train_cfg.max_epochs': [2, 4, 6, 8], 'train_dataloader.batch_size': [1, 2]}


@pytest.mark.parametrize('spec, message', [
    ({'type': 'normal', 'low': 0, 'high': 1}, "type 'normal' is not one of float, int, categorical"),
    ({'type': 'float', 'low': 0.1}, 'needs both low and high'),
    ({'type': 'float', 'low': 2, 'high': 1}, 'low (2) is greater than high (1)'),
    ({'type': 'float', 'low': 0, 'high': 1, 'log': True}, 'log: true needs low > 0'),
    ({'type': 'int', 'low': 1, 'high': 8, 'lgo': True}, 'unknown field(s) lgo for type int'),
    ({'type': 'categorical', 'choices': []}, 'categorical needs a non-empty list'),
    ('0.01', 'expected a mapping with a type'),
])
def test_malformed_distribution_is_explained(spec, message):
    with pytest.raises(SpaceError, match='lr: ') as err:
        parse_param('lr', spec)
    assert message in str(err.value)


def test_float_grid_needs_a_step():
    assert parse_param('x', {'type': 'float', 'low': 0.1, 'high': 0.3, 'step': 0.1}).grid_values() == [0.1, 0.2, 0.3]
    with pytest.raises(SpaceError, match="grid sampler needs a finite set of values; give this float range a 'step'"):
        parse_param('x', {'type': 'float', 'low': 0.1, 'high': 0.3}).grid_values()


def test_unknown_key_names_the_closest_existing_keys():
    cfg = Config(dict(optim_wrapper=dict(optimizer=dict(type='AdamW', lr=0.002)),
                      param_scheduler=[dict(type='LinearLR'), dict(type='CosineAnnealingLR', T_max=10)]))
    assert 'param_scheduler.1.T_max' in set(config_keys(cfg._cfg_dict.to_dict()))
    check_keys([Param('param_scheduler.1.T_max', 'int', low=1, high=2)], cfg)
    with pytest.raises(SpaceError, match=r"'optim_wrapper.optimizer.learning_rate' is not in the config\. "
                                         r'Closest existing keys: optim_wrapper.optimizer.'):
        check_keys([Param('optim_wrapper.optimizer.learning_rate', 'float', low=0.1, high=1.0)], cfg)
    with pytest.raises(SpaceError, match='Closest existing keys: optim_wrapper.optimizer.lr'):
        check_keys([Param('optimizer.lr', 'float', low=0.1, high=1.0)], cfg)


def test_missing_or_empty_file(tmp_path):
    with pytest.raises(SpaceError, match='does not exist'):
        load_space(str(tmp_path / 'nope.yaml'))
    with pytest.raises(SpaceError, match='must map config keys to distributions'):
        load_space(_write(tmp_path, '- a\n- b\n'))

