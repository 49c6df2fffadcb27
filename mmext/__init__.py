"""mmext: train MMDetection detectors on your own COCO data, without forking mmdet.

``import mmext`` (or ``custom_imports = dict(imports=['mmext'])`` in a config) registers every mmext module into
mmdet's registries, makes checkpoints load safely on current PyTorch, makes ``_base_ = 'mmext::<path>'`` resolve,
and loads the installed plugins (entry points ``mmext.plugins``). Nothing else heavy happens here.
"""
from mmext.version import __version__
from mmext import compat

compat.install_safe_checkpoint_loader()
compat.install_config_folders()
compat.add_config_folder('mmext', compat.MMEXT_CONFIGS)

# Importing these registers their modules into mmdet's registries.
from mmext import datasets, engine, evaluation, hooks, models, optim  # noqa: E402,F401

# Last, after every mmext module is registered: plugins register theirs next to them (and may not take a name
# mmext uses). A broken plugin raises PluginError here (see mmext.plugins.manager); then no part of mmext stays
# imported, so that importing it again (say with the plugin disabled) imports all of it.
from mmext.plugins import load_plugins  # noqa: E402

try:
    load_plugins()
except BaseException:
    import sys
    for _name in [m for m in sys.modules if m.startswith('mmext.')]:
        del sys.modules[_name]
    raise

__all__ = ['__version__']
