"""What a checkpoint holds, besides mmengine's weights/optimizer/schedulers, to continue a run exactly.

Saved under ``checkpoint['mmext_resume']``::

    version:    1
    position:   where the data stream continues, from the train loop (see mmext.engine.resume.loops)
    world_size: number of ranks that wrote it
    ranks:      one entry per rank: {'rng': the training's random state, 'hooks': {name: hook state}}

A hook is stateful when it has ``state_dict()`` and ``load_state_dict(state)``; its state must be made of tensors,
NumPy arrays and plain Python values (checkpoints load with ``weights_only=True``). Collecting is a collective
call (every rank gathers its own part), so it runs where all ranks run: in the checkpoint hook, not in
``Runner.save_checkpoint`` (rank 0 only).
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass, field

from mmengine.dist import all_gather_object, get_rank, get_world_size

from mmext.runtime.rng_state import training_rng_state

RESUME_KEY = 'mmext_resume'
VERSION = 1

# The state of the checkpoint a runner has just loaded, until its train loop takes it (see take_loaded).
_loaded: 'weakref.WeakKeyDictionary' = weakref.WeakKeyDictionary()


@dataclass
class LoadedState:
    """The resume state of a loaded checkpoint, as this rank needs it."""
    epoch: int
    iter: int
    position: dict | None
    rng: dict | None
    hooks: dict = field(default_factory=dict)
    problem: str | None = None  # why the random state cannot be restored, for the warning


def stateful_hooks(runner) -> dict:
    """The runner's hooks that have ``state_dict``/``load_state_dict``, by a name unique within the run."""
    found, seen = {}, {}
    for hook in runner.hooks:
        if callable(getattr(hook, 'state_dict', None)) and callable(getattr(hook, 'load_state_dict', None)):
            name = type(hook).__name__
            seen[name] = seen.get(name, 0) + 1
            found[name if seen[name] == 1 else f'{name}#{seen[name]}'] = hook
    return found


def collect(runner) -> dict:
    """Gather the resume state from every rank (a collective call: all ranks must call it).

    Args:
        runner: The runner; its train loop tells the position when it is one of mmext's exact loops.

    Returns:
        The ``checkpoint['mmext_resume']`` entry.
    """
    mine = dict(rng=training_rng_state(),
                hooks={name: hook.state_dict() for name, hook in stateful_hooks(runner).items()})
    ranks = all_gather_object(mine) if get_world_size() > 1 else [mine]
    position_of = getattr(runner.train_loop, 'resume_position', None)
    return dict(version=VERSION, position=position_of() if position_of else None, world_size=len(ranks),
                ranks=ranks)


def remember_loaded(runner, checkpoint: dict) -> None:
    """Keep the resume state of a checkpoint the runner has just loaded, for its train loop."""
    meta = checkpoint.get('meta', {})
    state = checkpoint.get(RESUME_KEY)
    if state is None:
        _loaded[runner] = LoadedState(meta.get('epoch', 0), meta.get('iter', 0), None, None,
                                      problem='the checkpoint holds no mmext resume state (it was not written by '
                                              "mmext's AtomicCheckpointHook)")
        return
    rank, problem, mine = get_rank(), None, {}
    if state.get('world_size') != get_world_size():
        problem = (f"the checkpoint was written by {state.get('world_size')} processes and this run has "
                   f'{get_world_size()}')
    else:
        mine = state['ranks'][rank]
    _loaded[runner] = LoadedState(meta.get('epoch', 0), meta.get('iter', 0), state.get('position'),
                                  mine.get('rng'), mine.get('hooks', {}), problem)


def take_loaded(runner, epoch: int, iteration: int) -> LoadedState | None:
    """The loaded state, once, if the runner resumed from it (its counters match); None after a plain load.

    ``load_from`` without ``resume`` loads the same checkpoint but leaves the loop's counters at 0: then the
    random state and data position must not be applied.
    """
    state = _loaded.pop(runner, None)
    if state is None or (state.epoch, state.iter) != (epoch, iteration) or iteration == 0:
        return None
    return state


def restore_hooks(runner, states: dict) -> list[str]:
    """Give each stateful hook its saved state; returns the names of saved states no hook took."""
    hooks = stateful_hooks(runner)
    for name, state in states.items():
        if name in hooks:
            hooks[name].load_state_dict(state)
    return sorted(set(states) - set(hooks))
