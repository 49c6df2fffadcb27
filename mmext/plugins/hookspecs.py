"""The contract between mmext and its plugins: every hook a plugin may implement.

A plugin is a module (or object) named by an entry point in the ``mmext.plugins`` group of its package::

    # the plugin's setup.cfg
    [options.entry_points]
    mmext.plugins =
        myplugin = myplugin.mmext_plugin

and implements any of the hooks below, marked with :data:`hookimpl`::

    from mmext.plugins import hookimpl

    @hookimpl
    def mmext_register_modules():
        from myplugin import necks  # noqa: F401  (registers MyNeck into mmdet's MODELS)

Every hook name starts with ``mmext_``; a plugin that defines a marked ``mmext_*`` function that is not listed
here, or with an argument a hook does not pass, is refused at load (see :mod:`mmext.plugins.manager`).
Implementations may take fewer arguments than the spec (pluggy passes only those they name).

Order: plugins are loaded in the order of their names. For hooks that call every plugin, pluggy calls the plugin
loaded last first, unless an implementation says ``@hookimpl(tryfirst=True)`` or ``@hookimpl(trylast=True)``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from mmengine.config import Config

PROJECT = 'mmext'
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def mmext_register_modules() -> None:
    """Register the plugin's modules (necks, hooks, datasets, optimizer constructors, ...).

    When: once per plugin, right after it is loaded during ``import mmext``, after all of mmext's own modules
    are registered. Only this plugin's implementation is called at that moment.

    Register into mmdet's own registries with :func:`mmext.registry.register` (``@register(MODELS)``), as mmext
    does: a name that mmengine, mmext, an earlier plugin or an mmdet module already imported uses is an error
    naming this plugin, and everything the plugin registered is taken back. A registry that has not looked
    anything up yet (mmdet imports its modules then) keeps the class until its first lookup, and a clash with
    one of those mmdet modules raises there, naming this plugin and how to disable it. Modules registered at
    the plugin's import count too; registering here keeps the plugin's import cheap.

    Returns:
        Nothing.
    """


@hookspec
def mmext_config_folder() -> str | None:
    """Contribute a folder of configs, reachable as ``_base_ = '<plugin name>::<path inside the folder>'``.

    When: once per plugin, right after :func:`mmext_register_modules`. Only this plugin's implementation is
    called; the folder is registered under the plugin's entry-point name.

    Returns:
        The folder (an absolute path, e.g. ``os.path.join(os.path.dirname(__file__), 'configs')``), or None.
    """


@hookspec
def mmext_adjust_config(cfg: Config) -> None:
    """Adjust a config after it is loaded and before the Runner is built.

    When: from :func:`mmext.engine.config.prepare.prepare_config`, which ``MMExtRunner.from_cfg`` calls, so the same
    config gives the same run through mmext's ``tools/train.py``, its ``tools/test.py`` and mmdet's own tools
    (with ``runner_type = 'MMExtRunner'``). Every plugin is called (see the module docstring for the order);
    each sees the changes of those before it. May be called more than once on the same config: an
    implementation must give the same result when run twice.

    Args:
        cfg: The loaded config, with ``--cfg-options`` applied; change it in place.

    Returns:
        Nothing.
    """


@hookspec
def mmext_add_hooks(cfg: Config) -> list[dict] | None:
    """Add hooks to a run.

    When: from :func:`mmext.engine.config.prepare.prepare_config`, after :func:`mmext_adjust_config`. Every plugin is
    called. The returned hook configs are appended to ``cfg.custom_hooks`` (one already there, equal in every
    key, is not added twice), so they appear in the config the run dumps into its work dir.

    Args:
        cfg: The config (read it to decide; do not change it here).

    Returns:
        Hook configs, e.g. ``[dict(type='MyHook', interval=10)]``, or None for none.
    """
