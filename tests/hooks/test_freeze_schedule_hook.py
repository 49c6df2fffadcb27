"""FreezeScheduleHook: bit-identical while frozen, training after; BatchNorm in eval; resume; bad patterns."""
import pytest
import torch

from mmext.errors import ConfigError
from mmext.hooks import FreezeScheduleHook
from tests.toy_runner import Snapshots, ToyModel, toy_runner

GUARD = dict(type='NonFiniteLossGuardHook')


def _part(state: dict, prefix: str) -> dict:
    return {k: v for k, v in state.items() if k.startswith(prefix)}


def _same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_frozen_bit_identical_then_trained(tmp_path):
    model, snaps = ToyModel(), Snapshots()
    freeze = dict(type='FreezeScheduleHook', patterns=['backbone'], until_epoch=2)
    toy_runner(tmp_path, model, [GUARD, freeze, snaps], max_epochs=3).train()  # 4 iterations an epoch
    frozen = [_part(snaps.before[i], 'backbone.') for i in range(9)]  # before iteration 0 ... after iteration 7
    assert all(_same(frozen[0], f) for f in frozen[1:])  # weights and BatchNorm statistics untouched
    assert not _same(_part(snaps.before[0], 'head.'), _part(snaps.before[8], 'head.'))  # the head trained
    assert not any(snaps.norm_training[i] for i in range(8))  # BatchNorm in eval while frozen
    assert snaps.norm_training[8] and snaps.norm_training[11]  # and back to train mode after
    assert not _same(frozen[-1], _part(snaps.before[11], 'backbone.'))  # unfrozen: the backbone trains
    assert all(p.requires_grad for p in model.parameters())


def test_until_iter_and_resume(tmp_path):
    freeze = dict(type='FreezeScheduleHook', patterns=['backbone.0'], until_iter=6)
    toy_runner(tmp_path, ToyModel(), [GUARD, freeze], max_epochs=1).train()  # iterations 0-3, epoch_1.pth
    model, snaps = ToyModel(), Snapshots()
    toy_runner(tmp_path, model, [GUARD, freeze, snaps], max_epochs=2, resume=True).train()  # iterations 4-7
    assert sorted(snaps.before) == [4, 5, 6, 7]
    linear = [_part(snaps.before[i], 'backbone.0.') for i in (4, 5, 6, 7)]
    assert _same(linear[0], linear[1]) and _same(linear[1], linear[2])  # still frozen after resume (4, 5)
    assert not _same(linear[2], linear[3])  # unfrozen from iteration 6
    assert not _same(_part(snaps.before[4], 'backbone.1.'), _part(snaps.before[5], 'backbone.1.'))  # not matched


def test_unknown_pattern_is_an_error_listing_module_names(tmp_path):
    freeze = dict(type='FreezeScheduleHook', patterns=['backbone.3'], until_epoch=1)
    with pytest.raises(ConfigError, match=r"pattern 'backbone.3' matches no module.*Closest module names: "
                                          r'backbone.2, backbone.1, backbone.0.*'
                                          r'Top-level modules: data_preprocessor, backbone, head'):
        toy_runner(tmp_path, ToyModel(), [GUARD, freeze]).train()


@pytest.mark.parametrize('kwargs, message', [
    (dict(patterns=['backbone']), 'give exactly one of until_epoch or until_iter'),
    (dict(patterns=['backbone'], until_epoch=1, until_iter=3), 'give exactly one of until_epoch or until_iter'),
    (dict(patterns=['backbone'], until_iter=0), 'must be an int >= 1'),
    (dict(patterns=[], until_epoch=1), 'must be module names'),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        FreezeScheduleHook(**kwargs)
