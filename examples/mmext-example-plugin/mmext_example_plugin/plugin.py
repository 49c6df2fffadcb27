"""The plugin module named by the entry point: mmext's hooks, implemented."""
import os.path as osp

from mmext.plugins import hookimpl

CONFIGS = osp.join(osp.dirname(osp.abspath(__file__)), 'configs')


@hookimpl
def mmext_register_modules() -> None:
    # Importing the module registers ExampleThroughputHook into mmdet's HOOKS.
    from mmext_example_plugin import hooks  # noqa: F401


@hookimpl
def mmext_config_folder() -> str:
    return CONFIGS
