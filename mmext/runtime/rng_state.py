"""The global random number generators (Python, NumPy, torch CPU and CUDA) as state that can be saved and restored.

Exact resume needs the training's random stream to continue where it stopped. Two things keep that stream a
function of the training alone:

- :func:`preserve_rng` runs a side task (validation, starting a dataloader iterator) without moving the
  training's generators, so whether or not a side task ran before a checkpoint makes no difference after it;
- :func:`seeded_rng` runs a data-loading step with generators seeded from its own seed (see
  :mod:`mmext.engine.resume.seeded_batches`), the same in a worker process and in the main one.
"""
from __future__ import annotations

import hashlib
import random
from contextlib import contextmanager
from typing import Iterator

import numpy as np
import torch

# States saved on entry to the outermost preserve_rng(): inside a side task, the training's state is that one.
_outer_states: list[dict] = []


def capture_rng() -> dict:
    """The current state of every global generator, in types that ``torch.load(weights_only=True)`` accepts."""
    state = dict(python=random.getstate(), numpy=np.random.get_state(), torch=torch.get_rng_state())
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


def restore_rng(state: dict) -> None:
    """Set every global generator to a state from :func:`capture_rng` (CUDA only when both sides have it)."""
    random.setstate(_as_python_state(state['python']))
    np.random.set_state(state['numpy'])
    torch.set_rng_state(state['torch'])
    if state.get('cuda') is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state['cuda'])


def training_rng_state() -> dict:
    """The state of the training's random stream: inside :func:`preserve_rng`, the state it will return to."""
    return _outer_states[0] if _outer_states else capture_rng()


@contextmanager
def preserve_rng() -> Iterator[None]:
    """Run a block without moving the global generators: their state after it is their state before it."""
    state = capture_rng()
    _outer_states.append(state)
    try:
        yield
    finally:
        _outer_states.pop()
        restore_rng(state)


@contextmanager
def seeded_rng(seed: int) -> Iterator[None]:
    """Run a block with every global generator seeded from ``seed``, then put them back as they were."""
    state = capture_rng()
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    try:
        yield
    finally:
        restore_rng(state)


def derive_seed(*parts: int) -> int:
    """A 63-bit seed that depends on every part (e.g. base seed, rank, epoch, batch position) and nothing else."""
    digest = hashlib.blake2b(repr(tuple(int(p) for p in parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, 'little') >> 1


def _as_python_state(state) -> tuple:
    # random.getstate() is (version, tuple_of_ints, gauss); a checkpoint may hand the inner tuple back as a list.
    version, internal, gauss = state
    return version, tuple(internal), gauss
