"""The global generators as state: captured and restored (also through a checkpoint), side tasks that leave them
alone, seeded blocks, and seeds derived from their parts."""
import io
import random

import numpy as np
import pytest
import torch

from mmext.compat.checkpoint import safe_load_checkpoint
from mmext.runtime.rng_state import (capture_rng, derive_seed, preserve_rng, restore_rng, seeded_rng,
                                     training_rng_state)


def _draw() -> tuple:
    return random.random(), float(np.random.rand()), float(torch.rand(1))


def test_the_training_state_is_the_one_before_a_side_task():
    outside = capture_rng()
    with preserve_rng():
        torch.rand(5)
        assert torch.equal(training_rng_state()['torch'], outside['torch'])
    assert torch.equal(capture_rng()['torch'], outside['torch'])


def test_a_restored_state_draws_the_same_numbers_also_after_a_checkpoint():
    state = capture_rng()
    first = [_draw() for _ in range(3)]
    buffer = io.BytesIO()
    torch.save(state, buffer)
    buffer.seek(0)
    loaded = safe_load_checkpoint(buffer)  # weights_only=True, as mmext reads checkpoints
    loaded['python'] = list(loaded['python'])  # a checkpoint may give the tuple back as a list
    loaded['python'][1] = list(loaded['python'][1])
    restore_rng(loaded)
    assert [_draw() for _ in range(3)] == first


def test_a_side_task_leaves_the_generators_as_they_were_even_when_it_fails():
    state = capture_rng()
    with pytest.raises(ValueError):
        with preserve_rng():
            _draw()
            with preserve_rng():  # nested: the training's state is still the outermost one
                _draw()
                assert torch.equal(training_rng_state()['torch'], state['torch'])
            raise ValueError('validation failed')
    expected = _draw()
    restore_rng(state)
    assert _draw() == expected


def test_a_seeded_block_draws_from_its_seed_and_puts_the_generators_back():
    state = capture_rng()
    with seeded_rng(7):
        inside = _draw()
    after = _draw()
    _draw()
    with seeded_rng(7):
        assert _draw() == inside
    with seeded_rng(2 ** 62 + 7):  # derived seeds are 63-bit: numpy takes them modulo 2 ** 32
        _draw()
    restore_rng(state)
    assert _draw() == after


def test_derived_seeds_depend_on_every_part_and_on_nothing_else():
    # the same in every process and every run (a resumed run must draw the batches it would have drawn)
    assert derive_seed(2024, 0, 1, 3) == 8908796614470403605
    seeds = {derive_seed(2024, rank, epoch, batch) for rank in range(2) for epoch in range(3) for batch in range(50)}
    assert len(seeds) == 300 and all(0 <= s < 2 ** 63 for s in seeds)
    assert derive_seed(1, 23) != derive_seed(12, 3) and derive_seed(np.int64(5), 1) == derive_seed(5, 1)
