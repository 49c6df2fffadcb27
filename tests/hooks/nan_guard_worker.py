"""One rank of the 2-process NaN-guard test (started by torchrun): train, catch the stop, report as JSON.

Usage: torchrun --nproc_per_node 2 tests/hooks/nan_guard_worker.py OUT_DIR
Writes OUT_DIR/rank<r>.json with the error message, the iteration it stopped at and whether the weights equal
those before that iteration.
"""
import json
import sys

import torch

import mmext  # noqa: F401  registers the hooks and the optim wrapper
from mmext.errors import NonFiniteLossError
from tests.toy_runner import Snapshots, ToyModel, toy_runner


def main(out_dir: str) -> None:
    snaps = Snapshots()
    model = ToyModel(nan_at={3}, nan_rank=1)
    runner = toy_runner(out_dir, model, [dict(type='NonFiniteLossGuardHook'), dict(type='ParamGroupSummaryHook'),
                                         snaps], max_epochs=3, launcher='pytorch', log_level='INFO')
    report = dict(message='', stopped_at=None, unchanged=False)
    try:
        runner.train()
    except NonFiniteLossError as err:
        before = snaps.before[runner.iter]
        report = dict(message=str(err), stopped_at=runner.iter,
                      unchanged=all(torch.equal(p, before[k]) for k, p in runner.model.module.named_parameters()))
    with open(f'{out_dir}/rank{torch.distributed.get_rank()}.json', 'w') as f:
        json.dump(report, f)


if __name__ == '__main__':
    main(sys.argv[1])
