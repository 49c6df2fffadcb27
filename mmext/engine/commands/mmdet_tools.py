"""Running mmdet's own tools (``train.py``, ``test.py``, ``misc/print_config.py``, ...) with mmext imported.

mmengine reads a config's ``_base_`` chain before it runs the config's ``custom_imports``, so a config whose
bases say ``'mmext::...'`` or ``'<plugin>::...'`` cannot be parsed by a process that has not imported mmext yet.
:func:`run_script` imports mmext (which loads the plugins) and then runs the script as ``__main__``.
"""
from __future__ import annotations

import os.path as osp
import runpy
import sys

from mmext.errors import ConfigError


def find_mmdet_tool(name: str) -> str:
    """A script path as given, else the tool of that name in mmdet's package (``<mmdet>/.mim/tools/<name>``).

    Raises:
        ConfigError: Neither exists.
    """
    if osp.isfile(name):
        return name
    import mmdet
    tools = osp.join(osp.dirname(mmdet.__file__), '.mim', 'tools')
    path = osp.join(tools, name)
    if not osp.isfile(path):
        raise ConfigError(f"no script '{name}', and mmdet has no tool {path} (e.g. train.py, test.py, "
                          'misc/print_config.py, analysis_tools/browse_dataset.py)')
    return path


def run_script(path: str, args: list[str]) -> None:
    """Import mmext, then run ``path`` as ``python path args...`` would."""
    import mmext  # noqa: F401  (registers modules, loads plugins, makes 'mmext::' bases resolve)
    sys.argv = [path, *args]
    sys.path[0] = osp.dirname(osp.abspath(path))
    runpy.run_path(path, run_name='__main__')
