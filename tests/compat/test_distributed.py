import os

import pytest
import torch
import torch.distributed as dist

from mmext.compat.distributed import (close_process_group, cpu_ddp_wrapper_cfg, init_cpu_process_group,
                                      slurm_master_port, slurm_rendezvous_env)
from mmext.engine.commands.launch import find_free_port
from mmext.errors import MmextError


def test_cpu_wrapper_drops_device_ids_and_keeps_user_settings():
    cfg = cpu_ddp_wrapper_cfg(dict(type='MMDistributedDataParallel', find_unused_parameters=True,
                                   device_ids=[0]))
    assert cfg == dict(type='MMDistributedDataParallel', broadcast_buffers=False, find_unused_parameters=True,
                       device_ids=None)


def test_missing_launcher_variables_are_named(monkeypatch):
    for key in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT'):
        monkeypatch.delenv(key, raising=False)
    with pytest.raises(MmextError, match='RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT'):
        init_cpu_process_group('pytorch')


def test_slurm_port_follows_the_job_id():
    assert slurm_master_port('7') == 15007
    assert slurm_master_port('1234567') == 19567
    assert slurm_master_port('9999') < 32768  # below Linux's ephemeral ports


def _srun_task(monkeypatch, **extra):
    for key in ('RANK', 'WORLD_SIZE', 'LOCAL_RANK', 'MASTER_ADDR', 'MASTER_PORT'):
        # set, then deleted: monkeypatch records a variable only when it exists, and slurm_rendezvous_env sets
        # these in os.environ; unrecorded, they would leak into later tests (a torchrun test then saw RANK and
        # took itself for a launched worker)
        monkeypatch.setenv(key, 'unset')
        monkeypatch.delenv(key)
    for key, value in dict(SLURM_PROCID='1', SLURM_NTASKS='2', SLURM_LOCALID='1', SLURM_JOB_ID='31',
                           SLURM_STEP_NODELIST='node[07-08]', **extra).items():
        monkeypatch.setenv(key, value)


def test_slurm_task_variables_become_torchs(monkeypatch, tmp_path):
    scontrol = tmp_path / 'scontrol'  # answers as Slurm's does for `scontrol show hostnames node[07-08]`
    scontrol.write_text('#!/bin/sh\n[ "$3" = "node[07-08]" ] && printf "node07\\nnode08\\n"\n')
    scontrol.chmod(0o755)
    monkeypatch.setenv('PATH', f"{tmp_path}:{os.environ['PATH']}")
    _srun_task(monkeypatch)
    slurm_rendezvous_env()
    assert {k: os.environ[k] for k in ('RANK', 'WORLD_SIZE', 'LOCAL_RANK', 'MASTER_ADDR', 'MASTER_PORT')} == dict(
        RANK='1', WORLD_SIZE='2', LOCAL_RANK='1', MASTER_ADDR='node07', MASTER_PORT='15031')
    _srun_task(monkeypatch, MASTER_PORT='2222', MASTER_ADDR='10.0.0.9')  # what a batch script chose is kept
    slurm_rendezvous_env()
    assert (os.environ['MASTER_ADDR'], os.environ['MASTER_PORT']) == ('10.0.0.9', '2222')


def test_slurm_node_list_that_cannot_be_resolved_is_named(monkeypatch, tmp_path):
    monkeypatch.setenv('PATH', str(tmp_path))  # no scontrol
    _srun_task(monkeypatch)
    with pytest.raises(MmextError, match=r"cannot resolve the node list 'node\[07-08\]' .* export MASTER_ADDR"):
        slurm_rendezvous_env()


def test_unsupported_launcher_on_cpu():
    with pytest.raises(MmextError, match="launcher 'mpi' is not supported on CPU"):
        init_cpu_process_group('mpi')


def _threads() -> set[str]:
    return set(os.listdir('/proc/self/task'))


@pytest.mark.skipif(not os.path.isdir('/proc/self/task'), reason='counts threads through /proc (Linux)')
def test_close_process_group_joins_gloo_threads_before_exit(monkeypatch):
    """After close_process_group no gloo thread is left to release tensors while the interpreter finalizes.

    A DDP model in a reference cycle keeps the group alive after ``destroy_process_group`` (as mmengine's runner
    does); the group's threads only stop when it is freed.
    """
    before = _threads()  # other tests' threads may end meanwhile: only the new ones are compared
    monkeypatch.setenv('MASTER_ADDR', '127.0.0.1')
    monkeypatch.setenv('MASTER_PORT', str(find_free_port()))
    dist.init_process_group('gloo', rank=0, world_size=1)
    try:
        model = torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(2, 1))
        model.cycle = model  # freed only by the garbage collector
        model(torch.ones(3, 2)).sum().backward()
        gathered = [torch.zeros(2)]
        dist.all_gather(gathered, torch.ones(2))
        gloo = _threads() - before
        assert gloo  # gloo's threads run
        del model, gathered
        close_process_group()
        assert not dist.is_initialized()
        assert not gloo & _threads()
    finally:  # the other tests in this process must not find a group
        if dist.is_initialized():
            dist.destroy_process_group()
