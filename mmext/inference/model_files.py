"""Finding a trained model's config and checkpoint from a work dir, a config file or a checkpoint file."""
from __future__ import annotations

import glob
import os.path as osp
from dataclasses import dataclass

from mmext.errors import CheckpointError, ConfigError

POINTER_FILE = 'last_checkpoint'  # what mmengine's CheckpointHook (and mmext's atomic one) writes


@dataclass(frozen=True)
class ModelFiles:
    """Where a trained model's files are.

    Attributes:
        checkpoint: The checkpoint file.
        config: The config file given, or None: then the config mmengine dumped into ``search_dir`` is used (see
            :func:`work_dir_config`), else the one saved inside the checkpoint (``meta.cfg``).
        search_dir: The work dir to look for the dumped config in, if any.
    """
    checkpoint: str
    config: str | None = None
    search_dir: str | None = None


def latest_checkpoint(work_dir: str) -> str:
    """The checkpoint a work dir's ``last_checkpoint`` points at, else its newest ``*.pth``.

    A pointer written on another machine (or before the work dir was moved) names a path that may no longer
    exist; the file of the same name in ``work_dir`` is taken then.

    Raises:
        CheckpointError: The work dir holds no checkpoint.
    """
    pointer = osp.join(work_dir, POINTER_FILE)
    if osp.isfile(pointer):
        with open(pointer) as f:
            named = f.read().strip()
        for candidate in (named, osp.join(work_dir, osp.basename(named))):
            if named and osp.isfile(candidate):
                return candidate
    found = [p for p in glob.glob(osp.join(glob.escape(work_dir), '*.pth')) if not osp.basename(p).startswith('.')]
    if not found:
        raise CheckpointError(f'work dir {work_dir} holds no checkpoint (*.pth, or a {POINTER_FILE} file naming '
                              'one): train first, or pass the checkpoint file')
    return max(found, key=lambda p: (osp.getmtime(p), p))


def work_dir_config(work_dir: str, experiment_name: str | None = None) -> str | None:
    """The config mmengine dumped into a work dir (``<config name>.py``), or None when there is none or when
    several are there and none is the checkpoint's run.

    Args:
        work_dir: The work dir.
        experiment_name: The checkpoint's ``meta.experiment_name`` (``<config name>_<timestamp>``): picks the
            config of that run when the work dir holds several.
    """
    configs = sorted(glob.glob(osp.join(glob.escape(work_dir), '*.py')))
    if len(configs) <= 1:
        return configs[0] if configs else None
    mine = [p for p in configs if experiment_name
            and experiment_name.startswith(osp.splitext(osp.basename(p))[0] + '_')]
    return max(mine, key=len) if mine else None  # 'a_b.py' over 'a.py' for the run 'a_b_20261201_101010'


def resolve_model_files(config_or_work_dir: str, checkpoint: str | None = None) -> ModelFiles:
    """Where the config and checkpoint are, from what a user passes.

    Args:
        config_or_work_dir: A work dir (its latest checkpoint and dumped config), a config file (the checkpoint
            comes from ``checkpoint`` or from the config's folder when that is a work dir), or a checkpoint file
            (its config from the same folder or from inside the checkpoint).
        checkpoint: The checkpoint file, when not the work dir's latest.

    Returns:
        The files.

    Raises:
        ConfigError: The path does not exist.
        CheckpointError: The checkpoint does not exist, or none can be found.
    """
    path = config_or_work_dir
    if checkpoint is not None and not osp.isfile(checkpoint):
        raise CheckpointError(f'checkpoint {checkpoint} does not exist')
    if osp.isdir(path):
        return ModelFiles(checkpoint or latest_checkpoint(path), None, path)
    if not osp.isfile(path):
        raise ConfigError(f'{path} does not exist: pass a work dir (e.g. work_dirs/exp1), a config file or a '
                          'checkpoint file')
    if path.endswith('.py'):
        if checkpoint is None:
            folder = osp.dirname(path) or '.'
            if not glob.glob(osp.join(glob.escape(folder), '*.pth')):
                raise CheckpointError(f'no checkpoint given for config {path}, and its folder holds none: pass '
                                      'the checkpoint file after the config, or the work dir alone')
            checkpoint = latest_checkpoint(folder)
        return ModelFiles(checkpoint, path)
    if checkpoint is not None:
        raise ConfigError(f'{path} is not a config file (*.py) or a work dir, and a checkpoint was given as well')
    return ModelFiles(path, None, osp.dirname(path) or '.')
