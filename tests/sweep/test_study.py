"""Samplers, pruners and storage of a study."""
import optuna
import pytest


def test_pruner_specs():
    from mmext.errors import SweepError
    from mmext.sweep.study import make_pruner
    assert isinstance(make_pruner('median'), optuna.pruners.MedianPruner)
    assert isinstance(make_pruner('none'), optuna.pruners.NopPruner)
    assert make_pruner(dict(type='ThresholdPruner', lower=0.2))._lower == 0.2
    with pytest.raises(SweepError, match="pruner type 'Bogus' is not one of Optuna's pruners"):
        make_pruner(dict(type='Bogus'))
    with pytest.raises(SweepError, match="pruner 'mean' is not one of median, none"):
        make_pruner('mean')
