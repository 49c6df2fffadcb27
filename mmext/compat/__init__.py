"""What makes mmengine 0.10 / mmcv 2.1 / mmdet 3.3 work on current PyTorch; nothing else lives here.

- :mod:`.checkpoint`: checkpoints load with ``weights_only=True`` and an explicit allow-list (resume on torch>=2.6).
- :mod:`.distributed`: distributed training on CPU with gloo (mmengine assumes CUDA).
- :mod:`.config_paths`: ``_base_ = 'mmext::<path>'`` and ``'<plugin>::<path>'`` (mmengine knows a fixed list).
"""
from mmext.compat.checkpoint import (CHECKPOINT_SAFE_GLOBALS, install_safe_checkpoint_loader,
                                     safe_load_checkpoint)
from mmext.compat.config_paths import MMEXT_CONFIGS, add_config_folder, install_config_folders
from mmext.compat.distributed import cpu_ddp_wrapper_cfg, init_cpu_process_group

__all__ = [
    'MMEXT_CONFIGS', 'add_config_folder', 'install_config_folders',
    'CHECKPOINT_SAFE_GLOBALS', 'install_safe_checkpoint_loader', 'safe_load_checkpoint',
    'cpu_ddp_wrapper_cfg', 'init_cpu_process_group'
]
