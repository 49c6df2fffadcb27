"""Registering into mmdet's own registries: refusing silent overrides, and waiting for the first lookup.

**Clashes.** mmengine's ``Registry.register_module`` only refuses a name already in the *same* registry; a name
that exists in a parent (mmengine's root registries) or that mmdet registers lazily later would be shadowed
without a word. :func:`register` looks at the whole chain after mmdet has registered its own modules, and
raises :class:`~mmext.errors.RegistrationError` on a clash.

**When.** mmdet's registries import mmdet's modules (their ``locations``) on their first lookup (``get``,
``build``, ``in``), not at ``import mmdet``. mmext does the same, so that ``import mmext`` stays cheap:

- :data:`MANIFEST` names every module mmext registers, where. ``import mmext`` hands it to
  :func:`register_lazily`: each registry imports mmext's modules for it right after its own locations, at its
  first lookup (for mmengine's root RUNNERS: at the first lookup of it or of a registry below it, such as
  mmdet's RUNNERS).
- :func:`register` on a registry that has not looked anything up yet (a plugin at ``import mmext``) keeps the
  class aside and registers it at that first lookup. Names already known (registered, kept aside, or in the
  manifest) are checked at once; the check against mmdet's lazily imported names runs at the first lookup,
  before the registry returns anything, and raises there. ``python tools/list_modules.py --check`` makes every
  registry look up, so it finds every clash.

The moment comes from :mod:`mmext.compat.lazy_registry` (mmengine 0.10); with another mmengine version, mmext
registers everything at ``import mmext`` as before.
"""
from __future__ import annotations

import importlib
from contextlib import contextmanager
from typing import Callable, Iterator, TypeVar

from mmengine.registry import Registry

from mmext.compat import lazy_registry
from mmext.errors import RegistrationError

T = TypeVar('T', bound=type)

# What mmext registers where: '<module>.<registry>' -> {name: '<module>.<class>'}. tests/test_registry.py
# checks it against what the modules really register.
MANIFEST: dict[str, dict[str, str]] = {
    'mmdet.registry.DATASETS': {'CustomCocoDataset': 'mmext.datasets.custom_coco.CustomCocoDataset'},
    'mmdet.registry.HOOKS': {name: f'mmext.hooks.{module}.{name}' for module, name in [
        ('atomic_checkpoint_hook', 'AtomicCheckpointHook'), ('classwise_metrics_hook', 'ClasswiseMetricsHook'),
        ('freeze_schedule_hook', 'FreezeScheduleHook'), ('nonfinite_loss_guard_hook', 'NonFiniteLossGuardHook'),
        ('param_group_summary_hook', 'ParamGroupSummaryHook'), ('prediction_grid_hook', 'PredictionGridHook'),
        ('preemption_hook', 'PreemptionHook'), ('run_params_hook', 'RunParamsHook'),
        ('save_predictions_hook', 'SavePredictionsHook')]} | {
        'OptunaTrialHook': 'mmext.sweep.trial_hook.OptunaTrialHook'},
    'mmdet.registry.LOOPS': {'ExactEpochBasedTrainLoop': 'mmext.engine.resume.loops.ExactEpochBasedTrainLoop',
                             'ExactIterBasedTrainLoop': 'mmext.engine.resume.loops.ExactIterBasedTrainLoop'},
    'mmdet.registry.METRICS': {'FastCocoMetric': 'mmext.evaluation.coco_metric.FastCocoMetric'},
    'mmdet.registry.MODELS': {'BiFPN': 'mmext.models.necks.bifpn.BiFPN'},
    'mmdet.registry.OPTIM_WRAPPERS': {name: f'mmext.optim.nonfinite_guard_optim_wrapper.{name}' for name in (
        'NonFiniteGuardOptimWrapper', 'NonFiniteGuardAmpOptimWrapper')},
    'mmdet.registry.OPTIM_WRAPPER_CONSTRUCTORS': {
        'LayerDecayOptimWrapperConstructor': 'mmext.optim.layer_decay_constructor.LayerDecayOptimWrapperConstructor',
        'RuleBasedOptimWrapperConstructor': 'mmext.optim.rule_constructor.RuleBasedOptimWrapperConstructor'},
    'mmengine.registry.RUNNERS': {'MMExtRunner': 'mmext.engine.runner.MMExtRunner'},
}

# Kept aside until the registry's first lookup: ('import', module) or ('register', name, class, note), in order.
_PENDING: dict[Registry, list[tuple]] = {}
_NOTES: list[str] = []  # what registering_for() adds to the clash error of the classes kept aside in it
# name -> '<module>.<class>' announced by register_lazily and not yet imported, per registry.
_ANNOUNCED: dict[Registry, dict[str, str]] = {}
_FLUSHING: set[Registry] = set()
# Clashes found at a first lookup (each also raised there); tools/list_modules.py --check reports them.
CLASHES: list[str] = []


def _qualname(obj: object) -> str:
    return f'{obj.__module__}.{getattr(obj, "__qualname__", obj)}'


def resolve(path: str) -> Registry:
    """The registry named ``'<module>.<attribute>'``, e.g. ``'mmdet.registry.MODELS'``."""
    module, _, attr = path.rpartition('.')
    return getattr(importlib.import_module(module), attr)


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


