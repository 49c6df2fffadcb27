"""A callback after a registry's first lookup: the hook behind mmext's lazy registration (mmengine 0.10).

Why a patch: mmengine imports a registry's ``locations`` (for mmdet's: ``mmdet.models``, ``mmdet.engine.hooks``,
...) only when the registry first looks a name up, in ``Registry.import_from_location``, which ``get`` (and so
``build`` and ``in``) calls every time. mmext's modules subclass exactly those heavy modules' classes, so
importing them at ``import mmext`` costs about 1.2 s. Wrapping ``import_from_location`` lets mmext register at
the same moment mmengine imports mmdet's modules, and after them, so that its clash check still sees every mmdet
name (see :mod:`mmext.registry`). mmengine's registry attributes used here: ``import_from_location``,
``_imported`` (set once a registry has imported its locations).

The wrapper is on the class, so it also covers registries created after ``import mmext`` (children of
mmengine's root registries look names up in their parents without calling the parents'
``import_from_location``; the callback walks up to them).
"""
from __future__ import annotations

from typing import Callable

from mmengine.registry import Registry

from mmext.compat.versions import mmengine_in

# mmengine versions whose Registry has ``import_from_location`` and ``_imported`` as used here.
SUPPORTED_MMENGINE = ((0, 10), (0, 11))

_MARK = '__mmext_wrapped__'


def supported(version: str | None = None) -> bool:
    """Whether this mmengine's ``Registry`` is one the wrapper knows (otherwise mmext registers eagerly)."""
    return mmengine_in(SUPPORTED_MMENGINE, version) and callable(getattr(Registry, 'import_from_location', None))


def installed() -> bool:
    """Whether :func:`install` has wrapped ``Registry.import_from_location``."""
    return hasattr(Registry.import_from_location, _MARK)


def located(registry: Registry) -> bool:
    """Whether ``registry`` has imported its ``locations`` (mmengine does it once, at the first lookup)."""
    return bool(getattr(registry, '_imported', True))


def install(after_lookup: Callable[[Registry], None]) -> None:
    """Call ``after_lookup(registry)`` after every ``registry.import_from_location()`` (once per lookup).

    Installing again (mmext imported again after a failed import) replaces the previous callback.

    Args:
        after_lookup: Called with the registry after mmengine's own ``import_from_location`` returned.
    """
    original = getattr(Registry.import_from_location, _MARK, Registry.import_from_location)

    def import_from_location(self: Registry) -> None:
        original(self)
        after_lookup(self)

    setattr(import_from_location, _MARK, original)
    import_from_location.__doc__ = original.__doc__
    Registry.import_from_location = import_from_location


def uninstall() -> None:
    """Put mmengine's own ``Registry.import_from_location`` back (after a failed ``import mmext``)."""
    original = getattr(Registry.import_from_location, _MARK, None)
    if original is not None:
        Registry.import_from_location = original
