"""mmext: train MMDetection detectors on your own COCO data, without forking mmdet.

``import mmext`` (or ``custom_imports = dict(imports=['mmext'])`` in a config) registers every mmext module into
mmdet's registries and makes checkpoints load safely on current PyTorch. Nothing else heavy happens here.
"""
from mmext.version import __version__
from mmext import compat

compat.install_safe_checkpoint_loader()

# Importing these registers their modules into mmdet's registries.
from mmext import datasets, engine, hooks  # noqa: E402,F401

__all__ = ['__version__']
