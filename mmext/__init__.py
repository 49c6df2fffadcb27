"""mmext: train MMDetection detectors on your own COCO data, without forking mmdet.

``import mmext`` (or ``custom_imports = dict(imports=['mmext'])`` in a config) registers every mmext module into
mmdet's registries, makes checkpoints load safely on current PyTorch, makes ``_base_ = 'mmext::<path>'`` resolve,
and loads the installed plugins (entry points ``mmext.plugins``). Nothing heavy happens here: like mmdet's own,
mmext's modules are imported when a registry first looks a name up (see :mod:`mmext.registry`), and the
checkpoint loader goes in when mmengine's checkpoint module is imported. ``mmext.hooks``, ``mmext.datasets``
and the other subpackages are imported on first use of the attribute.
"""
import importlib
import sys

from mmext.version import __version__
from mmext import compat, registry

compat.install_safe_checkpoint_loader()
compat.install_config_folders()
compat.add_config_folder('mmext', compat.MMEXT_CONFIGS)
registry.register_lazily(registry.MANIFEST)

# Last, after every mmext name is known: plugins register theirs next to them (and may not take a name mmext
# uses). A broken plugin raises PluginError here (see mmext.plugins.manager); then no part of mmext stays
# imported or waiting in a registry, so that importing it again (say with the plugin disabled) does all of it.
from mmext.plugins import load_plugins  # noqa: E402

try:
    load_plugins()
except BaseException:
    registry.reset()
    for _name in [m for m in sys.modules if m.startswith('mmext.')]:
        del sys.modules[_name]
    raise

# num_classes='auto' for mmengine's plain Runner (mmdet's tools without runner_type), and a readable error where a
# model is built from its config alone (see mmext.compat.build_steps). The engine is imported at the first use.


def _fill_for_runner(cfg):
    from mmext.engine.config.num_classes import fill_for_runner
    return fill_for_runner(cfg)


def _refuse_unfilled(model_cfg):
    from mmext.engine.config.num_classes import refuse_unfilled
    refuse_unfilled(model_cfg)


compat.build_steps.before_runner_from_cfg(_fill_for_runner)
compat.build_steps.before_build(
    [registry.resolve('mmengine.registry.MODELS'), registry.resolve('mmdet.registry.MODELS')], _refuse_unfilled)

_SUBPACKAGES = ('analysis', 'compat', 'datasets', 'engine', 'errors', 'evaluation', 'export', 'hooks', 'inference',
                'models', 'optim', 'plugins', 'registry', 'runtime', 'sweep', 'version', 'visualization')
# Names mmext offers at the top, imported with their subpackage on first use: name -> subpackage.
_LAZY_NAMES = {'Detector': 'inference', 'Prediction': 'inference', 'SliceOptions': 'inference'}


def __getattr__(name: str):
    """``mmext.hooks``, ``mmext.Detector`` and the like without importing them at ``import mmext`` (PEP 562)."""
    if name in _SUBPACKAGES:
        return importlib.import_module(f'{__name__}.{name}')
    if name in _LAZY_NAMES:
        return getattr(importlib.import_module(f'{__name__}.{_LAZY_NAMES[name]}'), name)
    raise AttributeError(f"module 'mmext' has no attribute '{name}'")


def __dir__() -> list:
    return sorted(set(globals()) | set(_SUBPACKAGES) | set(_LAZY_NAMES))


__all__ = ['__version__']
