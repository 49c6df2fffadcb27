"""What is registered where: registry snapshots (to see what one plugin added, and take it back) and the
listing behind ``tools/list_modules.py``."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from mmengine.registry import Registry

# Modules these packages register when a registry imports its lazy ``locations``; never a plugin's doing.
_LAZY_OWNERS = ('mmdet', 'mmengine', 'mmcv')


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

    def changes(self) -> list[tuple[Registry, str, object]]:
        """Names added or replaced since the snapshot, apart from mmdet's own lazily imported modules."""
        changed = []
        for registry, before in self._before:
            for name, obj in registry.module_dict.items():
                if before.get(name) is obj:
                    continue
                if name not in before and getattr(obj, '__module__', '').split('.')[0] in _LAZY_OWNERS:
                    continue
                changed.append((registry, name, obj))
        return changed

    def clashes(self) -> list[str]:
        """Each change that replaced an existing name or hides a name of a parent registry, described."""
        problems = []
        for registry, name, obj in self.changes():
            before = dict(self._before_of(registry)).get(name)
            hidden = before if before is not None else _find_in_parents(registry, name)
            if hidden is not None and hidden is not obj:
                problems.append(f"'{name}' in the '{registry_label(registry)}' registry ({qualname(obj)}) is "
                                f'already taken by {qualname(hidden)}')
        return problems

    def restore(self) -> None:
        """Take back every change (added names removed, replaced names put back)."""
        for registry, name, _ in self.changes():
            before = self._before_of(registry)
            if name in before:
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
