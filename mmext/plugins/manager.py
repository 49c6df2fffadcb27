"""Finding and loading third-party plugins: entry-point group ``mmext.plugins``, loaded with pluggy at
``import mmext`` (so ``custom_imports = dict(imports=['mmext'])`` loads them too).

Environment variables (read at each :meth:`Plugins.load`):

- ``MMEXT_DISABLE_PLUGIN_AUTOLOAD=1``: load no installed plugin, except those named in ``MMEXT_PLUGINS``.
- ``MMEXT_PLUGINS=a,b``: load only these (a name that is not installed is an error).
- ``MMEXT_DISABLE_PLUGINS=a,b``: never load these (wins over ``MMEXT_PLUGINS``).
- ``MMEXT_PLUGIN_ERRORS=raise|warn``: what a broken plugin does. ``raise`` (default) stops: ``import mmext``
  fails with one :class:`~mmext.errors.PluginError` naming the plugin, its distribution and version and how to
  disable it, and every plugin loaded in that call is taken back (modules, config folders), so no run ever
  starts without a plugin its config may rely on. ``warn`` skips the broken plugin (after taking back what it
  registered) with a warning and loads the rest; ``tools/list_modules.py --check`` still reports it.

A plugin is broken when its import raises, when it marks an ``mmext_*`` function that is not in
:mod:`~mmext.plugins.hookspecs` or that takes an argument the hook does not pass, when its
``mmext_register_modules`` raises or registers a name that is already taken, or when its config folder is
missing or takes a name already in use.
"""
from __future__ import annotations

import difflib
import importlib.metadata
import os
import sys
import warnings
from dataclasses import dataclass, field
from typing import Any, Mapping

import pluggy

from mmext.errors import MmextError, PluginError
from mmext.plugins import hookspecs
from mmext.plugins.inventory import Registration, RegistrySnapshot, qualname, registry_label
from mmext.registry import defers, register, registering_for

ENTRY_POINT_GROUP = 'mmext.plugins'
ENV_AUTOLOAD_OFF = 'MMEXT_DISABLE_PLUGIN_AUTOLOAD'
ENV_ONLY = 'MMEXT_PLUGINS'
ENV_BLOCKED = 'MMEXT_DISABLE_PLUGINS'
ENV_ERRORS = 'MMEXT_PLUGIN_ERRORS'


@dataclass
class PluginRecord:
    """A plugin found through its entry point: what it is, where from, and what it did."""
    name: str  # the entry-point name: used in MMEXT_DISABLE_PLUGINS and as '<name>::' for its configs
    distribution: str
    version: str
    entry_point: str  # 'name = module:attr' as declared
    registered: list[Registration] = field(default_factory=list)
    config_folder: str | None = None
    error: str | None = None  # set when the plugin was skipped (MMEXT_PLUGIN_ERRORS=warn)

    def describe(self) -> str:
        return f'{self.name} {self.version} (distribution {self.distribution})'


def _names(env: Mapping[str, str], key: str) -> list[str]:
    return [n.strip() for n in env.get(key, '').split(',') if n.strip()]


def _find_entry_points() -> dict[str, tuple[Any, Any]]:
    """name -> (entry point, distribution) for the group; the first found on ``sys.path`` wins a name."""
    found: dict[str, tuple[Any, Any]] = {}
    for dist in importlib.metadata.distributions():
        for ep in dist.entry_points:
            if ep.group == ENTRY_POINT_GROUP and ep.name not in found:
                found[ep.name] = (ep, dist)
    return found


