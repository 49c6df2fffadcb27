"""Registering mmext's modules into mmdet's own registries, refusing silent overrides.

mmengine's ``Registry.register_module`` only refuses a name already in the *same* registry; a name that exists
in a parent (mmengine's root registries) or that mmdet registers lazily later would be shadowed without a word.
:func:`register` looks at the whole chain after mmdet has registered its own modules, and raises
:class:`~mmext.errors.RegistrationError` on a clash.
"""
from __future__ import annotations

from typing import Callable, TypeVar

from mmengine.registry import Registry

from mmext.errors import RegistrationError

T = TypeVar('T', bound=type)


def _qualname(obj: object) -> str:
    return f'{obj.__module__}.{getattr(obj, "__qualname__", obj)}'


def find_registered(registry: Registry, name: str) -> object | None:
    """Return the object registered as ``name`` in ``registry`` or any of its parents, or None.

    The registry's lazy ``locations`` (for mmdet: ``mmdet.models`` and so on) are imported first, so that a
    clash with a module mmdet registers on first use is seen now.
    """
    current: Registry | None = registry
    while current is not None:
        current.import_from_location()
        if name in current.module_dict:
            return current.module_dict[name]
        current = current.parent
    return None


def register(registry: Registry, name: str | None = None) -> Callable[[T], T]:
    """Class decorator: register a class into ``registry``, raising if the name is already taken.

    Registering the very same class again (a module imported twice, e.g. under ``importlib.reload``) is a
    no-op, not a clash.

    Args:
        registry: The target registry, e.g. ``mmdet.registry.MODELS``.
        name: The registered name. Defaults to the class name.

    Raises:
        RegistrationError: Another object is already registered under ``name``.

    Example:
        >>> from mmdet.registry import MODELS
        >>> @register(MODELS)
        ... class MyNeck(torch.nn.Module): ...
    """

    def decorator(cls: T) -> T:
        key = name or cls.__name__
        existing = find_registered(registry, key)
        if existing is not None:
            if _qualname(existing) == _qualname(cls):
                registry.register_module(name=key, module=cls, force=True)
                return cls
            raise RegistrationError(
                f"cannot register {_qualname(cls)} as '{key}' in the '{registry.name}' registry "
                f"(scope '{registry.scope}'): that name is already taken by {_qualname(existing)}. "
                'Give the new module another name; mmext never overrides an existing module silently.')
        registry.register_module(name=key, module=cls)
        return cls

    return decorator
