"""What ``tools/train.py`` does: config loading and preparation, the runner, launching."""
from mmext.engine.config.prepare import load_config, prepare_config
from mmext.engine.runner import MMExtRunner

__all__ = ['load_config', 'prepare_config', 'MMExtRunner']
