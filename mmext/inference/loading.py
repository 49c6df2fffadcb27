"""Building a trained detector from its config and checkpoint, with its class names from the checkpoint."""
from __future__ import annotations

import os.path as osp
from dataclasses import dataclass
from typing import Any

from mmext.errors import CheckpointError, ConfigError, first_few
from mmext.inference.class_names import ClassesArg, ModelClasses, model_classes
from mmext.inference.model_files import ModelFiles, work_dir_config


@dataclass
class LoadedModel:
    """A detector ready for inference.

    Attributes:
        model: The mmdet detector, in eval mode on its device.
        cfg: The config it was built from (``num_classes`` filled in).
        classes: Its class names.
        files: Where the config and checkpoint came from (``config`` is None when the checkpoint's own was used).
    """
    model: Any
    cfg: Any
    classes: ModelClasses
    files: ModelFiles


def load_model(files: ModelFiles, device: str = 'cpu', classes: ClassesArg = None,
               cfg_options: dict | None = None) -> LoadedModel:
    """Build the detector of ``files`` and load its weights.

    The checkpoint is read with mmext's safe loader (``weights_only=True`` and an allow-list). The class names
    and so ``num_classes='auto'`` come from the checkpoint's metadata (or ``classes``), never from the training
    dataset, which need not exist any more.

    Args:
        files: The config and checkpoint (see :func:`~mmext.inference.model_files.resolve_model_files`).
        device: ``'cpu'``, ``'cuda'`` or ``'cuda:N'``.
        classes: Class names to use instead of the checkpoint's (see
            :func:`~mmext.inference.class_names.model_classes`).
        cfg_options: Config overrides (``--cfg-options``), applied before the model is built.

    Returns:
        The detector, its config and classes.

    Raises:
        CheckpointError: The checkpoint cannot be read, has no class names, or does not fit the config (the
            message names the mismatched keys).
        ConfigError: The config cannot be read or disagrees with the checkpoint's number of classes.
    """
    import torch
    from mmdet.registry import MODELS
    from mmengine.model.utils import revert_sync_batchnorm
    from mmengine.registry import init_default_scope

    from mmext.compat import safe_load_checkpoint
    from mmext.engine.config.num_classes import set_num_classes

    checkpoint = safe_load_checkpoint(files.checkpoint, map_location='cpu')
    if not isinstance(checkpoint, dict):
        raise CheckpointError(f'checkpoint {files.checkpoint} holds a {type(checkpoint).__name__}, not a dict '
                              'with a state_dict')
    meta = checkpoint.get('meta') or {}
    state_dict = checkpoint.get('state_dict', checkpoint)
    found = model_classes(meta, files.checkpoint, classes)
    cfg, config_path = _config(files, meta)
    files = ModelFiles(files.checkpoint, config_path, files.search_dir)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if not isinstance(cfg.get('model'), dict):
        raise ConfigError(f'config {config_path or files.checkpoint} has no model')
    set_num_classes(cfg, found.names, f'checkpoint {files.checkpoint}')
    _no_pretrained_download(cfg.model)
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    model = MODELS.build(cfg.model)
    check_state_dict(model, state_dict, files)
    model.load_state_dict(state_dict, strict=True)
    model = revert_sync_batchnorm(model)
    model.dataset_meta = dict(classes=found.names, palette=(meta.get('dataset_meta') or {}).get('palette'))
    model.cfg = cfg
    model.to(torch.device(device))
    model.eval()
    return LoadedModel(model, cfg, found, files)


def _config(files: ModelFiles, meta: dict):
    """The config given, else the one dumped next to the checkpoint, else the one inside it."""
    from mmengine.config import Config

    from mmext.engine import load_config
    path = files.config or (work_dir_config(files.search_dir, meta.get('experiment_name'))
                            if files.search_dir else None)
    if path is not None:
        return load_config(path), path
    text = meta.get('cfg')
    if not isinstance(text, str) or not text.strip():
        raise ConfigError(f'checkpoint {files.checkpoint} holds no config (meta.cfg) and none was found next to it: '
                          'pass the config file before the checkpoint')
    try:
        return Config.fromstring(text, '.py'), None
    except Exception as err:  # the text is the training run's; a broken one cannot be fixed here
        raise ConfigError(f'the config saved in checkpoint {files.checkpoint} cannot be read ({err}): pass the '
                          'config file before the checkpoint') from None


def _no_pretrained_download(model_cfg: dict) -> None:
    """Building never needs the backbone's pretrained weights: the checkpoint replaces every one of them."""
    backbone = model_cfg.get('backbone')
    if isinstance(backbone, dict) and 'init_cfg' in backbone:
        backbone['init_cfg'] = None


def check_state_dict(model, state_dict: dict, files: ModelFiles, limit: int = 5) -> None:
    """Raise an error naming the keys in which the checkpoint and the model built from the config differ.

    Raises:
        CheckpointError: Keys missing on either side, or tensors of different shapes.
    """
    expected = model.state_dict()
    missing = [k for k in expected if k not in state_dict]
    unexpected = [k for k in state_dict if k not in expected]
    shapes = [f'{k} (checkpoint {tuple(state_dict[k].shape)}, model {tuple(v.shape)})' for k, v in expected.items()
              if k in state_dict and hasattr(state_dict[k], 'shape') and tuple(state_dict[k].shape) != tuple(v.shape)]
    if not (missing or unexpected or shapes):
        return
    parts = []
    for what, keys in (('shapes differ', shapes), ('missing in the checkpoint', missing),
                       ('not in the model', unexpected)):
        if keys:
            parts.append(f'{what}: {first_few(keys, limit)}')
    config = files.config or 'the config saved in it'
    raise CheckpointError(f'checkpoint {osp.basename(files.checkpoint)} does not fit the model of {config}: '
                          + '; '.join(parts) + '. Pass the config this checkpoint was trained with.')