class Plugins:
    """mmext's plugin manager: a pluggy ``PluginManager`` plus what each plugin is and registered.

    ``mmext`` uses the one instance :data:`PLUGINS`; tests make their own.
    """

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.records: dict[str, PluginRecord] = {}  # loaded, in load order
        self.failed: dict[str, PluginRecord] = {}  # skipped with a warning

    @property
    def hook(self):
        return self.pm.hook

    def load(self, env: Mapping[str, str] | None = None) -> list[PluginRecord]:
        """Load the installed plugins that the environment variables allow and that are not loaded yet.

        Args:
            env: The variables to read. Defaults to ``os.environ``.

        Returns:
            The plugins loaded by this call (none when called again).

        Raises:
            PluginError: A plugin is broken (and ``MMEXT_PLUGIN_ERRORS`` is not ``warn``), or ``MMEXT_PLUGINS``
                names one that is not installed.
        """
        env = os.environ if env is None else env
        only, blocked = _names(env, ENV_ONLY), set(_names(env, ENV_BLOCKED))
        if env.get(ENV_AUTOLOAD_OFF, '') not in ('', '0') and not only:
            return []
        mode = env.get(ENV_ERRORS, 'raise')
        if mode not in ('raise', 'warn'):
            raise PluginError(f"{ENV_ERRORS}={mode!r}: expected 'raise' (a broken plugin stops) or 'warn' (it is "
                              'skipped with a warning)')
        found = _find_entry_points()
        missing = [n for n in only if n not in found and n not in blocked]
        if missing:
            raise PluginError(f'{ENV_ONLY} names {", ".join(missing)}, not installed; installed plugins: '
                              f'{", ".join(sorted(found)) or "none"}')
        before = (dict(self.records), RegistrySnapshot() if found else None)
        loaded = []
        try:
            for name in sorted(found):
                if name in blocked or (only and name not in only) or self.pm.has_plugin(name):
                    continue
                record = self._load_one(name, *found[name], mode=mode, blocked=blocked)
                if record is not None:
                    loaded.append(record)
        except PluginError:
            self._take_back(loaded, before, found)
            raise
        return loaded

    def _load_one(self, name: str, ep, dist, mode: str, blocked: set[str]) -> PluginRecord | None:
        meta = dist.metadata  # read once: dist.version would read the file again
        record = PluginRecord(name=name, distribution=(meta['Name'] if meta else None) or '?',
                              version=(meta['Version'] if meta else None) or '?',
                              entry_point=f'{name} = {ep.value}')
        snapshot = RegistrySnapshot()
        plugin = None
        # A class kept aside until its registry's first lookup may clash there: the error then names the plugin.
        note = (f"(registered by mmext plugin '{name}' from {record.distribution} {record.version}; to run "
                f'without it: {ENV_BLOCKED}={name})')
        try:
            with registering_for(note):
                plugin = ep.load()
                self.pm.register(plugin, name=name)
                self._check_hooks(plugin)
                self._only(plugin, 'mmext_register_modules')()
                changes = snapshot.changes()
                clashes = snapshot.clashes(changes)
                if clashes:
                    raise MmextError('it registers a name that is already taken: ' + '; '.join(clashes))
                _set_aside_direct_registrations(changes)
            record.registered = [Registration(registry_label(reg), key, qualname(obj), name)
                                 for reg, key, obj in changes]
            folder = next(iter(self._only(plugin, 'mmext_config_folder')()), None)
            if folder is not None:
                from mmext.compat.config_paths import add_config_folder
                add_config_folder(name, os.fspath(folder))
                record.config_folder = os.fspath(folder)
        except Exception as err:  # anything a plugin raises: isolate it, say whose it is
            snapshot.restore()
            self._forget(name, ep)
            error = PluginError(_failure_message(record, err, blocked))
            if mode == 'raise':
                raise error from err
            warnings.warn(str(error), stacklevel=2)
            record.error = str(error)
            self.failed[name] = record
            return None
        self.records[name] = record
        return record

    def _only(self, plugin: object, hook_name: str):
        """The hook, called for this one plugin only."""
        others = [p for p in self.pm.get_plugins() if p is not plugin]
        return self.pm.subset_hook_caller(hook_name, remove_plugins=others)

    def _check_hooks(self, plugin: object) -> None:
        """Refuse a marked ``mmext_*`` implementation with no spec (pluggy only checks the ones it knows)."""
        known = [n for n in dir(hookspecs) if n.startswith('mmext_')]
        for caller in self.pm.get_hookcallers(plugin) or []:
            if not caller.has_spec():
                near = difflib.get_close_matches(caller.name, known, n=1)
                hint = f' (did you mean {near[0]}?)' if near else ''
                raise MmextError(f'it implements {caller.name}, which is not an mmext hook{hint}; the hooks are '
                                 f'{", ".join(known)}')

    def _forget(self, name: str, ep) -> None:
        """Unregister a plugin and drop its own package from ``sys.modules``, so that loading it again (after
        a failed ``import mmext``) runs its module-level registrations again."""
        plugin = self.pm.get_plugin(name)
        if plugin is not None:
            self.pm.unregister(plugin)
        package = ep.value.split(':')[0].split('.')[0]
        if package in ('mmext', 'mmdet', 'mmengine', 'mmcv', 'torch'):
            return
        for module in [m for m in sys.modules if m == package or m.startswith(package + '.')]:
            del sys.modules[module]

    def _take_back(self, loaded: list[PluginRecord], before, found: dict) -> None:
        """Undo one :meth:`load` call: registrations, config folders, pluggy registrations, records."""
        from mmext.compat.config_paths import CONFIG_FOLDERS
        records, snapshot = before
        for record in loaded:
            CONFIG_FOLDERS.pop(record.name, None)
            self._forget(record.name, found[record.name][0])
        if snapshot is not None:
            snapshot.restore()
        self.records = records

    def adjust_config(self, cfg) -> None:
        """Run ``mmext_adjust_config`` then append what ``mmext_add_hooks`` returns to ``cfg.custom_hooks``.

        Raises:
            PluginError: ``mmext_add_hooks`` returned something other than a list of hook configs.
        """
        if not self.records:
            return
        self.pm.hook.mmext_adjust_config(cfg=cfg)
        hooks = list(cfg.get('custom_hooks') or [])
        count = len(hooks)
        for added in self.pm.hook.mmext_add_hooks(cfg=cfg):
            if not isinstance(added, (list, tuple)) or not all(isinstance(h, dict) and 'type' in h for h in added):
                raise PluginError(f'an mmext_add_hooks implementation returned {added!r}; expected a list of hook '
                                  f"configs such as [dict(type='MyHook')] (loaded plugins: {', '.join(self.records)})")
            hooks += [dict(h) for h in added if dict(h) not in hooks]
        if len(hooks) > count:
            cfg.custom_hooks = hooks

    def summary(self) -> str:
        """One line naming every loaded plugin and its version (for the training log)."""
        if not self.records:
            return 'mmext plugins: none loaded'
        return 'mmext plugins: ' + ', '.join(r.describe() for r in self.records.values())


