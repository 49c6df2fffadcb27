"""The resume state of a run: which hooks are stateful, what a checkpoint holds, and when a loaded state is applied."""
import torch
from mmengine.hooks import Hook

from mmext.runtime import run_state
from mmext.runtime.rng_state import capture_rng, preserve_rng
from mmext.runtime.run_state import (RESUME_KEY, VERSION, collect, remember_loaded, restore_hooks, stateful_hooks,
                                     take_loaded)


class Counter(Hook):
    def __init__(self, count: int = 0) -> None:
        self.count = count

    def state_dict(self) -> dict:
        return dict(count=self.count)

    def load_state_dict(self, state: dict) -> None:
        self.count = state['count']


class SaveOnly(Hook):
    def state_dict(self) -> dict:  # no load_state_dict: not stateful
        return {}


class Loop:
    def resume_position(self) -> dict:
        return dict(epoch=1, batch=3)


class Runner:
    """The parts of a runner that the resume state reads."""

    def __init__(self, hooks: list, train_loop=None) -> None:
        self.hooks, self.train_loop = hooks, train_loop


def test_stateful_hooks_get_names_unique_within_the_run():
    first, second, third = Counter(1), Counter(2), Counter(3)
    found = stateful_hooks(Runner([first, SaveOnly(), second, Hook(), third]))
    assert found == {'Counter': first, 'Counter#2': second, 'Counter#3': third}


def test_a_checkpoints_state_holds_the_position_the_training_rng_and_the_hooks():
    runner = Runner([Counter(5)], Loop())
    outside = capture_rng()
    with preserve_rng():  # a checkpoint written during a side task keeps the training's random state
        torch.rand(3)
        state = collect(runner)
    assert state['version'] == VERSION and state['position'] == dict(epoch=1, batch=3)
    assert state['world_size'] == 1 and len(state['ranks']) == 1
    assert state['ranks'][0]['hooks'] == {'Counter': dict(count=5)}
    assert torch.equal(state['ranks'][0]['rng']['torch'], outside['torch'])
    assert collect(Runner([], object()))['position'] is None  # not one of mmext's exact loops


def _checkpoint(epoch=2, iteration=10, **state) -> dict:
    resume = dict(version=VERSION, position=dict(epoch=2, batch=0), world_size=1,
                  ranks=[dict(rng=dict(python='rng'), hooks={'Counter': dict(count=7)})])
    return dict(meta=dict(epoch=epoch, iter=iteration), **{RESUME_KEY: dict(resume, **state)})


def test_a_resumed_run_takes_the_loaded_state_once():
    runner = Runner([])
    remember_loaded(runner, _checkpoint())
    loaded = take_loaded(runner, 2, 10)
    assert (loaded.position, loaded.rng, loaded.hooks, loaded.problem) == (
        dict(epoch=2, batch=0), dict(python='rng'), {'Counter': dict(count=7)}, None)
    assert take_loaded(runner, 2, 10) is None  # once


def test_a_plain_load_does_not_take_the_state():
    """load_from without resume: the loop's counters stay at 0 (or do not match the checkpoint's)."""
    runner = Runner([])
    remember_loaded(runner, _checkpoint())
    assert take_loaded(runner, 0, 0) is None
    remember_loaded(runner, _checkpoint(epoch=0, iteration=0))
    assert take_loaded(runner, 0, 0) is None  # a checkpoint of iteration 0 has nothing to continue
    assert take_loaded(Runner([]), 2, 10) is None  # nothing loaded


def test_what_cannot_be_restored_says_why():
    runner = Runner([])
    remember_loaded(runner, _checkpoint(world_size=4))
    loaded = take_loaded(runner, 2, 10)
    assert loaded.rng is None and loaded.hooks == {}
    assert loaded.problem == 'the checkpoint was written by 4 processes and this run has 1'
    remember_loaded(runner, dict(meta=dict(epoch=2, iter=10)))  # written by mmengine's CheckpointHook
    loaded = take_loaded(runner, 2, 10)
    assert loaded.position is None and "not written by mmext's AtomicCheckpointHook" in loaded.problem


def test_hooks_get_their_states_back_and_the_unclaimed_ones_are_named():
    first, second = Counter(), Counter()
    runner = Runner([first, second])
    left = restore_hooks(runner, {'Counter': dict(count=3), 'Counter#2': dict(count=4), 'Gone': {}, 'Old#2': {}})
    assert (first.count, second.count) == (3, 4) and left == ['Gone', 'Old#2']


def test_the_loaded_state_goes_with_its_runner():
    runner = Runner([])
    remember_loaded(runner, _checkpoint())
    assert len(run_state._loaded) >= 1
    del runner
    assert all(type(r) is not Runner for r in run_state._loaded.keys())  # no runner kept alive by it
