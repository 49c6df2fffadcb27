"""SIGTERM on a 2-process gloo run: both ranks stop after the same iteration, save once, exit with code 75.
A second Ctrl-C ends a run at once."""
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from mmext.engine.commands.launch import find_free_port
from mmext.runtime.preemption import PREEMPTED_EXIT_CODE
from tests.conftest import ROOT


def _start(work: Path, rank: int | None = None, port: int = 0, sleep: float = 0.05) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED='1', OMP_NUM_THREADS='1')
    args = ['--work-dir', str(work), '--iters', '100000', '--sleep', str(sleep)]
    if rank is not None:  # started the way srun starts tasks: one process per rank, rendezvous by env
        env.update(RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE='2', MASTER_ADDR='127.0.0.1',
                   MASTER_PORT=str(port))
        args += ['--launcher', 'pytorch']
    log = open(work.parent / f'{work.name}_rank{rank or 0}.log', 'w')
    return subprocess.Popen([sys.executable, '-m', 'tests.toy_training', 'train', *args], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)


def _log(work: Path, rank: int = 0) -> str:
    return (work.parent / f'{work.name}_rank{rank}.log').read_text()


def _wait_for(work: Path, rank: int, text: str, procs: list, timeout: float = 180) -> None:
    end = time.time() + timeout
    while text not in _log(work, rank):
        if time.time() > end or any(p.poll() is not None for p in procs):
            for p in procs:
                p.kill()
            pytest.fail(f'never saw {text!r}:\n' + _log(work, rank)[-3000:])
        time.sleep(0.1)


def test_sigterm_to_one_rank_stops_both_after_the_same_iteration(tmp_path):
    work, port = tmp_path / 'work', find_free_port()
    work.mkdir()
    ranks = [_start(work, rank, port) for rank in (0, 1)]
    try:
        _wait_for(work, 1, 'rank 1 iteration 3\n', ranks)
        ranks[1].send_signal(signal.SIGTERM)  # only rank 1 is told: rank 0 must learn it from the all-reduce
        codes = [p.wait(timeout=120) for p in ranks]
    finally:
        for p in ranks:
            p.kill()
    logs = [_log(work, r) for r in (0, 1)]
    assert codes == [PREEMPTED_EXIT_CODE] * 2, logs
    stops = [int(re.search(rf'rank {r} stopped after iteration (\d+) with code 75', logs[r]).group(1))
             for r in (0, 1)]
    assert stops[0] == stops[1] >= 3
    assert 'mmext: SIGTERM received' in logs[1] and 'received' not in logs[0]
    n = stops[0]
    assert (work / 'last_checkpoint').read_text() == str(work / f'iter_{n}.pth')
    assert [p.name for p in work.glob('*.pth')] == [f'iter_{n}.pth']  # written once, by rank 0
    saved = torch.load(work / f'iter_{n}.pth', weights_only=False)
    assert saved['meta']['iter'] == n
    assert saved['mmext_resume']['world_size'] == 2 and len(saved['mmext_resume']['ranks']) == 2
    assert f'rank 0 iteration {n + 1}' not in logs[0] and f'rank 1 iteration {n + 1}' not in logs[1]


def test_a_second_ctrl_c_exits_at_once(tmp_path):
    work = tmp_path / 'work'
    work.mkdir()
    proc = _start(work, sleep=5.0)  # an iteration takes 5 s: the first Ctrl-C alone would wait for it
    _wait_for(work, 0, 'rank 0 iteration 1\n', [proc])
    proc.send_signal(signal.SIGINT)
    time.sleep(0.3)
    start = time.time()
    proc.send_signal(signal.SIGINT)
    try:
        assert proc.wait(timeout=30) == -signal.SIGINT
    finally:
        proc.kill()
    assert time.time() - start < 3.0  # well under the 5 s iteration, with room for a busy CI machine
    assert 'mmext: SIGINT received' in _log(work) and 'stopped after' not in _log(work)
    assert not list(work.glob('*.pth'))
