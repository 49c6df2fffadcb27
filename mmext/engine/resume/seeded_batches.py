"""Batches that carry their own random seed, and a batch sampler that can start mid-epoch by index.

Random augmentation (``RandomFlip`` and friends) draws from the global generators of whichever process loads the
sample. In a dataloader worker those generators advance with every sample the worker has loaded, so after a
resume (fresh workers, batches dealt to workers differently) the same batch would be augmented differently. Here
each batch of indices is a :class:`SeededBatch`: loading it (iterating over it, which the dataloader's fetcher does
in the worker, or in the main process with ``num_workers=0``) runs under generators seeded from
``(seed, rank, epoch, position in epoch)`` only, and puts them back afterwards. The augmentation of a batch is then
the same whatever ran before it, in any worker or none.

:class:`SeededBatchSampler` wraps the configured batch sampler (mmdet's ``AspectRatioBatchSampler``, or torch's
``BatchSampler``), numbers its batches, and can skip the first ``n`` of an epoch by their indices alone, so that
resuming at batch 9,999 costs iterating over index lists, not loading 9,999 batches of images.
"""
from __future__ import annotations

import copy
from typing import Iterator

from mmengine.dist import get_rank
from mmengine.registry import DATA_SAMPLERS
from torch.utils.data import BatchSampler, Sampler

from mmext.runtime.rng_state import derive_seed, seeded_rng


class SeededBatch(list):
    """A list of dataset indices whose iteration runs under generators seeded from ``seed``.

    Args:
        indices: The dataset indices of the batch.
        seed: The seed its loading uses.
    """

    def __init__(self, indices, seed: int) -> None:
        super().__init__(indices)
        self.seed = seed

    def __iter__(self) -> Iterator[int]:
        # The fetcher does `[dataset[i] for i in batch]`: every sample is loaded between two of these yields.
        with seeded_rng(self.seed):
            yield from list.__iter__(self)

    def __reduce__(self):
        # Pickling (to send the batch to a worker) must not go through the seeding __iter__.
        return SeededBatch, (list(list.__iter__(self)), self.seed)


class SeededBatchSampler(Sampler):
    """Wrap a batch sampler: number its batches, seed each one, and start an epoch at any batch.

    Args:
        sampler: The index sampler (``DefaultSampler``, ``InfiniteSampler``, ...).
        batch_size: Samples per batch.
        batch_sampler: Config of the batch sampler to wrap; None for torch's ``BatchSampler``.
        drop_last: For torch's ``BatchSampler`` only.
        seed: The run's seed (``runner.seed``).
    """

    def __init__(self, sampler: Sampler, batch_size: int, batch_sampler: dict | None = None,
                 drop_last: bool = False, seed: int | None = None) -> None:
        if batch_sampler is None:
            self.batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        else:
            self.batch_sampler = DATA_SAMPLERS.build(
                batch_sampler, default_args=dict(sampler=sampler, batch_size=batch_size))
        # hooks such as DistSamplerSeedHook reach the index sampler as `dataloader.batch_sampler.sampler`
        self.sampler = sampler
        self.batch_size = batch_size
        self.seed = 0 if seed is None else int(seed)
        self.rank = get_rank()
        self._epoch = 0
        self._skip = 0

    def start(self, epoch: int, skip: int = 0) -> None:
        """Make the next iteration epoch ``epoch`` and leave out its first ``skip`` batches.

        Args:
            epoch: The epoch (or, for iteration-based training, the pass over the data) about to start.
            skip: Batches already trained in it.
        """
        self._epoch, self._skip = int(epoch), int(skip)

    def __iter__(self) -> Iterator[SeededBatch]:
        epoch, skip = self._epoch, self._skip
        self._skip = 0
        for position, batch in enumerate(self.batch_sampler):
            if position >= skip:
                yield SeededBatch(batch, derive_seed(self.seed, self.rank, epoch, position))

    def __len__(self) -> int:
        return len(self.batch_sampler)


def seeded_dataloader_cfg(dataloader: dict, seed: int | None) -> dict:
    """A train dataloader config whose batch sampler is a :class:`SeededBatchSampler` around the configured one.

    Args:
        dataloader: The ``train_dataloader`` config.
        seed: The run's seed.

    Returns:
        A new config; ``dataloader`` is not changed.
    """
    cfg = copy.deepcopy(dataloader)
    inner = cfg.pop('batch_sampler', None)
    wrapper = dict(type=SeededBatchSampler, batch_sampler=inner, seed=seed)
    if inner is None:  # torch's DataLoader refuses drop_last together with a batch sampler
        wrapper['drop_last'] = cfg.pop('drop_last', False)
    cfg['batch_sampler'] = wrapper
    return cfg
