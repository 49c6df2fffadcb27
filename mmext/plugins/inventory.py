"""What is registered where: registry snapshots (to see what one plugin added, and take it back) and the
listing behind ``tools/list_modules.py``.

A registry that has not looked anything up yet keeps registrations aside until it does
(:mod:`mmext.registry`); snapshots count those as registered.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from mmengine.registry import Registry

from mmext import registry as mmext_registry
from mmext.errors import RegistrationError

# Modules these packages register when a registry imports its lazy ``locations`` (mmext's too, see
# mmext.registry); never a plugin's doing.
_LAZY_OWNERS = ('mmdet', 'mmengine', 'mmcv', 'mmext')


@dataclass(frozen=True)
class Registration:
    """One name in one registry, and who put it there."""
    registry: str  # '<scope>.<registry name>', e.g. 'mmdet.model'
    name: str
    target: str  # 'module.QualName' of the registered object
    source: str  # 'mmext' or the plugin's name


def all_registries() -> list[Registry]:
    """mmdet's registries and mmengine's root registries (their parents), each once."""
    import mmdet.registry
    import mmengine.registry
    seen: dict[int, Registry] = {}
    for module in (mmdet.registry, mmengine.registry):
        for value in vars(module).values():
            if isinstance(value, Registry):
                seen.setdefault(id(value), value)
    return list(seen.values())


def registry_label(registry: Registry) -> str:
    return f'{registry.scope}.{registry.name}'


def qualname(obj: object) -> str:
    return f'{getattr(obj, "__module__", "?")}.{getattr(obj, "__qualname__", obj)}'


class RegistrySnapshot:
    """The content of every registry at one moment; :meth:`changes` and :meth:`restore` compare with now."""

    def __init__(self) -> None:
        self._before = [(registry, dict(registry.module_dict)) for registry in all_registries()]
        self._pending = {registry: list(mmext_registry.pending(registry)) for registry, _ in self._before}

    def changes(self) -> list[tuple[Registry, str, object]]:
        """Names added or replaced since the snapshot (registered or kept aside until the registry's first
        lookup), apart from the modules mmdet, mmengine and mmext import lazily."""
        changed = []
        for registry, before in self._before:
            changed += [(registry, name, obj) for name, obj in mmext_registry.pending(registry)
                        if (name, obj) not in self._pending[registry]]
            if registry.module_dict == before:  # the usual case, compared in C: nothing to look at
                continue
            for name, obj in registry.module_dict.items():
                if before.get(name) is obj:
                    continue
                if name not in before and getattr(obj, '__module__', '').split('.')[0] in _LAZY_OWNERS:
                    continue
                changed.append((registry, name, obj))
        return changed

    def clashes(self, changes: list[tuple[Registry, str, object]] | None = None) -> list[str]:
        """Each change (default: :meth:`changes`) that replaced an existing name or hides a name of a parent
        registry, described."""
        problems = []
        for registry, name, obj in self.changes() if changes is None else changes:
            if (name, obj) in mmext_registry.pending(registry):
                continue  # checked by mmext.registry.register, and again at the registry's first lookup
            before = self._before_of(registry).get(name)
            hidden = before if before is not None else _find_in_parents(registry, name)
            if hidden is not None and hidden is not obj:
                problems.append(f"'{name}' in the '{registry_label(registry)}' registry ({qualname(obj)}) is "
                                f'already taken by {qualname(hidden)}')
        return problems

    def restore(self) -> None:
        """Take back every change (added names removed, replaced names put back)."""
        for registry, name, obj in self.changes():
            before = self._before_of(registry)
            if (name, obj) in mmext_registry.pending(registry):
                mmext_registry.forget(registry, name, obj)
            elif name in before:
                registry.module_dict[name] = before[name]
            else:
                registry.module_dict.pop(name, None)

    def _before_of(self, registry: Registry) -> dict:
        return next(before for reg, before in self._before if reg is registry)


def _find_in_parents(registry: Registry, name: str) -> object | None:
    from mmext.registry import find_registered
    return find_registered(registry.parent, name) if registry.parent is not None else None


def mmext_registrations() -> list[Registration]:
    """Every module of the ``mmext`` package registered in mmdet's or mmengine's registries."""
    rows = []
    for registry in all_registries():
        for name, obj in registry.module_dict.items():
            if getattr(obj, '__module__', '').split('.')[0] == 'mmext':
                rows.append(Registration(registry_label(registry), name, qualname(obj), 'mmext'))
    return rows


def find_clashes(rows: Iterable[Registration]) -> list[str]:
    """Names of ``rows`` that hide a module of a parent registry (mmengine's root registries) or that appear
    twice; run after every registry has imported its lazy locations, so mmdet's names are all there."""
    by_label = {registry_label(r): r for r in all_registries()}
    problems, seen = [], {}
    for row in rows:
        key = (row.registry, row.name)
        if key in seen and seen[key] != row.target:
            problems.append(f"'{row.name}' in '{row.registry}' is claimed by {seen[key]} and {row.target}")
        seen[key] = row.target
        registry = by_label.get(row.registry)
        hidden = _find_in_parents(registry, row.name) if registry is not None else None
        if hidden is not None and qualname(hidden) != row.target:
            problems.append(f"'{row.name}' in '{row.registry}' ({row.target}, from {row.source}) hides "
                            f'{qualname(hidden)} of a parent registry')
    return problems


def inventory(plugins) -> tuple[list[Registration], list[str]]:
    """Everything mmext and each loaded plugin registered, and the problems ``--check`` reports.

    Every registry first imports its lazy locations, so that a clash with any of mmdet's modules shows.

    Args:
        plugins: The :class:`~mmext.plugins.manager.Plugins` whose records to list.

    Returns:
        The registrations (mmext's, then each plugin's in load order) and the problems: name clashes and
        plugins skipped as broken (``MMEXT_PLUGIN_ERRORS=warn``).
    """
    for registry in all_registries():
        try:
            registry.import_from_location()
        except RegistrationError:
            pass  # recorded in mmext.registry.CLASHES, reported below
    rows = mmext_registrations() + [row for record in plugins.records.values() for row in record.registered]
    problems = list(dict.fromkeys(mmext_registry.CLASHES)) + find_clashes(rows)
    return rows, problems + [record.error for record in plugins.failed.values()]


def format_inventory(rows: list[Registration], plugins, mmext_version: str, mmext_path: str) -> str:
    """The listing printed by ``tools/list_modules.py``: one block per source, rows grouped by registry."""
    blocks = [(f'mmext {mmext_version} ({mmext_path})', 'mmext', None)]
    blocks += [(f'plugin {r.describe()}: {r.entry_point}', r.name, r.config_folder) for r in plugins.records.values()]
    lines = []
    for title, source, folder in blocks:
        lines.append(title)
        if folder:
            lines.append(f'  configs: {source}::<path> -> {folder}')
        mine = sorted((r for r in rows if r.source == source), key=lambda r: (r.registry, r.name))
        lines += [f'  {r.registry:<28} {r.name:<32} {r.target}' for r in mine]
        if not mine:
            lines.append('  (registers no module)')
    for record in plugins.failed.values():
        lines.append(f'skipped plugin {record.describe()}: {record.error}')
    if not plugins.records and not plugins.failed:
        lines.append('no plugins loaded (entry-point group mmext.plugins)')
    return '\n'.join(lines)
