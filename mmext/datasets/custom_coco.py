"""``CustomCocoDataset``: a COCO-format dataset whose classes come from the annotation file.

mmdet's ``CocoDataset`` uses its 80 COCO class names unless the config repeats the user's names, and then drops
every annotation it cannot match without a word. This dataset reads the names from the json, checks a given
list against it, applies the annotation rules (:mod:`mmext.datasets.checks.file_rules`) with a policy, and never ends in an
empty dataset without saying why.
"""
from __future__ import annotations

import logging
from typing import Any, Sequence

import numpy as np
from mmdet.datasets import CocoDataset
from mmdet.registry import DATASETS
from mmengine.dataset.base_dataset import force_full_init
from mmengine.logging import print_log

from mmext.datasets.checks.broken_images import BrokenImages
from mmext.datasets.checks.image_files import LEVELS
from mmext.datasets.checks.limits import ReadLimits
from mmext.datasets.classes import ClassMap, resolve_classes
from mmext.datasets.loading.annotation_file import apply_policy, load_columns
from mmext.datasets.loading.columns import CocoColumns
from mmext.datasets.loading.image_records import ImageRecords, RecordFormat
from mmext.datasets.paths import leaf_files
from mmext.errors import DatasetError
from mmext.registry import register
from mmext.runtime.gc_pause import paused_gc
from mmext.visualization.draw import class_palette

_tables_logged: set[tuple] = set()  # the class table is logged once per file and class list


