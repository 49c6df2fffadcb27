"""Distributed training on CPU with gloo.

mmengine's ``init_dist`` calls ``torch.cuda.set_device`` unconditionally, and its DDP wrapper passes
``device_ids=[LOCAL_RANK]``, which modules on the CPU reject. On a machine without CUDA, mmext initialises the
process group with gloo itself (mmengine then skips its own initialisation) and wraps with ``device_ids=None``.
"""
from __future__ import annotations

import gc
import os
from datetime import timedelta

import torch
import torch.distributed as dist

from mmext.errors import MmextError

_SLURM_TO_TORCH = {'SLURM_PROCID': 'RANK', 'SLURM_NTASKS': 'WORLD_SIZE', 'SLURM_LOCALID': 'LOCAL_RANK'}
# Ports 15000-24999: below Linux's ephemeral range (32768 and up), so no port the OS hands out can take it.
_SLURM_PORT_BASE = 15000


def slurm_master_port(job_id: str) -> int:
    """The rendezvous port of a Slurm job: ``15000 + <last 4 digits of the job id>``.

    A fixed port (mmengine's 29500) makes two jobs that share a node (several 1-GPU jobs, a requeued job whose
    predecessor is still closing) meet in one rendezvous or fail with "address in use"; the job id differs.
    """
    digits = ''.join(c for c in job_id if c.isdigit())
    return _SLURM_PORT_BASE + int(digits[-4:] or 0)


def slurm_rendezvous_env() -> None:
    """Fill torch's rendezvous variables from Slurm's in a task started by ``srun`` (``--launcher slurm``).

    RANK, WORLD_SIZE and LOCAL_RANK come from SLURM_PROCID, SLURM_NTASKS and SLURM_LOCALID; MASTER_ADDR is the
    first host of the step (where rank 0 runs), MASTER_PORT follows the job id (:func:`slurm_master_port`).
    Variables already set are kept, so a batch script can choose its own.

    Raises:
        MmextError: The step's host list cannot be resolved (``scontrol`` missing or failing).
    """
    for slurm, torch_name in _SLURM_TO_TORCH.items():
        if slurm in os.environ:
            os.environ.setdefault(torch_name, os.environ[slurm])
    nodelist = os.environ.get('SLURM_STEP_NODELIST') or os.environ.get('SLURM_NODELIST')
    if 'MASTER_ADDR' not in os.environ and nodelist:
        import subprocess
        try:
            hosts = subprocess.run(['scontrol', 'show', 'hostnames', nodelist], capture_output=True, text=True,
                                   check=True).stdout.split()
        except (OSError, subprocess.CalledProcessError) as err:
            raise MmextError(f'--launcher slurm: cannot resolve the node list {nodelist!r} with `scontrol show '
                             f'hostnames` ({err}); export MASTER_ADDR=<first node> in the batch script') from None
        os.environ['MASTER_ADDR'] = hosts[0]
    if 'MASTER_PORT' not in os.environ and 'SLURM_JOB_ID' in os.environ:
        os.environ['MASTER_PORT'] = str(slurm_master_port(os.environ['SLURM_JOB_ID']))


def init_cpu_process_group(launcher: str, timeout_s: int = 1800) -> None:
    """Initialise the default process group with gloo from the launcher's environment variables.

    Args:
        launcher: ``'pytorch'`` (torchrun) or ``'slurm'`` (srun).
        timeout_s: Collective timeout in seconds. Defaults to 1800.

    Raises:
        MmextError: The launcher is not supported on CPU or its variables are missing.
    """
    if launcher == 'slurm':
        slurm_rendezvous_env()
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
    """End a job's process group before the interpreter exits: a barrier, ``destroy_process_group``, and a
    garbage collection that frees the group, which joins gloo's threads.

    Why: a gloo thread releases each finished collective, and with it the tensors the collective used; for
    tensors made in Python that needs the GIL. When the interpreter is already finalizing, the thread is stopped
    inside that release and the process aborts ("terminate called without an active exception", SIGABRT; PyTorch
    issue 190489). torchrun then reports a crash instead of the job's exit code, and with ``--max-restarts`` it
    restarts a finished run. ``destroy_process_group`` alone does not prevent it (it aborted 1 two-process run in
    about 20): it only forgets the group, while the DDP wrapper still holds it in reference cycles, and gloo's
    threads keep running. The collection frees the group; its destructor waits for the threads to finish their
    work (the GIL released) and joins them, so nothing is left to run during finalization.

    Call it only where every rank gets to it (the barrier): after a job that ended normally, or after an error
    that every rank raises at the same point (``MmextError.on_every_rank``), and once nothing refers to the
    runner any more (outside an ``except`` block that caught its error).
    """
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
        gc.collect()
