"""One rank of the 2-process NaN-guard test (started by torchrun): train through the tools' ``run_job``, report.

Usage: torchrun --nproc_per_node 2 tests/hooks/nan_guard_worker.py OUT_DIR
Writes OUT_DIR/rank<r>.json with the error message, the iteration it stopped at, whether the weights equal those
before that iteration, and how many threads the process has before the job and after ``run_job`` (gloo's must be
gone before the interpreter exits); then exits with ``run_job``'s exit code, as ``tools/train.py`` does.
"""
import argparse
import json
import os
import sys

import torch

import mmext  # noqa: F401  registers the hooks and the optim wrapper
from mmext.engine.commands.job import run_job
from mmext.engine.commands.launch import add_launch_arguments
from mmext.errors import NonFiniteLossError
from tests.toy_runner import Snapshots, ToyModel, toy_runner


def _threads() -> int:
    return len(os.listdir('/proc/self/task'))


def main(out_dir: str) -> int:
    report = dict(message='', stopped_at=None, unchanged=False, threads_before=_threads())

    def train() -> str:  # the runner lives in here only, as in tools/train.py
        snaps = Snapshots()
        runner = toy_runner(out_dir, ToyModel(nan_at={3}, nan_rank=1),
                            [dict(type='NonFiniteLossGuardHook'), dict(type='ParamGroupSummaryHook'), snaps],
                            max_epochs=3, launcher='pytorch', log_level='INFO')
        report['rank'] = torch.distributed.get_rank()
        try:
            runner.train()
        except NonFiniteLossError as err:
            before = snaps.before[runner.iter]
            report.update(message=str(err), stopped_at=runner.iter, unchanged=all(
                torch.equal(p, before[k]) for k, p in runner.model.module.named_parameters()))
            raise
        return 'finished without a stop'

    parser = argparse.ArgumentParser()
    add_launch_arguments(parser)
    code = run_job(__file__, [], parser.parse_args([]), train)
    report['threads_after'] = _threads()
    with open(f"{out_dir}/rank{report['rank']}.json", 'w') as f:
        json.dump(report, f)
    return code


if __name__ == '__main__':
    sys.exit(main(sys.argv[1]))
