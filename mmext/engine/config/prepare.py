"""Loading a config and completing it before the Runner is built, with errors a user can act on."""
from __future__ import annotations

import difflib
import importlib
import os
import os.path as osp
import re
from typing import TYPE_CHECKING

from mmengine.config import Config, ConfigDict, DictAction  # noqa: F401  (DictAction re-exported for tools)
from mmengine.logging import print_log

from mmext.engine.config.schedule_length import follow_max_epochs
from mmext.errors import ConfigError

if TYPE_CHECKING:
    from mmext.engine.config.num_classes import AnnotationReads


def load_config(path: str, cfg_options: dict | None = None) -> Config:
    """Read a config file (with its ``_base_`` chain) and apply ``--cfg-options``.

    Args:
        path: The config file.
        cfg_options: ``key=value`` overrides, as parsed by mmengine's ``DictAction``.

    Returns:
        The config. When the overrides change ``train_cfg.max_epochs``, the epoch-based learning-rate schedulers
        that ended at the old value end at the new one (see :mod:`mmext.engine.config.schedule_length`).

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


def prepare_config(cfg: Config, reads: AnnotationReads | None = None) -> Config:
    """Complete a config before the Runner is built; the one place where mmext adjusts configs.

    Called by ``MMExtRunner.from_cfg``, so every entry point (mmext's tools, mmdet's ``tools/train.py`` with
    ``runner_type='MMExtRunner'``) gets the same result. Safe to call more than once. mmengine's plain Runner
    (mmdet's tools without ``runner_type``) gets only ``num_classes='auto'`` filled (see
    :func:`mmext.engine.config.num_classes.fill_for_runner`).

    Plugins take part here: ``mmext_adjust_config`` changes the config, then the hook configs that
    ``mmext_add_hooks`` returns are appended to ``custom_hooks`` (see :mod:`mmext.plugins.hookspecs`).
    Last, ``num_classes='auto'`` is filled from the training dataset (see :mod:`mmext.engine.config.num_classes`).

    Args:
        cfg: The loaded config; changed in place.
        reads: Where to keep the annotation files read for ``num_classes='auto'``, for the datasets built next
            (``MMExtRunner`` hands them over). Defaults to None (not kept).

    Returns:
        The same config.

    Raises:
        ConfigError: ``num_classes`` cannot be filled or disagrees with the dataset.
    """
    from mmext.engine.config.num_classes import fill_num_classes  # imports mmdet's registries: not at module load
    from mmext.plugins.manager import PLUGINS
    PLUGINS.adjust_config(cfg)
    fill_num_classes(cfg, reads)  # after the plugins: they may change the dataset or the model
    return cfg


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
