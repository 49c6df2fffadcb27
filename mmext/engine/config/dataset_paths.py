"""Checking that the files a config names (annotation files, image folders) exist, before anything is built."""
from __future__ import annotations

import os
import os.path as osp
from typing import Any

from mmext.datasets.paths import REMOTE_PREFIXES, dataset_leaves, leaf_files
from mmext.errors import ConfigError


def check_dataset_paths(dataset_cfg: Any, where: str) -> None:
    """Raise a readable error when a dataset's annotation file or image folder does not exist.

    Args:
        dataset_cfg: A dataset config (wrappers are looked through).
        where: Where it sits in the config, e.g. ``'train_dataloader.dataset'``, for the message.

    Raises:
        ConfigError: A path does not exist.
    """
    for leaf in dataset_leaves(dataset_cfg):
        root = leaf.get('data_root') or ''
        ann_file, img_dir = leaf_files(leaf)
        if ann_file and not ann_file.startswith(REMOTE_PREFIXES) and not osp.isfile(ann_file):
            raise ConfigError(f"{where}.ann_file: annotation file '{ann_file}' does not exist "
                              f"(data_root='{root}', ann_file='{leaf.get('ann_file')}'). {_data_hint(ann_file)}")
        if img_dir is not None and not img_dir.startswith(REMOTE_PREFIXES) and not osp.isdir(img_dir):
            raise ConfigError(f"{where}.data_prefix.img: image folder '{img_dir}' does not exist "
                              f"(data_root='{root}'). {_data_hint(img_dir)}")


def check_evaluator_paths(evaluator_cfg: Any, where: str) -> None:
    """Raise a readable error when a metric's ``ann_file`` does not exist.

    Args:
        evaluator_cfg: An evaluator config: one metric, a list of metrics, or a dict with ``metrics``.
        where: Where it sits in the config, e.g. ``'val_evaluator'``, for the message.
    """
    if isinstance(evaluator_cfg, dict) and 'metrics' in evaluator_cfg:
        evaluator_cfg = evaluator_cfg['metrics']
    metrics = evaluator_cfg if isinstance(evaluator_cfg, (list, tuple)) else [evaluator_cfg]
    for metric in metrics:
        if isinstance(metric, dict) and metric.get('ann_file') and not osp.isfile(metric['ann_file']):
            raise ConfigError(f"{where}.ann_file: annotation file '{metric['ann_file']}' does not exist. "
                              f"{_data_hint(metric['ann_file'])}")


def _data_hint(path: str) -> str:
    if 'data/demo' in path.replace(os.sep, '/'):
        return 'Create the demo data first: python tools/make_demo_data.py --out-dir data/demo'
    return 'Fix the path in the config or pass --cfg-options with the right one.'
