import argparse
import socket
import sys

import pytest

from mmext.engine.commands import launch
from mmext.errors import LaunchError
from mmext.engine.commands.launch import (FRESH_STORE_PER_ROUND_ENV, add_launch_arguments, check_port_free,
                                 find_free_port, processes_per_node, relaunch_if_needed, strip_launch_flags,
                                 torchrun_command)


def _args(*argv):
    parser = argparse.ArgumentParser()
    add_launch_arguments(parser)
    return parser.parse_args(list(argv))


def test_gpus_without_cuda_is_a_clear_error():
    with pytest.raises(LaunchError, match='--gpus 2: no CUDA GPU is visible on this machine; use --nproc 2'):
        processes_per_node(_args('--gpus', '2'), cuda_devices=0)
    with pytest.raises(LaunchError, match='only 1 CUDA GPU'):
        processes_per_node(_args('--gpus', '4'), cuda_devices=1)
    assert processes_per_node(_args('--gpus', '4'), cuda_devices=8) == 4


def test_more_gpus_than_visible_says_how_many_to_ask_for(monkeypatch):
    monkeypatch.delenv('CUDA_VISIBLE_DEVICES', raising=False)
    with pytest.raises(LaunchError, match=r'^--gpus 4: only 2 CUDA GPU\(s\) are visible here; use --gpus 2 or fewer$'):
        processes_per_node(_args('--gpus', '4'), cuda_devices=2)
    monkeypatch.setenv('CUDA_VISIBLE_DEVICES', '0,3')
    with pytest.raises(LaunchError, match=r'\(CUDA_VISIBLE_DEVICES=0,3 limits this process to those\); use --gpus 2'):
        processes_per_node(_args('--gpus', '4'), cuda_devices=2)


def _slurm_env(monkeypatch, step_tasks: str | None) -> None:
    for name in ('TORCHELASTIC_RUN_ID', 'LOCAL_RANK', 'OMPI_COMM_WORLD_RANK', 'SLURM_STEP_NUM_TASKS'):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv('SLURM_JOB_ID', '123')
    monkeypatch.setenv('SLURM_PROCID', '0')
    if step_tasks is not None:
        monkeypatch.setenv('SLURM_STEP_NUM_TASKS', step_tasks)


def test_nproc_in_a_slurm_batch_script_still_starts_torchrun(monkeypatch):
    """A batch script has SLURM_PROCID=0 too; `tools/train.py CONFIG --gpus 8` there must not train alone."""
    _slurm_env(monkeypatch, step_tasks=None)
    started = {}
    monkeypatch.setattr(launch, '_run_torchrun', lambda cmd, env: started.update(cmd=cmd) or 0)
    assert relaunch_if_needed('tools/train.py', ['cfg.py', '--nproc', '2'], _args('--nproc', '2')) == 0
    assert '--nproc_per_node=2' in started['cmd']
    # a task that srun started with --launcher slurm trains itself
    _slurm_env(monkeypatch, step_tasks='2')
    assert relaunch_if_needed('tools/train.py', ['cfg.py'], _args('--launcher', 'slurm')) is None


def test_nproc_in_each_of_several_srun_tasks_is_an_error(monkeypatch):
    _slurm_env(monkeypatch, step_tasks='2')
    with pytest.raises(LaunchError, match='one of 2 tasks that srun started, and each would start 2 more: give '
                                          '--launcher slurm'):
        relaunch_if_needed('tools/train.py', ['cfg.py', '--nproc', '2'], _args('--nproc', '2'))


def test_nproc_and_conflicts():
    assert processes_per_node(_args()) == 1
    assert processes_per_node(_args('--nproc', '3')) == 3
    with pytest.raises(LaunchError, match='not both'):
        processes_per_node(_args('--nproc', '2', '--gpus', '2'), cuda_devices=2)
    with pytest.raises(LaunchError, match='>= 1'):
        processes_per_node(_args('--nproc', '0'))


def test_both_local_rank_spellings_are_accepted():
    assert _args('--local_rank', '3').local_rank == 3
    assert _args('--local-rank=2').local_rank == 2