def _known(registry: Registry, name: str) -> str | None:
    """Who holds ``name`` in ``registry`` or a parent without importing anything: registered, kept aside or
    announced; as ``'<module>.<class>'``, or None."""
    current: Registry | None = registry
    while current is not None:
        if name in current.module_dict:
            return _qualname(current.module_dict[name])
        for entry in _PENDING.get(current, ()):
            if entry[0] == 'register' and entry[1] == name:
                return _qualname(entry[2])
        if name in _ANNOUNCED.get(current, {}):
            return _ANNOUNCED[current][name]
        current = current.parent
    return None


def _clash(registry: Registry, name: str, cls: type, taken: str, note: str = '') -> RegistrationError:
    return RegistrationError(
        f"cannot register {_qualname(cls)} as '{name}' in the '{registry.name}' registry "
        f"(scope '{registry.scope}'): that name is already taken by {taken}. "
        'Give the new module another name; mmext never overrides an existing module silently.'
        + (f' {note}' if note else ''))


def _register_now(registry: Registry, name: str, cls: type, note: str = '') -> None:
    existing = find_registered(registry, name)
    if existing is not None and _qualname(existing) != _qualname(cls):
        raise _clash(registry, name, cls, _qualname(existing), note)
    # The very same class again (a module imported twice, e.g. after a failed import mmext) is no clash.
    registry.register_module(name=name, module=cls, force=existing is not None)


def defers(registry: Registry) -> bool:
    """Whether :func:`register` keeps a class aside for ``registry`` (it has not looked anything up yet)."""
    return lazy_registry.installed() and not lazy_registry.located(registry)


def register(registry: Registry, name: str | None = None) -> Callable[[T], T]:
    """Class decorator: register a class into ``registry``, raising if the name is already taken.

    On a registry that has not looked anything up yet the class is registered at its first lookup (see the
    module docstring); a clash with a name known now raises now, one with mmdet's lazily imported modules at
    that lookup. Registering the very same class again (a module imported twice) is a no-op, not a clash.

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
        if not defers(registry):
            _register_now(registry, key, cls)
            return cls
        taken = _known(registry, key)
        if taken is not None and taken != _qualname(cls):
            raise _clash(registry, key, cls, taken)
        _PENDING.setdefault(registry, []).append(('register', key, cls, _NOTES[-1] if _NOTES else ''))
        return cls

    return decorator


@contextmanager
def registering_for(note: str) -> Iterator[None]:
    """Classes that :func:`register` keeps aside inside this block carry ``note`` into the error of a clash
    found at their registry's first lookup (the plugin manager says which plugin, and how to disable it)."""
    _NOTES.append(note)
    try:
        yield
    finally:
        _NOTES.pop()


def register_lazily(manifest: dict[str, dict[str, str]]) -> None:
    """Import the modules of ``manifest`` (``'<module>.<registry>' -> {name: '<module>.<class>'}``) when each
    registry first looks a name up; at once where it already has, or where lazy registration is unavailable.

    Their names count for the clash check of :func:`register` from now on.
    """
    if not lazy_registry.installed() and lazy_registry.supported():
        lazy_registry.install(_after_lookup)
    for path, names in manifest.items():
        registry = resolve(path)
        modules = list(dict.fromkeys(target.rpartition('.')[0] for target in names.values()))
        if not defers(registry):
            for module in modules:
                importlib.import_module(module)
            continue
        _ANNOUNCED.setdefault(registry, {}).update(names)
        _PENDING.setdefault(registry, []).extend(('import', module) for module in modules)


def pending(registry: Registry) -> list[tuple[str, type]]:
    """The classes kept aside for ``registry`` until its first lookup, as ``(name, class)``."""
    return [(entry[1], entry[2]) for entry in _PENDING.get(registry, ()) if entry[0] == 'register']


def forget(registry: Registry, name: str, cls: type) -> None:
    """Drop ``cls``, kept aside as ``name`` for ``registry`` (a plugin's registration taken back)."""
    if registry in _PENDING:
        _PENDING[registry][:] = [e for e in _PENDING[registry] if e[0] != 'register' or e[1:3] != (name, cls)]
        if not _PENDING[registry]:
            del _PENDING[registry]


def reset() -> None:
    """Forget everything kept aside and put mmengine's lookup back (after a failed ``import mmext``)."""
    _PENDING.clear()
    _ANNOUNCED.clear()
    lazy_registry.uninstall()


def _after_lookup(registry: Registry) -> None:
    """Run what was kept aside for ``registry`` and its parents, once it has imported its own locations."""
    if not _PENDING or registry in _FLUSHING or not lazy_registry.located(registry):
        return  # nothing waits, or this is a lookup from inside that registry's own import or flush
    if _PENDING.get(registry):
        _flush(registry)
    parent = registry.parent
    while parent is not None and not _PENDING.get(parent):
        parent = parent.parent
    if parent is not None:
        parent.import_from_location()  # its own locations first, then what waits for it, the same way


def _flush(registry: Registry) -> None:
    _FLUSHING.add(registry)
    entries, problems = _PENDING[registry], []
    try:
        while entries:
            entry = entries.pop(0)
            try:
                if entry[0] == 'import':
                    importlib.import_module(entry[1])  # its @register(...) decorators register it now
                else:
                    _register_now(registry, *entry[1:])
            except RegistrationError as err:
                problems.append(str(err))
    finally:
        _FLUSHING.discard(registry)
        if not _PENDING.get(registry):
            _PENDING.pop(registry, None)
            _ANNOUNCED.pop(registry, None)
    if problems:
        CLASHES.extend(problems)
        raise RegistrationError(' '.join(problems))
