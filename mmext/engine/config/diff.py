"""What a config changes relative to its ``_base_`` chain (``tools/print_config.py --diff``)."""
from __future__ import annotations

import os.path as osp
import tempfile
from typing import Any

from mmengine.config import Config

from mmext.engine.config.prepare import load_config


def flatten(value: Any, prefix: str = '') -> dict[str, Any]:
    """Nested dicts as ``{'a.b.c': leaf}``; lists and other values are leaves."""
    if isinstance(value, dict) and value:
        out: dict[str, Any] = {}
        for key, inner in value.items():
            out.update(flatten(inner, f'{prefix}{key}.'))
        return out
    return {prefix[:-1]: value}


def base_only_config(path: str) -> Config:
    """The config made of ``path``'s ``_base_`` files alone, merged as mmengine merges them.

    mmengine reads configs from files only; the one listing the bases lives in a temporary folder that is gone
    when this returns, whatever happens.
    """
    bases = Config._get_base_files(path)
    absolute = [b if '::' in b else osp.abspath(osp.join(osp.dirname(path), b)) for b in bases]
    with tempfile.TemporaryDirectory(prefix='mmext_diff_') as folder:
        listing = osp.join(folder, 'bases.py')
        with open(listing, 'w') as f:
            f.write(f'_base_ = {absolute!r}\n')
        return load_config(listing)


def config_diff(path: str, cfg_options: dict | None = None) -> list[str]:
    """Lines saying what ``path`` (with ``--cfg-options``) adds (+), changes (~) or removes (-) relative to its
    ``_base_`` chain.

    Args:
        path: A config file.
        cfg_options: ``key=value`` overrides applied to ``path``'s config (as ``tools/train.py`` applies them),
            not to the bases it is compared with.

    Returns:
        Sorted lines such as ``~ train_cfg.max_epochs: 12 -> 10``; empty when nothing differs.
    """
    full = flatten(load_config(path, cfg_options).to_dict())
    base = flatten(base_only_config(path).to_dict()) if Config._get_base_files(path) else {}
    lines = []
    for key in sorted(set(full) | set(base)):
        if key not in base:
            lines.append(f'+ {key} = {full[key]!r}')
        elif key not in full:
            lines.append(f'- {key} (was {base[key]!r})')
        elif full[key] != base[key]:
            lines.append(f'~ {key}: {base[key]!r} -> {full[key]!r}')
    return lines