def test_outer_flags_are_stripped_for_the_workers():
    argv = ['cfg.py', '--nproc', '2', '--master-port=1234', '--work-dir', 'w', '--max-restarts', '1',
            '--cfg-options', 'a=1']
    assert strip_launch_flags(argv) == ['cfg.py', '--work-dir', 'w', '--cfg-options', 'a=1']


def test_torchrun_command_uses_the_pytorch_launcher():
    cmd = torchrun_command('tools/train.py', ['cfg.py'], 4, nnodes=2, node_rank=1, master_addr='10.0.0.1',
                           master_port=29501)
    assert cmd[:3] == [sys.executable, '-m', 'torch.distributed.run']
    assert '--nproc_per_node=4' in cmd and '--nnodes=2' in cmd and '--node_rank=1' in cmd
    assert '--master_addr=10.0.0.1' in cmd and '--master_port=29501' in cmd
    assert cmd[-4:] == ['tools/train.py', 'cfg.py', '--launcher', 'pytorch']


def test_restarts_use_the_c10d_rendezvous():
    cmd = torchrun_command('tools/train.py', ['cfg.py'], 2, master_addr='10.0.0.1', master_port=29501,
                           max_restarts=2)
    assert '--rdzv_backend=c10d' in cmd and '--rdzv_endpoint=10.0.0.1:29501' in cmd and '--max_restarts=2' in cmd


def test_torchrun_gives_every_restarted_round_a_fresh_store(monkeypatch):
    """tools/train.py starts torchrun with the opt-out from the store shared across rounds, and torch honours it.

    A shared store keeps the previous attempt's gloo addresses; a restarted rank that reads them connects to a
    dead process (tests/e2e/test_launch.py runs the whole restart).
    """
    started = {}
    monkeypatch.setattr(launch, '_run_torchrun', lambda cmd, env: started.update(cmd=cmd, env=env) or 0)
    args = _args('--nproc', '2', '--max-restarts', '1')
    assert relaunch_if_needed('tools/train.py', ['cfg.py', '--nproc', '2', '--max-restarts', '1'], args) == 0
    assert '--rdzv_backend=c10d' in started['cmd']
    assert started['env'] == {'TORCH_DISABLE_SHARE_RDZV_TCP_STORE': '1'}

    from torch.distributed.elastic.rendezvous.dynamic_rendezvous import DynamicRendezvousHandler
    handler = DynamicRendezvousHandler.__new__(DynamicRendezvousHandler)  # the property reads the environment
    monkeypatch.delenv('TORCH_DISABLE_SHARE_RDZV_TCP_STORE', raising=False)
    assert handler.use_agent_store  # torch's default: one store for every round
    for name, value in FRESH_STORE_PER_ROUND_ENV.items():
        monkeypatch.setenv(name, value)
    assert not handler.use_agent_store


def test_port_in_use_is_reported_not_waited_on():
    port = find_free_port()
    check_port_free(port)
    with socket.socket() as busy:
        busy.bind(('', port))
        busy.listen()
        with pytest.raises(LaunchError, match=f'--master-port {port} is already in use'):
            check_port_free(port)


def test_a_workers_error_is_repeated_last_by_the_launching_process(capfd):
    """torchrun's report of failed workers comes after their ``error:`` lines; the launcher says it again last."""
    worker = ('import sys; from mmext.engine.commands.launch import report_worker_error; '
              "report_worker_error('first', 0); report_worker_error('data/x.json: no such file', 1); "
              "report_worker_error('on every rank', None) if sys.argv[1] == '2' else None; "
              'sys.exit(int(sys.argv[1]))')
    assert launch._run_torchrun([sys.executable, '-c', worker, '1'], {}) == 1
    assert capfd.readouterr().err.strip().splitlines()[-1] == 'error: (rank 1) data/x.json: no such file'
    assert launch._run_torchrun([sys.executable, '-c', worker, '2'], {}) == 2
    assert capfd.readouterr().err.strip().splitlines()[-1] == 'error: on every rank'
    assert launch._run_torchrun([sys.executable, '-c', worker, '0'], {}) == 0  # a run that succeeded says nothing
    assert 'error' not in capfd.readouterr().err


def test_report_worker_error_outside_a_launched_worker_does_nothing(monkeypatch, tmp_path):
    monkeypatch.delenv(launch.WORKER_ERROR_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    launch.report_worker_error('message', 0)
    assert list(tmp_path.iterdir()) == []
