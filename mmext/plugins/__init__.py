"""Third-party plugins: the contract (:mod:`.hookspecs`) and discovery/loading (:mod:`.manager`).

A plugin package declares an entry point in the ``mmext.plugins`` group and implements hooks marked with
:data:`hookimpl`; see README, "Plugins".
"""
from mmext.plugins.hookspecs import hookimpl, hookspec
from mmext.plugins.manager import PLUGINS, PluginRecord, Plugins, load_plugins

__all__ = ['hookimpl', 'hookspec', 'PLUGINS', 'PluginRecord', 'Plugins', 'load_plugins']
