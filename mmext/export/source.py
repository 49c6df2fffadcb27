"""The detector to export: a config and checkpoint, or a training work dir (its dumped config, latest checkpoint)."""
from __future__ import annotations

import glob
import os.path as osp
import re
from typing import Any

from mmext.errors import CheckpointError, ConfigError


def resolve(config_or_work_dir: str, checkpoint: str | None = None) -> tuple[str, str]:
    """The config file and checkpoint: a config plus ``checkpoint``, or a work dir (the config mmengine dumped
    there, and ``checkpoint`` or the one ``last_checkpoint`` names, else the newest ``epoch_*/iter_*.pth``).

    Raises:
        ConfigError: The path does not exist, or a work dir holds no config.
        CheckpointError: No checkpoint given or found.
    """
    if osp.isdir(config_or_work_dir):
        work = config_or_work_dir
        configs = sorted(glob.glob(osp.join(work, '*.py')))
        if not configs:
            raise ConfigError(f'{work}: no config (*.py) in this work dir; pass the config file and the checkpoint')
        if checkpoint is None:
            pointer = osp.join(work, 'last_checkpoint')
            if osp.isfile(pointer):
                checkpoint = open(pointer).read().strip()
            else:
                found = sorted(glob.glob(osp.join(work, '*.pth')),
                               key=lambda p: [int(n) for n in re.findall(r'\d+', osp.basename(p))] or [0])
                if not found:
                    raise CheckpointError(f'{work}: no checkpoint (*.pth) in this work dir')
                checkpoint = found[-1]
        return configs[0], checkpoint
    if not osp.isfile(config_or_work_dir):
        raise ConfigError(f'{config_or_work_dir} is neither a config file nor a work dir')
    if checkpoint is None:
        raise CheckpointError(f'pass the checkpoint after the config {config_or_work_dir} (or give a work dir)')
    return config_or_work_dir, checkpoint


def load_detector(config_or_work_dir: str, checkpoint: str | None = None, device: str = 'cpu') -> Any:
    """The trained detector in eval mode, built by mmdet's ``init_detector`` (class names from the checkpoint's
    ``dataset_meta``). Replaced by ``mmext.inference``'s loader once that exists.

    Raises:
        ConfigError, CheckpointError: See :func:`resolve`; also a checkpoint that does not exist or does not fit
            the config (the mismatched keys named).
    """
    import mmext  # noqa: F401  registers mmext's modules (BiFPN, ...) and the safe checkpoint loader
    from mmdet.apis import init_detector
    from mmengine.config import Config
    config, checkpoint = resolve(config_or_work_dir, checkpoint)
    if not osp.isfile(checkpoint):
        raise CheckpointError(f'checkpoint {checkpoint} does not exist')
    from mmext.compat.checkpoint import safe_load_checkpoint
    try:
        state = safe_load_checkpoint(checkpoint, map_location='cpu')  # weights_only, mmengine's globals allowed
    except CheckpointError:
        raise
    except Exception as err:  # a broken file: say which
        raise CheckpointError(f'checkpoint {checkpoint} could not be loaded ({type(err).__name__}: '
                              f'{str(err).splitlines()[0]})') from None
    cfg = Config.fromfile(config)
    _fill_num_classes(cfg, state, checkpoint)
    model = init_detector(cfg, None, device=device)
    own = model.state_dict()
    weights = state.get('state_dict', state)
    missing = [k for k in own if k not in weights]
    shapes = [k for k in own if k in weights and weights[k].shape != own[k].shape]
    if missing or shapes:
        raise CheckpointError(f'checkpoint {checkpoint} does not fit config {config}: '
                              + '; '.join(f'{what}: {", ".join(keys[:4])}{" ..." if len(keys) > 4 else ""}'
                                          for what, keys in (('missing', missing), ('other shape', shapes)) if keys))
    model.load_state_dict(weights, strict=False)
    model.dataset_meta = state.get('meta', {}).get('dataset_meta') or {}
    if not model.dataset_meta.get('classes'):
        raise CheckpointError(f'checkpoint {checkpoint} has no class names (meta.dataset_meta.classes); '
                              'export needs a checkpoint saved by training')
    return model.eval()


def _fill_num_classes(cfg: Any, state: dict, checkpoint: str) -> None:
    """``num_classes='auto'`` in the config: the number of classes the checkpoint was trained with."""
    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == 'num_classes' and value == 'auto':
                    yield node
                else:
                    yield from walk(value)
        elif isinstance(node, (list, tuple)):
            for item in node:
                yield from walk(item)
    holders = list(walk(cfg.model))
    if holders:
        meta = state.get('meta', {})
        classes = (meta.get('dataset_meta') or {}).get('classes')
        if not classes:
            raise CheckpointError(f"checkpoint {checkpoint} has no class names and the config says "
                                  "num_classes='auto': pass a checkpoint saved by training")
        for node in holders:
            node['num_classes'] = len(classes)
