"""run_job, the body of tools/train.py and tools/test.py: the summary once, a user's mistake as one error line and
exit 1, a preemption's exit code, and the process group ended where every rank gets to it."""
import argparse
import os

import pytest

from mmext.compat import distributed
from mmext.engine.commands import launch
from mmext.engine.commands.job import run_job
from mmext.engine.commands.launch import WORKER_ERROR_ENV, add_launch_arguments
from mmext.errors import ConfigError, NonFiniteLossError


def _args(*argv):
    parser = argparse.ArgumentParser()
    add_launch_arguments(parser)
    return parser.parse_args(list(argv))


@pytest.fixture
def closed(monkeypatch, tmp_path):
    """How often the process group was ended; the workers' error file (as under torchrun)."""
    calls = []
    monkeypatch.setattr(distributed, 'close_process_group', lambda: calls.append('closed'))
    monkeypatch.setenv(WORKER_ERROR_ENV, str(tmp_path / 'worker_error'))
    return calls


def test_a_finished_job_prints_its_summary_and_exits_0(closed, capsys):
    assert run_job('tools/train.py', [], _args(), lambda: 'best: epoch_3.pth') == 0
    out, err = capsys.readouterr()
    assert out == 'best: epoch_3.pth\n' and err == '' and closed == ['closed']


def test_a_users_mistake_is_one_line_and_exit_1(closed, capsys, tmp_path):
    def job():
        raise ConfigError('cfg.py: no such file')
    assert run_job('tools/train.py', [], _args(), job) == 1
    out, err = capsys.readouterr()
    assert (out, err) == ('', 'error: cfg.py: no such file\n')
    assert (tmp_path / 'worker_error').read_text() == '(rank 0) cfg.py: no such file'  # for the launching process
    assert closed == []  # other ranks may still be training: no barrier


def test_an_error_every_rank_raises_still_ends_the_process_group(closed, capsys, tmp_path):
    def job():
        raise NonFiniteLossError('loss is NaN at iteration 7')
    assert run_job('tools/train.py', [], _args(), job) == 1
    assert capsys.readouterr().err == 'error: loss is NaN at iteration 7\n'
    assert (tmp_path / 'worker_error').read_text() == 'loss is NaN at iteration 7'  # no rank: all said it
    assert closed == ['closed']


def test_a_preemption_keeps_its_exit_code(closed, capsys):
    def job():
        raise SystemExit(75)
    assert run_job('tools/train.py', [], _args(), job) == 75
    assert capsys.readouterr().out == '' and closed == ['closed']


def test_a_bug_is_not_hidden(closed):
    def job():
        raise KeyError('not a user mistake')
    with pytest.raises(KeyError):
        run_job('tools/train.py', [], _args(), job)


def test_several_processes_run_under_torchrun_instead(closed, monkeypatch):
    started = []
    monkeypatch.setattr(launch, 'relaunch_if_needed', lambda script, argv, args: started.append((script, argv)) or 3)
    assert run_job('tools/test.py', ['cfg.py', '--nproc', '2'], _args('--nproc', '2'), lambda: 'ran here') == 3
    assert started == [('tools/test.py', ['cfg.py', '--nproc', '2'])] and closed == []


def test_an_old_launchers_local_rank_is_passed_on(closed, monkeypatch):
    monkeypatch.setenv('LOCAL_RANK', 'x')  # so that monkeypatch puts back what was there
    monkeypatch.delenv('LOCAL_RANK')
    seen = []
    run_job('tools/train.py', [], _args('--launcher', 'pytorch', '--local_rank', '3'),
            lambda: seen.append(os.environ['LOCAL_RANK']) or 'done')
    assert seen == ['3']