@register(DATASETS)
class CustomCocoDataset(CocoDataset):
    """A COCO-format dataset: class names from the json, checked annotations, a policy for broken input.

    Labels are contiguous in category-id order (ids may start at 0 or 1 and have gaps); the mapping is logged
    once as a table. A class list in ``metainfo`` must agree with the json (see
    :func:`mmext.datasets.classes.resolve_classes`). A palette is generated when none is given.

    Args:
        policy: What an annotation problem does: ``'strict'`` (the first one is an error naming the file, the id
            and the fix) or ``'warn'`` (broken entries are dropped and fixable ones corrected, with one summary
            table in the log). Defaults to ``'warn'``.
        image_check: How closely every image file is looked at while loading: ``'none'``, ``'exists'``,
            ``'header'`` (size, EXIF rotation, cut-short files) or ``'decode'``. Images with no size in the json
            are always read at ``'header'`` level. Defaults to ``'none'``.
        broken_images: What an image that cannot be loaded during training does: ``'error'`` (an error naming
            the path) or ``'skip'`` (another image is taken, and the skip is counted in the log). Defaults to
            ``'error'``.
        max_broken_fraction: Under ``broken_images='skip'``, the fraction of the dataset's images that may be
            skipped before the run stops. Defaults to 0.01.
        read_limits: The limits past which the annotation file is refused with one line instead of exhausting
            the memory (file size, values, entries, problems, polygon points): a dict of
            :class:`~mmext.datasets.checks.limits.ReadLimits` fields, over the defaults and the ``MMEXT_READ_*``
            environment variables. Defaults to None.
        annotations: The annotation file already read and checked for this config (what
            :meth:`read_annotations` returns), so that it is not read twice: ``MMExtRunner`` hands over the read
            it made for ``num_classes='auto'``. Defaults to None (the dataset reads ``ann_file``).
        **kwargs: mmdet ``CocoDataset`` / mmengine ``BaseDataset`` arguments (``ann_file``, ``data_root``,
            ``data_prefix``, ``filter_cfg``, ``pipeline``, ``metainfo``, ...).

    Example:
        >>> train_dataloader = dict(dataset=dict(
        ...     type='CustomCocoDataset', data_root='data/mine/', ann_file='annotations/train.json',
        ...     data_prefix=dict(img='images/'), filter_cfg=dict(filter_empty_gt=True, min_size=4),
        ...     policy='warn', pipeline=train_pipeline))
    """

    METAINFO: dict = {}  # no built-in class list: the json is the source

    def __init__(self, *args, policy: str = 'warn', image_check: str = 'none', broken_images: str = 'error',
                 max_broken_fraction: float = 0.01, read_limits: dict | None = None,
                 annotations: CocoColumns | None = None, **kwargs) -> None:
        if image_check not in LEVELS:
            raise DatasetError(f'CustomCocoDataset: image_check={image_check!r} is not one of {LEVELS}')
        self.policy = policy
        self.image_check = image_check
        self.read_limits = ReadLimits.get(read_limits)
        self.broken = BrokenImages(broken_images, max_broken_fraction)
        self.report = None
        self._annotations = annotations
        super().__init__(*args, **kwargs)

    @classmethod
    def read_annotations(cls, cfg: dict) -> CocoColumns:
        """Read and check the annotation file of a dataset config without building the dataset.

        Args:
            cfg: The dataset's config (``ann_file``, ``data_root``, ``data_prefix``, ``policy``, ...).

        Returns:
            The checked annotations; pass them as ``annotations=`` to the dataset built from ``cfg``.

        Raises:
            DatasetError: The file cannot be read, or breaks the rules under ``policy='strict'``.
        """
        ann_file, img_dir = leaf_files(cfg)
        columns = load_columns(ann_file or '', img_dir, cfg.get('image_check', 'none'), cfg.get('backend_args'),
                               cfg.get('read_limits'))
        apply_policy(columns, cfg.get('policy', 'warn'), logger='silent')
        return columns

    @classmethod
    def classes_from_cfg(cls, cfg: dict, annotations: CocoColumns | None = None) -> tuple[str, ...]:
        """The class names a dataset built from ``cfg`` will have, without building it (for
        ``num_classes='auto'``).

        Args:
            cfg: The dataset's config.
            annotations: Its annotations, when already read (see :meth:`read_annotations`).
        """
        columns = annotations if annotations is not None else cls.read_annotations(cfg)
        given = (cfg.get('metainfo') or {}).get('classes')
        return resolve_classes(columns.categories, columns.ann_counts, given, leaf_files(cfg)[0] or '').classes

    def load_data_list(self) -> ImageRecords:
        """Read and check the json, settle the classes, and return mmdet's per-image records (a sequence that
        builds each record when it is asked for; see :mod:`mmext.datasets.loading.image_records`)."""
        columns, self._annotations = self._annotations, None  # the hand-over is used once
        if not isinstance(self.data_prefix.get('img'), str):
            raise DatasetError(f"{self.ann_file}: data_prefix={self.data_prefix} has no 'img' folder; give the image "
                               "folder that file_name is relative to, e.g. data_prefix=dict(img='images/')")
        if columns is None:
            columns = load_columns(self.ann_file, self.data_prefix.get('img'), self.image_check, self.backend_args,
                                   self.read_limits)
        apply_policy(columns, self.policy)
        self.report = columns.report
        class_map = resolve_classes(columns.categories, columns.ann_counts, self._metainfo.get('classes'),
                                    self.ann_file)
        self._set_classes(class_map)
        labels = columns.labels(class_map.cat2label)
        fmt = RecordFormat(self.data_prefix['img'], self.data_prefix.get('seg'), self.seg_map_suffix,
                           self.metainfo['classes'] if self.return_classes else None, self.caption_prompt,
                           columns.has_segmentation)
        return ImageRecords(columns, labels, fmt)

    def _set_classes(self, class_map: ClassMap) -> None:
        self.cat_ids = list(class_map.cat_ids)
        self.cat2label = class_map.cat2label
        self._metainfo['classes'] = class_map.classes
        self._metainfo['cat_ids'] = tuple(class_map.cat_ids)  # MMExtRunner hands them to CocoMetric
        palette = self._metainfo.get('palette')
        if not palette or len(palette) < len(class_map.classes):
            self._metainfo['palette'] = class_palette(len(class_map.classes))
        key = (self.ann_file, class_map.classes)
        if key not in _tables_logged:
            _tables_logged.add(key)
            print_log(class_map.format_table(self.ann_file), logger='current', level=logging.INFO)

    def filter_data(self) -> ImageRecords:
        """mmdet's ``filter_empty_gt`` / ``min_size`` filter, with what it removed in the log."""
        records = self.data_list
        if self.test_mode or not self.filter_cfg:
            kept = records
        else:
            empty = self.filter_cfg.get('filter_empty_gt', False)
            min_size = self.filter_cfg.get('min_size', 0)
            no_gt = (records.num_instances() == 0) & bool(empty)
            small = np.minimum(*records.sizes()) < min_size
            kept = records.take(np.flatnonzero(~no_gt & ~small))
            if no_gt.any() or small.any():
                print_log(f'{self.ann_file}: {len(kept)} of {len(records)} images used for training '
                          f'({no_gt.sum()} without annotations and {small.sum()} smaller than min_size={min_size} '
                          'left out by filter_cfg)', logger='current', level=logging.INFO)
        if not len(kept):
            raise DatasetError(self._why_empty())
        return kept

    def full_init(self) -> None:
        """mmengine's initialisation (load, filter, subset), without the serialisation: ``data_list`` holds no
        per-image objects to serialise (its arrays are shared by forked workers as mmengine's buffer is)."""
        if self._fully_initialized:
            return
        with paused_gc():
            self.data_list = self.load_data_list()
            self.data_list = self.filter_data()
            if self._indices is not None:
                self.data_list = self._get_unserialized_subset(self._indices)
        self._fully_initialized = True
        self.broken.reset(len(self), self.ann_file)

    def _why_empty(self) -> str:
        if not self.data_list:
            return f'{self.ann_file}: the dataset has no images.'
        with_gt = int((self.data_list.num_instances() > 0).sum())
        dropped = ', '.join(f'{len(v)} {k}' for k, v in self.report.by_kind().items()) if self.report else ''
        return (f'{self.ann_file}: no image is left for training: {len(self.data_list)} images, {with_gt} with '
                f'annotations, and filter_cfg={dict(self.filter_cfg)} removes the rest'
                f'{" (annotation problems: " + dropped + ")" if dropped else ""}. Check that the annotations '
                f'belong to these images and classes (python tools/check_dataset.py {self.ann_file}), or relax '
                'filter_cfg.')

    # mmengine reads data_list through these; with serialize_data=True it would read its pickled buffer instead
    @force_full_init
    def __len__(self) -> int:
        return len(self.data_list)

    @force_full_init
    def get_data_info(self, idx: int) -> dict:
        """Item ``idx``'s record (built now: a fresh dict, as mmengine's unpickled copy is) with ``sample_idx``."""
        data_info = self.data_list[idx]
        data_info['sample_idx'] = idx if idx >= 0 else len(self) + idx
        return data_info

    @force_full_init
    def get_cat_ids(self, idx: int) -> list[int]:
        return self.data_list.labels_of(idx)

    def get_subset_(self, indices: Sequence[int] | int) -> None:
        self.data_list = self._get_unserialized_subset(indices)

    @force_full_init
    def get_subset(self, indices: Sequence[int] | int) -> CustomCocoDataset:
        subset = self._copy_without_annotation()
        subset.data_list = self._get_unserialized_subset(indices)
        return subset

    def _get_unserialized_subset(self, indices: Sequence[int] | int) -> ImageRecords:
        records = self.data_list
        if isinstance(indices, int):
            return records[:indices] if indices >= 0 else records[indices:]
        if not isinstance(indices, Sequence):
            raise TypeError(f'indices should be an int or a sequence of int, but got {type(indices)}')
        return records.take(np.arange(len(records))[list(indices)])

    def prepare_data(self, idx: int) -> Any:
        """Run the pipeline; an image file that cannot be loaded is handled by the ``broken_images`` policy."""
        data_info = self.get_data_info(idx)
        try:
            return self.pipeline(data_info)
        except Exception as err:  # noqa: BLE001  re-raised unless the image file itself is broken
            return self.broken.handle(data_info, err, self.test_mode)
