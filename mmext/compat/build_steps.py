"""Callbacks before mmengine builds a runner from a whole config, or a model from its config (mmengine 0.10)."""
from __future__ import annotations

from typing import Any, Callable, Iterable

from mmengine.registry import Registry

from mmext.compat.post_import import when_imported
from mmext.compat.versions import mmengine_in

# mmengine versions whose Runner.from_cfg and Registry.build_func are as used here.
SUPPORTED_MMENGINE = ((0, 10), (0, 11))

_MARK = '__mmext_original__'


def supported(version: str | None = None) -> bool:
    """Whether this mmengine is one the callbacks know (otherwise none is installed)."""
    return mmengine_in(SUPPORTED_MMENGINE, version)


def before_runner_from_cfg(prepare: Callable[[Any], Any]) -> None:
    """Make mmengine's ``Runner.from_cfg`` (and a subclass's that calls it) build from ``prepare(cfg)``.

    mmext fills ``num_classes='auto'`` there, so that mmdet's own ``tools/train.py`` and ``tools/test.py`` need
    no ``runner_type``. Uses mmengine's ``Runner.from_cfg`` (a classmethod).

    Goes in when ``mmengine.runner.runner`` is imported (at once if it is); installing again replaces the
    callback.

    Args:
        prepare: Receives the config given to ``from_cfg`` and returns the one to build from.
    """
    if supported():
        when_imported('mmengine.runner.runner', lambda module: _wrap_from_cfg(module.Runner, prepare))


def _wrap_from_cfg(runner_cls: type, prepare: Callable[[Any], Any]) -> None:
    # Why a patch: without runner_type, mmdet's tools call Runner.from_cfg, and nothing of a plugin's sees the whole
    # config between Config.fromfile and the model build (no registry lookup, hook or subclass gets it).
    original = getattr(runner_cls.from_cfg.__func__, _MARK, runner_cls.__dict__['from_cfg'])

    def from_cfg(cls, cfg):
        return original.__func__(cls, prepare(cfg))

    setattr(from_cfg, _MARK, original)
    from_cfg.__doc__ = original.__func__.__doc__
    runner_cls.from_cfg = classmethod(from_cfg)


def before_build(registries: Iterable[Registry], check: Callable[[Any], None]) -> None:
    """Call ``check(cfg)`` before each of ``registries`` builds an object from ``cfg`` (``registry.build``).

    mmext stops an unfilled ``num_classes='auto'`` there with a readable error, before mmdet's heads fail on it.
    Uses mmengine's ``Registry.build_func`` (what ``Registry.build`` calls).

    Registries created later as children of one of them inherit the wrapped build function. Installing again
    replaces the check.

    Args:
        registries: E.g. mmengine's root ``MODELS`` and mmdet's ``MODELS``.
        check: Raises to refuse a config; its return value is ignored.
    """
    if not supported():
        return
    # Why a patch: init_detector and DetInferencer build from cfg.model alone; only the build itself sees it.
    for registry in registries:
        original = getattr(registry.build_func, _MARK, registry.build_func)

        def build(cfg, *args, _original=original, **kwargs):
            check(cfg)
            return _original(cfg, *args, **kwargs)

        setattr(build, _MARK, original)
        registry.build_func = build

