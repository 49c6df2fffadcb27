"""Run a function right after a module is imported, or at once if it already is: :func:`when_imported`.

Why: mmext's safe checkpoint loader goes into ``mmengine.runner.checkpoint``, and importing that module imports
mmengine's whole runner package (about 0.7 s). Every checkpoint load goes through that module, so installing the
loader the moment it is imported is as safe as installing it at ``import mmext``, and costs nothing in a process
that never loads a checkpoint. Uses Python's import system (a finder on ``sys.meta_path`` whose loader runs the
real loader, then the callbacks); nothing of mmengine is touched here.
"""
from __future__ import annotations

import importlib.abc
import sys
from types import ModuleType
from typing import Callable

Callback = Callable[[ModuleType], None]

_CALLBACKS: dict[str, list[Callback]] = {}


def when_imported(name: str, callback: Callback) -> None:
    """Call ``callback(module)`` once module ``name`` is imported: now if it is in ``sys.modules``, else right
    after its code has run (before the ``import`` statement that imported it returns).

    Args:
        name: The full module name, e.g. ``'mmengine.runner.checkpoint'``.
        callback: Receives the module.
    """
    module = sys.modules.get(name)
    if module is not None:
        callback(module)
        return
    _CALLBACKS.setdefault(name, []).append(callback)
    if _FINDER not in sys.meta_path:
        # A finder left by an earlier copy of this module (mmext imported again after a failed import) goes.
        sys.meta_path[:] = [f for f in sys.meta_path if not getattr(f, 'mmext_post_import', False)]
        sys.meta_path.insert(0, _FINDER)


class _PostImportFinder(importlib.abc.MetaPathFinder):
    """Finds nothing itself: for a watched name it asks the other finders and wraps the loader they found."""

    mmext_post_import = True

    def __init__(self) -> None:
        self._busy: set[str] = set()

    def find_spec(self, fullname: str, path=None, target=None):
        if fullname not in _CALLBACKS or fullname in self._busy:
            return None
        self._busy.add(fullname)
        try:
            for finder in sys.meta_path:
                find = getattr(finder, 'find_spec', None)
                spec = None if finder is self or find is None else find(fullname, path, target)
                if spec is not None:
                    break
        finally:
            self._busy.discard(fullname)
        if spec is None or spec.loader is None or not hasattr(spec.loader, 'exec_module'):
            return None
        spec.loader = _CallbackLoader(spec.loader)
        return spec


class _CallbackLoader(importlib.abc.Loader):
    """Runs the real loader, puts it back on the module (for ``inspect`` and friends), then the callbacks."""

    def __init__(self, loader) -> None:
        self._loader = loader

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        module.__loader__ = self._loader
        if module.__spec__ is not None:
            module.__spec__.loader = self._loader
        self._loader.exec_module(module)
        for callback in _CALLBACKS.pop(module.__name__, []):
            callback(module)
        if not _CALLBACKS and _FINDER in sys.meta_path:
            sys.meta_path.remove(_FINDER)


_FINDER = _PostImportFinder()
