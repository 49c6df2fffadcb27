"""``CustomCocoDataset.data_list``: a sequence of mmdet's per-image dicts, each built when it is asked for.

mmengine keeps ``data_list`` as a list of dicts and, with ``serialize_data=True``, pickles it into one numpy
buffer so that forked dataloader workers share it instead of copying it by touching reference counts. Here
``data_list`` is that sequence without the dicts: the images it holds are rows of a
:class:`~mmext.datasets.loading.columns.CocoColumns` (numpy arrays, shared by workers the same way), and item ``i``
is built on access, with the same keys, types and values as mmdet's ``CocoDataset.parse_data_info`` gives.
Slicing and subsets give another such sequence over the same columns.
"""
from __future__ import annotations

import os.path as osp
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from mmext.datasets.loading.columns import CocoColumns


@dataclass(frozen=True)
class RecordFormat:
    """What a dataset adds to each record (from its ``data_prefix``, ``seg_map_suffix``, ``return_classes``).

    Attributes:
        img_prefix: Joined before ``file_name``.
        seg_prefix: When set, ``seg_map_path`` is ``seg_prefix/<file_name without extension><seg_map_suffix>``.
        seg_map_suffix: See above.
        text: When set (``return_classes=True``), records carry ``text``, ``caption_prompt`` and
            ``custom_entities``.
        caption_prompt: See above.
        with_masks: Every instance gets a ``mask`` (some annotation of the file has a segmentation).
    """
    img_prefix: str
    seg_prefix: str | None = None
    seg_map_suffix: str = '.png'
    text: tuple | None = None
    caption_prompt: Any = None
    with_masks: bool = False


class ImageRecords(Sequence):
    """Per-image records of some rows of a :class:`CocoColumns`, built on access.

    Args:
        columns: The checked content.
        labels: Per annotation (grouped order), its label, or -1 to leave it out (not one of the classes).
        fmt: How a record is made.
        rows: The image rows, in dataset order. Defaults to every image, in file order.
    """

    def __init__(self, columns: CocoColumns, labels: np.ndarray, fmt: RecordFormat,
                 rows: np.ndarray | None = None) -> None:
        self.columns, self.labels, self.fmt = columns, labels, fmt
        self.rows = np.arange(len(columns), dtype=np.int64) if rows is None else np.asarray(rows, np.int64)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return self.take(np.arange(len(self.rows))[index])
        return self.record(int(self.rows[index]))

    def take(self, positions: Sequence[int] | np.ndarray) -> ImageRecords:
        """The records at these positions (of this sequence), as a new sequence over the same columns."""
        return ImageRecords(self.columns, self.labels, self.fmt, self.rows[np.asarray(positions, np.int64)])

    def __deepcopy__(self, memo: dict) -> ImageRecords:
        return ImageRecords(self.columns, self.labels, self.fmt, self.rows.copy())  # the columns are read-only

    def record(self, row: int) -> dict:
        """Image ``row``'s dict, as mmdet's ``CocoDataset.parse_data_info`` makes it."""
        columns, fmt = self.columns, self.fmt
        file_name = columns.file_name(row)
        record = dict(img_path=osp.join(fmt.img_prefix, file_name), img_id=columns.ids[row], seg_map_path=None,
                      height=int(columns.heights[row]), width=int(columns.widths[row]))
        if fmt.seg_prefix:
            record['seg_map_path'] = osp.join(fmt.seg_prefix, file_name.rsplit('.', 1)[0] + fmt.seg_map_suffix)
        if fmt.text is not None:
            record.update(text=fmt.text, caption_prompt=fmt.caption_prompt, custom_entities=True)
        record['instances'] = columns.instances(row, self.labels, fmt.with_masks)
        return record

    def labels_of(self, index: int) -> list[int]:
        """The labels of item ``index``'s instances (``get_cat_ids``), without building the record."""
        row = int(self.rows[index])
        found = self.labels[self.columns.ann_start[row]:self.columns.ann_start[row + 1]]
        return found[found >= 0].tolist()

    def num_instances(self) -> np.ndarray:
        """Per item, how many instances it has."""
        return self.columns.num_instances(self.labels)[self.rows]

    def sizes(self) -> tuple[np.ndarray, np.ndarray]:
        """Per item, its width and height."""
        return self.columns.widths[self.rows], self.columns.heights[self.rows]
