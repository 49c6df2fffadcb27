"""What makes mmengine 0.10 / mmcv 2.1 / mmdet 3.3 work on current PyTorch; nothing else lives here.

- :mod:`.checkpoint`: checkpoints load with ``weights_only=True`` and an explicit allow-list (resume on torch>=2.6).
- :mod:`.distributed`: distributed training on CPU with gloo (mmengine assumes CUDA).
- :mod:`.config_paths`: ``_base_ = 'mmext::<path>'`` and ``'<plugin>::<path>'`` (mmengine knows a fixed list).
- :mod:`.lazy_registry`: a callback after a registry's first lookup, for mmext's lazy registration.
- :mod:`.build_steps`: callbacks before mmengine builds a runner or a model (``num_classes='auto'`` for mmengine's
  plain Runner, and a readable error where a model is built from its config alone).
- :mod:`.post_import`: run a function when a module is imported (the checkpoint loader, without importing
  mmengine's runner at ``import mmext``).
- mmengine's ``import pkg_resources`` warning is silenced (it is mmengine's, and says nothing a user can act on).
"""
import warnings

# mmengine 0.10 imports pkg_resources to find installed packages' configs; setuptools warns on every import.
warnings.filterwarnings('ignore', message='pkg_resources is deprecated', category=UserWarning)

from mmext.compat import build_steps  # noqa: E402
from mmext.compat.checkpoint import (CHECKPOINT_SAFE_GLOBALS,  # noqa: E402
                                     install_safe_checkpoint_loader, safe_load_checkpoint)
from mmext.compat.config_paths import MMEXT_CONFIGS, add_config_folder, install_config_folders  # noqa: E402
from mmext.compat.distributed import cpu_ddp_wrapper_cfg, init_cpu_process_group  # noqa: E402

__all__ = [
    'MMEXT_CONFIGS', 'add_config_folder', 'install_config_folders',
    'CHECKPOINT_SAFE_GLOBALS', 'install_safe_checkpoint_loader', 'safe_load_checkpoint',
    'cpu_ddp_wrapper_cfg', 'init_cpu_process_group'
]
