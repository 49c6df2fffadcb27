"""Where a dataset config's files are: its innermost datasets, and their paths joined to ``data_root``."""
from __future__ import annotations

import os.path as osp
from typing import Any, Iterator

REMOTE_PREFIXES = ('http://', 'https://', 's3://')


def join_root(root: str | None, path: str | None) -> str | None:
    """``path`` under ``root`` as mmengine's ``BaseDataset`` joins a ``data_prefix`` entry: an absolute path or
    a URL stays as it is, and so does any path when there is no root.

    Args:
        root: The dataset's ``data_root`` (may be empty or None).
        path: A ``data_prefix`` entry or a non-empty ``ann_file`` (None stays None).

    Returns:
        The joined path, or ``path`` itself.
    """
    if path is None or not root or osp.isabs(path) or path.startswith(REMOTE_PREFIXES):
        return path
    return osp.join(root, path)


def dataset_leaves(dataset_cfg: Any) -> Iterator[dict]:
    """The innermost dataset configs of a (possibly wrapped: Repeat/Concat/ClassBalanced) dataset config."""
    if not isinstance(dataset_cfg, dict):
        return
    if 'datasets' in dataset_cfg:
        for inner in dataset_cfg['datasets']:
            yield from dataset_leaves(inner)
    elif 'dataset' in dataset_cfg:
        yield from dataset_leaves(dataset_cfg['dataset'])
    else:
        yield dataset_cfg


def leaf_files(leaf: dict) -> tuple[str | None, str | None]:
    """The annotation file and the image folder of one dataset config, joined to its ``data_root`` (an empty
    ``ann_file`` stays empty, as mmengine leaves it)."""
    root = leaf.get('data_root') or ''
    ann = leaf.get('ann_file')
    prefix = leaf.get('data_prefix') or {}
    img = prefix.get('img') if isinstance(prefix, dict) else None
    return (join_root(root, ann) if ann else ann), join_root(root, img)
