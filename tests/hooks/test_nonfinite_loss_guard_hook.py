"""NonFiniteLossGuardHook + NonFiniteGuardOptimWrapper: NaN injected at an iteration, in 1 and in 2 processes."""
import json
import os
import re
import sys

import pytest
import torch

from mmext.engine.commands.launch import find_free_port
from mmext.errors import ConfigError, NonFiniteLossError
from mmext.hooks import NonFiniteLossGuardHook
from tests.conftest import ROOT, run_tool
from tests.toy_runner import Snapshots, ToyModel, toy_runner

GUARD = dict(type='NonFiniteLossGuardHook')


def _same(a: dict, b: dict) -> bool:
    return all(torch.equal(a[k], b[k]) for k in a)


def test_stops_at_the_bad_iteration_without_applying_its_step(tmp_path):
    model, snaps = ToyModel(nan_at={5}), Snapshots()
    runner = toy_runner(tmp_path, model, [GUARD, snaps], max_epochs=3)
    with pytest.raises(NonFiniteLossError) as err:
        runner.train()
    message = str(err.value)
    # 4 iterations an epoch: index 5 is the 6th iteration, 2nd batch of epoch 2
    assert 'non-finite loss at iteration 6 (epoch 2, batch 2): rank 0: loss_b=nan.' in message
    assert 'loss_a' not in message
    assert f'Last good checkpoint: {tmp_path}/epoch_1.pth' in message
    assert 'step of that iteration was not applied' in message
    weights = {k: v.detach() for k, v in model.named_parameters()}
    assert _same(weights, snaps.before[5])  # the bad iteration's step was not applied ...
    assert not _same(weights, snaps.before[4])  # ... while a good one changes weights (AdamW with weight decay)
    assert all(torch.isfinite(v).all() for v in weights.values())


def test_skips_up_to_max_skips_then_stops(tmp_path):
    # NaN inputs: the forward pass itself goes NaN, BatchNorm running statistics included
    model, snaps = ToyModel(nan_at={1, 2, 6}, nan_in='input'), Snapshots()
    runner = toy_runner(tmp_path, model, [dict(type='NonFiniteLossGuardHook', max_skips=2), snaps], max_epochs=3)
    with pytest.raises(NonFiniteLossError, match=r'iteration 7 .* after 3 bad iteration\(s\) \(max_skips=2\)'):
        runner.train()
    # both skipped: weights and BatchNorm statistics exactly as before them
    assert _same(snaps.before[1], snaps.before[2]) and _same(snaps.before[2], snaps.before[3])
    assert torch.isfinite(model.backbone[1].running_mean).all()
    assert not _same(snaps.before[3], snaps.before[4])  # training went on in between
    assert runner.message_hub.get_info('nonfinite_skipped') == 3


def test_skip_count_survives_resume(tmp_path):
    hook = dict(type='NonFiniteLossGuardHook', max_skips=1)
    toy_runner(tmp_path, ToyModel(nan_at={1}), [hook], max_epochs=1).train()  # one skip used, epoch_1.pth
    resumed = toy_runner(tmp_path, ToyModel(nan_at={6}), [hook], max_epochs=2, resume=True)
    with pytest.raises(NonFiniteLossError, match=r'after 2 bad iteration\(s\)'):
        resumed.train()


def test_the_wrapper_alone_stops_at_the_first_bad_iteration(tmp_path):
    model, snaps = ToyModel(nan_at={2}), Snapshots()
    with pytest.raises(NonFiniteLossError, match=r'non-finite loss at iteration 3: total loss=nan on rank 0\. '
                                                 r'The optimizer step of that iteration was not applied.*'
                                                 r'No checkpoint'):
        toy_runner(tmp_path, model, [snaps]).train()
    assert _same({k: v.detach() for k, v in model.named_parameters()}, snaps.before[2])


def test_the_hook_needs_the_wrapper(tmp_path):
    with pytest.raises(ConfigError, match="needs optim_wrapper type='NonFiniteGuardOptimWrapper'"):
        toy_runner(tmp_path, ToyModel(), [GUARD], optim_type='OptimWrapper').train()
    with pytest.raises(ConfigError, match='max_skips=-1 must be an int >= 0'):
        NonFiniteLossGuardHook(max_skips=-1)


@pytest.mark.e2e
def test_both_ranks_stop_when_one_rank_sees_nan(tmp_path):
    """torchrun, 2 gloo processes; loss NaN on rank 1 only at iteration index 3.

    Both ranks must end with the error line and exit code 1, as tools/train.py does, and neither may abort in
    gloo's teardown (SIGABRT, "terminate called without an active exception"; 1 run in 12 before run_job freed
    the process group after an error that every rank raises). That abort is a race, so the test also checks its
    cause: gloo's threads must be gone when run_job returns.
    """
    result = run_tool(['-m', 'torch.distributed.run', '--nproc_per_node', '2', '--master_port', str(find_free_port()),
                       'tests/hooks/nan_guard_worker.py', str(tmp_path)],
                      env={'OMP_NUM_THREADS': '1', 'PYTHONPATH': os.pathsep.join([str(ROOT), *sys.path])},
                      timeout=300)
    out = result.stdout + result.stderr
    assert result.returncode == 1, out[-4000:]
    assert out.count('error: non-finite loss at iteration 4') == 1, out[-4000:]  # the same on both ranks: once
    # torchrun's summary: each rank exited 1, or was stopped by torchrun (-15) once the other had exited; -6 = abort
    codes = re.findall(r'exitcode\s+:\s+(-?\d+)', out)
    assert len(codes) == 2 and '1' in codes and set(codes) <= {'1', '-15'}, out[-4000:]
    assert 'terminate called' not in out, out[-4000:]
    reports = [json.loads((tmp_path / f'rank{r}.json').read_text()) for r in (0, 1)]
    for report in reports:
        assert 'non-finite loss at iteration 4 (epoch 2, batch 2): rank 1: loss_b=nan.' in report['message']
        assert 'rank 0:' not in report['message']  # rank 0's own loss was finite
        assert report['unchanged'] and report['stopped_at'] == 3
        assert report['threads_after'] == report['threads_before']
    assert out.count('parameter groups (ParamGroupSummaryHook)') == 1  # printed on rank 0 only
