"""``_base_ = 'mmext::<path>'`` and ``'<plugin>::<path>'`` in configs, without editing mmengine on disk.

Why a patch: mmengine 0.10 resolves ``pkg::path`` only for the packages in its hard-coded
``mmengine.config.utils.MODULE2PACKAGE``, and finds them with ``pkg_resources`` under
``<site-packages>/<package>/.mim/configs``; for an editable install (``pip install -e .``) that folder does not
exist, so adding ``mmext`` to the table is not enough. The patch wraps ``Config._get_cfg_path`` (the one place
that turns a ``_base_`` entry into a file) and answers only for the names in :data:`CONFIG_FOLDERS`; every other
name, ``mmdet::`` included, goes to mmengine unchanged.

A base from a registered folder behaves exactly like the same file given by a relative path (no ``_scope_`` is
added): mmext and its plugins register into mmdet's registries, so ``default_scope='mmdet'`` finds their modules.

Only a config parsed after ``import mmext`` sees these folders: mmengine reads a config's ``_base_`` chain before
it runs the config's ``custom_imports`` (see README, "Config folders").
"""
from __future__ import annotations

import difflib
import os
import os.path as osp
import warnings
from typing import Callable

from mmext.compat.versions import mmengine_in
from mmext.errors import ConfigError

# mmengine versions whose ``Config._get_cfg_path(cfg_path, filename) -> (path, scope)`` this wraps.
SUPPORTED_MMENGINE = ((0, 10), (0, 11))

# mmext's own configs: the package's .mim/configs (a link to the repository's configs/ in a checkout).
MMEXT_CONFIGS = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), '.mim', 'configs')

# name -> absolute folder; ``'<name>::a/b.py'`` is ``<folder>/a/b.py``. Filled by mmext and by plugins.
CONFIG_FOLDERS: dict[str, str] = {}


def add_config_folder(name: str, folder: str) -> None:
    """Make ``'<name>::<path>'`` resolve to ``<folder>/<path>`` in ``_base_``.

    Args:
        name: The prefix, e.g. ``'mmext'`` or a plugin's name.
        folder: An existing folder of configs.

    Raises:
        ConfigError: ``folder`` is not a folder, or ``name`` is already taken by another folder or by one of
            mmengine's own packages (``mmdet``, ``mmpretrain``, ...).
    """
    from mmengine.config.utils import MODULE2PACKAGE
    folder = osp.realpath(folder)
    if not osp.isdir(folder):
        raise ConfigError(f"config folder '{folder}' for '{name}::' does not exist")
    if name in MODULE2PACKAGE:
        raise ConfigError(f"'{name}::' already means the configs of the '{MODULE2PACKAGE[name]}' package; "
                          'choose another name for the config folder')
    if CONFIG_FOLDERS.get(name, folder) != folder:
        raise ConfigError(f"'{name}::' already resolves to {CONFIG_FOLDERS[name]}; cannot also point it at "
                          f'{folder}')
    CONFIG_FOLDERS[name] = folder


def resolve_base(cfg_path: str, filename: str) -> str | None:
    """The file a ``_base_`` entry names when its prefix is one of :data:`CONFIG_FOLDERS`, else None.

    Args:
        cfg_path: The ``_base_`` entry, e.g. ``'mmext::_base_/default_runtime.py'``.
        filename: The config that holds it (for the error message).

    Raises:
        ConfigError: The prefix is neither ours nor mmengine's, or the file is not in the folder.
    """
    name, sep, rel = cfg_path.partition('::')
    if not sep:
        return None
    if name not in CONFIG_FOLDERS:
        from mmengine.config.utils import MODULE2PACKAGE
        if name in MODULE2PACKAGE:
            return None
        known = ', '.join(sorted(CONFIG_FOLDERS) + ['mmdet (and the other OpenMMLab packages)'])
        raise ConfigError(
            f"{filename}: _base_ '{cfg_path}': no config folder is called '{name}::' (known: {known}). If "
            f"'{name}' is a plugin, check that it is installed and not disabled (MMEXT_DISABLE_PLUGINS, "
            'MMEXT_PLUGINS, MMEXT_DISABLE_PLUGIN_AUTOLOAD); python tools/list_modules.py lists the loaded ones.')
    path = osp.join(CONFIG_FOLDERS[name], rel)
    if not osp.isfile(path):
        raise ConfigError(f"{filename}: _base_ '{cfg_path}': no file {path}.{_close_files(path)}")
    return path


def _close_files(path: str) -> str:
    folder = osp.dirname(path)
    if not osp.isdir(folder):
        return f' (no folder {folder})'
    near = difflib.get_close_matches(osp.basename(path), os.listdir(folder), n=3)
    return f' Did you mean: {", ".join(near)}?' if near else ''


def mmengine_supported(version: str | None = None) -> bool:
    """Whether this mmengine's ``Config._get_cfg_path`` is one the patch knows."""
    from mmengine.config import Config
    return mmengine_in(SUPPORTED_MMENGINE, version) and callable(getattr(Config, '_get_cfg_path', None))


def install_config_folders() -> bool:
    """Wrap ``Config._get_cfg_path`` (once; again is harmless) so that :data:`CONFIG_FOLDERS` names resolve (see module docstring).

    Returns:
        True when installed (or already installed); False, with a warning, on an mmengine version the patch
        does not know, where ``'<name>::'`` bases other than mmengine's own keep failing as before.
    """
    from mmengine.config import Config
    if not mmengine_supported():
        import mmengine
        warnings.warn(f"mmext: '<name>::' config bases for mmext and its plugins are not available with "
                      f'mmengine {mmengine.__version__} (known: 0.10.x); use relative _base_ paths.')
        return False
    # Wrap mmengine's own function, also when an earlier copy of this module wrapped it (mmext imported again
    # after a failed import): the wrapper must read this module's CONFIG_FOLDERS.
    original = Config._get_cfg_path
    Config._get_cfg_path = staticmethod(_wrap(getattr(original, '__mmext_wrapped__', original)))
    return True


def _wrap(original: Callable) -> Callable:
    def _get_cfg_path(cfg_path: str, filename: str):
        path = resolve_base(cfg_path, filename)
        return original(cfg_path, filename) if path is None else (path, None)

    _get_cfg_path.__mmext_wrapped__ = original  # type: ignore[attr-defined]
    _get_cfg_path.__doc__ = original.__doc__
    return _get_cfg_path
