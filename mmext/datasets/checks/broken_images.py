"""What an image that cannot be loaded during training does: an error naming the path, or a counted skip.

A pipeline failure is blamed on the image only when a look at the file (:func:`probe_image` at ``'decode'``
level) finds it missing, empty, cut short or undecodable; any other failure is re-raised untouched. Skips are
counted per image in memory shared with the dataloader workers (forked after the dataset is built), so the
bound on the fraction of skipped images holds for the whole dataset, not per worker.
"""
from __future__ import annotations

import logging
import mmap

from mmengine.logging import print_log

from mmext.datasets.checks.image_files import probe_image
from mmext.errors import DatasetError

POLICIES = ('error', 'skip')


class SharedFlags:
    """One byte per dataset index in anonymous shared memory: forked workers see each other's marks.

    Pickled (spawned workers, deep copies) it becomes a private copy, so counting degrades to per process
    instead of failing.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._buf = mmap.mmap(-1, max(size, 1))

    def mark(self, index: int) -> bool:
        """Mark ``index``; True when it was not marked before."""
        index %= max(self.size, 1)
        if self._buf[index]:
            return False
        self._buf[index] = 1
        return True

    def count(self) -> int:
        return self._buf[:self.size].count(1)

    def __getstate__(self) -> dict:
        return dict(size=self.size, data=self._buf[:])

    def __setstate__(self, state: dict) -> None:
        self.__init__(state['size'])
        self._buf[:len(state['data'])] = state['data']


class BrokenImages:
    """The ``broken_images`` policy of :class:`~mmext.datasets.custom_coco.CustomCocoDataset`.

    Args:
        policy: ``'error'`` or ``'skip'``.
        max_fraction: Under ``'skip'``, the fraction of images that may be skipped before the run stops.
    """

    def __init__(self, policy: str = 'error', max_fraction: float = 0.01) -> None:
        if policy not in POLICIES:
            raise DatasetError(f'broken_images={policy!r} is not one of {POLICIES}')
        if not 0 <= max_fraction <= 1:
            raise DatasetError(f'max_broken_fraction={max_fraction!r} must be between 0 and 1')
        self.policy = policy
        self.max_fraction = max_fraction
        self.source = ''
        self._flags = SharedFlags(0)

    def reset(self, size: int, source: str) -> None:
        """Size the counter for a dataset of ``size`` images (done in the main process, before workers start)."""
        self._flags = SharedFlags(size)
        self.source = source

    @property
    def skipped(self) -> int:
        return self._flags.count()

    @property
    def limit(self) -> int:
        return int(self.max_fraction * self._flags.size)

    def handle(self, data_info: dict, err: Exception, test_mode: bool) -> None:
        """Called from inside ``except``: re-raise ``err``, raise a readable error, or count a skip.

        Returns:
            None, which makes mmengine's ``BaseDataset`` take another image (training only).

        Raises:
            Exception: ``err`` itself when the image file is fine (the failure is elsewhere in the pipeline).
            DatasetError: Under ``'error'``, in test mode, or when too many images were skipped.
        """
        path = data_info.get('img_path')
        probe = probe_image(path, 'decode') if isinstance(path, str) else None
        if probe is None or probe.kind in (None, 'image_wrong_extension'):
            size = (data_info.get('width'), data_info.get('height'))
            if probe is not None and probe.size and size != probe.size:  # boxes/masks sized for another image
                raise DatasetError(f'{path} (image id {data_info.get("img_id")!r} in {self.source}) is '
                                   f'{probe.size[0]}x{probe.size[1]} but the json says {size[0]}x{size[1]} '
                                   f'[size_mismatch], and the pipeline failed with {type(err).__name__}: {err}. '
                                   "Fix the json's width/height, or load with image_check='header' to use the "
                                   "file's size.") from err
            raise err
        what = f'{path} (image id {data_info.get("img_id")!r} in {self.source}): {probe.detail} [{probe.kind}]'
        if self.policy == 'error' or test_mode:
            why = 'evaluation needs every image' if test_mode and self.policy == 'skip' else (
                "or set broken_images='skip' in the dataset config to skip such images during training")
            raise DatasetError(f'cannot load image {what}. Fix: replace the file or remove the image from the '
                               f'annotations (python tools/check_dataset.py {self.source} --img-dir DIR --fix '
                               f'OUT.json); {why}.') from None
        new = self._flags.mark(int(data_info.get('sample_idx', 0)))
        count, limit = self.skipped, self.limit
        if count > limit:
            raise DatasetError(f'{count} of {self._flags.size} images could not be loaded, more than '
                               f'max_broken_fraction={self.max_fraction} allows ({limit}); the last: {what}. Fix '
                               f'the files (python tools/check_dataset.py {self.source} --img-dir DIR) or raise '
                               'max_broken_fraction.') from None
        if new:
            print_log(f'skipped broken image {what}; {count} of {self._flags.size} images skipped so far (at '
                      f'most {limit} allowed by max_broken_fraction={self.max_fraction})', logger='current',
                      level=logging.WARNING)
        return None