def _set_aside_direct_registrations(changes: list) -> None:
    """Registered with mmengine's own ``register_module`` into a registry that has not imported mmdet's modules
    yet: keep them aside like :func:`mmext.registry.register` does, so that a name clash raises mmext's error
    at the first lookup instead of breaking mmdet's own import there."""
    for registry, name, obj in changes:
        if registry.module_dict.get(name) is obj and defers(registry):
            del registry.module_dict[name]
            register(registry, name)(obj)


def _failure_message(record: PluginRecord, err: BaseException, blocked: set[str]) -> str:
    cause = str(err) if isinstance(err, MmextError) else f'{type(err).__name__}: {err}'
    cause = ' '.join(cause.split())  # pluggy's validation errors span several lines
    disable = ','.join(sorted(blocked | {record.name}))
    return (f"mmext plugin '{record.name}' from {record.distribution} {record.version} ({record.entry_point}) "
            f'failed to load: {cause}. To run without it: {ENV_BLOCKED}={disable} (or {ENV_AUTOLOAD_OFF}=1 for no '
            f'plugins, or {ENV_ERRORS}=warn to skip broken plugins with a warning).')


PLUGINS = Plugins()


def load_plugins(env: Mapping[str, str] | None = None) -> list[PluginRecord]:
    """Load plugins into mmext's plugin manager :data:`PLUGINS` (see :meth:`Plugins.load`)."""
    return PLUGINS.load(env)
