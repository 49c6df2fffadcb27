"""Seeded batches: loading a batch draws the same random numbers wherever and after whatever it is loaded, and a
resumed epoch starts at a batch by index."""
import pickle
import random

import numpy as np
import torch
from mmengine.dataset import DefaultSampler

from mmext.runtime.rng_state import capture_rng
from mmext.engine.resume.seeded_batches import SeededBatch, SeededBatchSampler, seeded_dataloader_cfg


def _draws(batch) -> list:
    return [(i, random.random(), float(np.random.rand()), float(torch.rand(1))) for i in batch]


def test_loading_a_batch_draws_from_its_seed_and_leaves_the_callers_generators_alone():
    batch = SeededBatch([3, 1, 2], seed=42)
    before = capture_rng()
    first = _draws(batch)
    after = capture_rng()
    random.random(), np.random.rand(), torch.rand(3)  # whatever ran before the second load
    assert _draws(pickle.loads(pickle.dumps(batch))) == first  # as a worker receives it
    assert [i for i, *_ in first] == [3, 1, 2]
    assert torch.equal(before['torch'], after['torch']) and before['python'] == after['python']


def test_skipping_gives_the_tail_of_the_full_epoch_with_the_same_seeds():
    sampler = DefaultSampler(list(range(11)), shuffle=True, seed=5)
    batches = SeededBatchSampler(sampler, batch_size=2, seed=7)
    batches.start(epoch=0)
    full = [(list(b), b.seed) for b in batches]
    batches.start(epoch=0, skip=4)
    assert [(list(b), b.seed) for b in batches] == full[4:]
    assert len(full) == len(batches) == 6
    batches.start(epoch=1)
    assert {b.seed for b in batches}.isdisjoint(seed for _, seed in full)  # another epoch, other seeds


def test_dataloader_config_wraps_the_configured_batch_sampler():
    cfg = seeded_dataloader_cfg(dict(batch_size=2, drop_last=True, dataset=dict(type='X')), seed=3)
    assert cfg['batch_sampler']['type'] is SeededBatchSampler
    assert cfg['batch_sampler']['drop_last'] is True and 'drop_last' not in cfg
    cfg = seeded_dataloader_cfg(dict(batch_size=2, batch_sampler=dict(type='AspectRatioBatchSampler')), seed=3)
    assert cfg['batch_sampler']['batch_sampler'] == dict(type='AspectRatioBatchSampler')
