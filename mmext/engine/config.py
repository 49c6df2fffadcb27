"""Loading a config and completing it before the Runner is built, with errors a user can act on."""
from __future__ import annotations

import difflib
import importlib
import os
import os.path as osp
import re
from typing import Any, Iterator

from mmengine.config import Config, ConfigDict, DictAction  # noqa: F401  (DictAction re-exported for tools)
from mmengine.logging import print_log

from mmext.engine.schedule_length import follow_max_epochs
from mmext.errors import ConfigError


def load_config(path: str, cfg_options: dict | None = None) -> Config:
    """Read a config file (with its ``_base_`` chain) and apply ``--cfg-options``.

    Args:
        path: The config file.
        cfg_options: ``key=value`` overrides, as parsed by mmengine's ``DictAction``.

    Returns:
        The config. When the overrides change ``train_cfg.max_epochs``, the epoch-based learning-rate schedulers
        that ended at the old value end at the new one (see :mod:`mmext.engine.schedule_length`).

    Raises:
        ConfigError: The file, or one of its ``_base_`` files, is missing or cannot be parsed.
    """
    if not osp.isfile(path):
        near = _similar_files(path)
        hint = f' Did you mean: {", ".join(near)}?' if near else ''
        raise ConfigError(f'config file {path} does not exist.{hint}')
    try:
        cfg = Config.fromfile(path)
    except SyntaxError as err:
        raise ConfigError(f'config {err.filename or path}, line {err.lineno}: {err.msg}') from None
    except (FileNotFoundError, ModuleNotFoundError, ValueError, AssertionError) as err:
        raise ConfigError(f'config {path} cannot be loaded: {err}') from None
    if cfg_options:
        old_max_epochs = (cfg.get('train_cfg') or {}).get('max_epochs')
        cfg.merge_from_dict(cfg_options)
        for note in follow_max_epochs(cfg, old_max_epochs, cfg_options):
            print_log(note, logger='current')
    return cfg


def _similar_files(path: str) -> list[str]:
    folder = osp.dirname(path) or '.'
    if not osp.isdir(folder):
        return []
    names = [n for n in os.listdir(folder) if n.endswith('.py')]
    return [osp.join(folder, n) for n in difflib.get_close_matches(osp.basename(path), names, n=3)]


def prepare_config(cfg: Config) -> Config:
    """Complete a config before the Runner is built; the one place where mmext adjusts configs.

    Called by ``MMExtRunner.from_cfg``, so every entry point (mmext's tools, mmdet's ``tools/train.py`` with
    ``runner_type='MMExtRunner'``) gets the same result. Safe to call more than once.

    Plugins take part here: ``mmext_adjust_config`` changes the config, then the hook configs that
    ``mmext_add_hooks`` returns are appended to ``custom_hooks`` (see :mod:`mmext.plugins.hookspecs`).
    Last, ``num_classes='auto'`` is filled from the training dataset (see :mod:`mmext.engine.num_classes`).

    Args:
        cfg: The loaded config; changed in place.

    Returns:
        The same config.

    Raises:
        ConfigError: ``num_classes`` cannot be filled or disagrees with the dataset.
    """
    from mmext.engine.num_classes import fill_num_classes  # imports mmdet's registries: not at module load
    from mmext.plugins.manager import PLUGINS
    PLUGINS.adjust_config(cfg)
    fill_num_classes(cfg)  # after the plugins: they may change the dataset or the model
    return cfg


# --- dataset paths -------------------------------------------------------------------------------------------

def _dataset_leaves(dataset_cfg: Any) -> Iterator[dict]:
    """The innermost dataset configs of a (possibly wrapped: Repeat/Concat/ClassBalanced) dataset config."""
    if not isinstance(dataset_cfg, dict):
        return
    if 'datasets' in dataset_cfg:
        for inner in dataset_cfg['datasets']:
            yield from _dataset_leaves(inner)
    elif 'dataset' in dataset_cfg:
        yield from _dataset_leaves(dataset_cfg['dataset'])
    else:
        yield dataset_cfg


def check_dataset_paths(dataset_cfg: Any, where: str) -> None:
    """Raise a readable error when a dataset's annotation file or image folder does not exist.

    Args:
        dataset_cfg: A dataset config (wrappers are looked through).
        where: Where it sits in the config, e.g. ``'train_dataloader.dataset'``, for the message.

    Raises:
        ConfigError: A path does not exist.
    """
    for leaf in _dataset_leaves(dataset_cfg):
        root = leaf.get('data_root') or ''
        ann = leaf.get('ann_file')
        if ann and not ann.startswith(('http://', 'https://', 's3://')):
            full = ann if osp.isabs(ann) else osp.join(root, ann)
            if not osp.isfile(full):
                raise ConfigError(f"{where}.ann_file: annotation file '{full}' does not exist "
                                  f"(data_root='{root}', ann_file='{ann}'). {_data_hint(full)}")
        prefix = leaf.get('data_prefix') or {}
        img = prefix.get('img') if isinstance(prefix, dict) else None
        if img is not None:
            full = img if osp.isabs(img) else osp.join(root, img)
            if not osp.isdir(full):
                raise ConfigError(f"{where}.data_prefix.img: image folder '{full}' does not exist "
                                  f"(data_root='{root}'). {_data_hint(full)}")


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


# --- unregistered types --------------------------------------------------------------------------------------

_NOT_REGISTERED = re.compile(r"'?([\w.]+) is not in the (\w+)::(\w+) registry")


def explain_build_error(err: KeyError) -> ConfigError | None:
    """Turn mmengine's "X is not in the scope::name registry" KeyError into a :class:`ConfigError`.

    Args:
        err: The KeyError raised while building from a config.

    Returns:
        The readable error, or None when ``err`` is some other KeyError.
    """
    match = _NOT_REGISTERED.search(str(err))
    if not match:
        return None
    name, scope, registry_name = match.groups()
    known = _registered_names(scope, registry_name)
    near = difflib.get_close_matches(name, known, n=5, cutoff=0.5)
    hint = f' Close names: {", ".join(near)}.' if near else ''
    return ConfigError(
        f"type='{name}' is not registered in {scope}'s '{registry_name}' registry.{hint} If it comes from "
        "another package, import it in the config: custom_imports = dict(imports=['your_package'], "
        'allow_failed_imports=False).')


def _registered_names(scope: str, registry_name: str) -> list[str]:
    from mmengine.registry import Registry
    try:
        registries = importlib.import_module(f'{scope}.registry')
    except ImportError:
        return []
    names: set[str] = set()
    for value in vars(registries).values():
        if isinstance(value, Registry) and value.name == registry_name:
            current = value
            while current is not None:
                current.import_from_location()
                names.update(current.module_dict)
                current = current.parent
    return sorted(names)
