"""Safe checkpoint loading for mmengine on torch >= 2.6.

torch >= 2.6 loads with ``weights_only=True``; mmengine 0.10 checkpoints hold a ``HistoryBuffer`` and NumPy
arrays/scalars (the message hub), so ``resume=True`` dies with "Unsupported global". Turning ``weights_only`` off
would let a checkpoint downloaded from anywhere run arbitrary code. Instead, mmext replaces mmengine's local-file
loader (through mmengine's own ``CheckpointLoader.register_scheme``) with one that keeps ``weights_only=True`` and
allows exactly the globals that mmengine and mmdet write, and turns a refused global into a readable error.
The loader goes in when ``mmengine.runner.checkpoint`` (the module every checkpoint load goes through) is
imported, so that ``import mmext`` does not import mmengine's runner.
"""
from __future__ import annotations

import os
import pickle
import re
from typing import Any

import numpy as np
import torch
from mmengine.logging import HistoryBuffer

from mmext.compat.post_import import when_imported
from mmext.errors import CheckpointError


def _numpy_globals() -> list:
    """NumPy objects that ``pickle`` writes for arrays, dtypes and scalars, under numpy 1.x and 2.x names."""
    multiarray = getattr(np, '_core', None) or np.core
    reconstruct = multiarray.multiarray._reconstruct
    scalar = multiarray.multiarray.scalar
    found: list = [np.ndarray, np.dtype, (reconstruct, 'numpy.core.multiarray._reconstruct'),
                   (reconstruct, 'numpy._core.multiarray._reconstruct'),
                   (scalar, 'numpy.core.multiarray.scalar'), (scalar, 'numpy._core.multiarray.scalar')]
    # numpy >= 1.25 pickles a dtype through its class (numpy.dtypes.Float64DType, ...).
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is not None:
        found += [getattr(dtypes, n) for n in dir(dtypes) if n.endswith('DType')]
    return found


def _history_buffer_getattr(obj: Any, name: str) -> Any:
    """Stands in for ``builtins.getattr`` while loading, and only resolves HistoryBuffer's statistics methods.

    A HistoryBuffer pickles its ``statistics_methods`` as ``getattr(HistoryBuffer, 'mean')`` and so on. Allowing
    the real ``getattr`` would let a crafted file reach any attribute of any allowed object.
    """
    if obj is HistoryBuffer and not name.startswith('_') and callable(getattr(HistoryBuffer, name, None)):
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(f'Unsupported global: GLOBAL getattr({obj!r}, {name!r})')


# Everything an mmengine 0.10 / mmdet 3.3 checkpoint may hold besides tensors and plain Python containers:
# the message hub's HistoryBuffer (with its statistics methods) and NumPy arrays, dtypes and scalars.
CHECKPOINT_SAFE_GLOBALS: list = [HistoryBuffer, (_history_buffer_getattr, 'builtins.getattr'), *_numpy_globals()]

_GLOBAL_RE = re.compile(r'GLOBAL ([\w.]+)')


def safe_load_checkpoint(file: Any, map_location: Any = None) -> Any:
    """``torch.load`` with ``weights_only=True`` and mmext's allow-list of globals.

    Args:
        file: A path or a file-like object.
        map_location: As for :func:`torch.load`.

    Returns:
        The loaded checkpoint.

    Raises:
        CheckpointError: The file holds an object outside the allow-list (it could run code when loaded), or it
            is not a readable checkpoint.
    """
    name = file if isinstance(file, (str, os.PathLike)) else getattr(file, 'name', '<stream>')
    try:
        with torch.serialization.safe_globals(CHECKPOINT_SAFE_GLOBALS):
            return torch.load(file, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        match = _GLOBAL_RE.search(str(err))
        what = f"'{match.group(1)}'" if match else 'an object'
        raise CheckpointError(
            f'refusing to load checkpoint {name}: it contains {what}, which is not on the allow-list of what '
            'mmengine/mmdet checkpoints hold, and loading it could run code. Only load checkpoints you trust; '
            'to keep the weights of a trusted file, re-save its state_dict with torch.save.') from None
    except (RuntimeError, EOFError) as err:
        raise CheckpointError(f'cannot read checkpoint {name}: {err} (the file is truncated or not a '
                              'PyTorch checkpoint)') from None


def _load_from_local(filename: str, map_location: Any = None) -> Any:
    filename = os.path.expanduser(filename)
    if not os.path.isfile(filename):
        raise CheckpointError(f'checkpoint {filename} does not exist')
    return safe_load_checkpoint(filename, map_location)


def install_safe_checkpoint_loader() -> None:
    """Make mmengine load every local checkpoint (``load_from``, ``resume``) through :func:`safe_load_checkpoint`.

    Uses mmengine's public ``CheckpointLoader.register_scheme`` for the local-path prefix '', at once if
    ``mmengine.runner.checkpoint`` is imported, else right after it is (before any checkpoint can be loaded).
    """
    when_imported('mmengine.runner.checkpoint', _install)


def _install(module: Any) -> None:
    module.CheckpointLoader.register_scheme(prefixes='', loader=_load_from_local, force=True)
