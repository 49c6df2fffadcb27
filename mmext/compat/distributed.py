"""Distributed training on CPU with gloo.

mmengine's ``init_dist`` calls ``torch.cuda.set_device`` unconditionally, and its DDP wrapper passes
``device_ids=[LOCAL_RANK]``, which modules on the CPU reject. On a machine without CUDA, mmext initialises the
process group with gloo itself (mmengine then skips its own initialisation) and wraps with ``device_ids=None``.
"""
from __future__ import annotations

import os
from datetime import timedelta

import torch
import torch.distributed as dist

from mmext.errors import MmextError

_SLURM_TO_TORCH = {'SLURM_PROCID': 'RANK', 'SLURM_NTASKS': 'WORLD_SIZE', 'SLURM_LOCALID': 'LOCAL_RANK'}


def _env_from_slurm() -> None:
    """Fill torch's rendezvous variables from Slurm's when a job was started by ``srun`` directly."""
    for slurm, torch_name in _SLURM_TO_TORCH.items():
        if slurm in os.environ:
            os.environ.setdefault(torch_name, os.environ[slurm])
    if 'MASTER_ADDR' not in os.environ and 'SLURM_NODELIST' in os.environ:
        import subprocess
        nodes = subprocess.check_output(['scontrol', 'show', 'hostnames', os.environ['SLURM_NODELIST']], text=True)
        os.environ['MASTER_ADDR'] = nodes.split()[0]
    os.environ.setdefault('MASTER_PORT', '29500')


def init_cpu_process_group(launcher: str, timeout_s: int = 1800) -> None:
    """Initialise the default process group with gloo from the launcher's environment variables.

    Args:
        launcher: ``'pytorch'`` (torchrun) or ``'slurm'`` (srun).
        timeout_s: Collective timeout in seconds. Defaults to 1800.

    Raises:
        MmextError: The launcher is not supported on CPU or its variables are missing.
    """
    if launcher == 'slurm':
        _env_from_slurm()
    elif launcher != 'pytorch':
        raise MmextError(f"launcher '{launcher}' is not supported on CPU; use 'pytorch' (torchrun) or 'slurm'")
    missing = [k for k in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT') if k not in os.environ]
    if missing:
        raise MmextError(f'--launcher {launcher} needs the variables {", ".join(missing)} that torchrun/srun '
                         'set; start with `python tools/train.py CONFIG --nproc N` or torchrun')
    dist.init_process_group('gloo', timeout=timedelta(seconds=timeout_s))


def cpu_ddp_wrapper_cfg(user_cfg: dict | None = None) -> dict:
    """The model wrapper config for DDP on CPU: the user's settings, with ``device_ids=None``.

    Args:
        user_cfg: ``model_wrapper_cfg`` from the config, if any.

    Returns:
        A wrapper config that ``Runner.wrap_model`` can build on CPU.
    """
    cfg = dict(type='MMDistributedDataParallel', broadcast_buffers=False)
    cfg.update(user_cfg or {})
    cfg['device_ids'] = None
    return cfg


def cuda_available() -> bool:
    """Whether training will run on CUDA (kept in one place so tests can reason about it)."""
    return torch.cuda.is_available()


def close_process_group() -> None:
    """End a finished job's process group on every rank: a barrier, then ``destroy_process_group``.

    Why: mmengine never destroys the group, so gloo's threads are still running when the interpreter exits, and a
    rank sometimes aborts in that teardown ("terminate called without an active exception", SIGABRT) after
    training finished. torchrun then counts the whole group as failed, and with ``--max-restarts`` it restarts a
    finished run or gives up with an error (seen about 1 run in 10 of the restart test). The barrier makes sure no
    rank tears down while another still talks to it. Only for a job that ended normally: after an error, a
    barrier could wait for a rank that is gone.
    """
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()

