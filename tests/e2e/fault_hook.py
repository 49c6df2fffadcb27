"""Test-only hooks that disturb a training run: a rank killed once (torchrun's restarts), a slow first
Slurm run (preemption and requeue). Imported via custom_imports."""
import os
import time

from mmdet.registry import HOOKS
from mmengine.hooks import Hook


@HOOKS.register_module(force=True)
class KillRankOnceHook(Hook):
    """Exit rank ``rank`` abruptly after iteration ``at_iter`` (1-based), on the first start of the group only.

    Rank 0 prints the store its group was handed (``MASTER_ADDR:MASTER_PORT``) at every start, so a test can check
    that a restarted group does not reuse the previous attempt's store.
    """

    def __init__(self, rank: int, at_iter: int) -> None:
        self.rank = rank
        self.at_iter = at_iter

    def before_train(self, runner):
        if runner.rank == 0:
            print(f"KillRankOnceHook: attempt {os.environ.get('TORCHELASTIC_RESTART_COUNT')} store "
                  f"{os.environ.get('MASTER_ADDR')}:{os.environ.get('MASTER_PORT')}", flush=True)

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        if (runner.rank == self.rank and runner.iter + 1 == self.at_iter
                and os.environ.get('TORCHELASTIC_RESTART_COUNT', '0') == '0'):
            os._exit(17)


@HOOKS.register_module(force=True)
class SlowFirstSlurmRunHook(Hook):
    """Sleep ``seconds`` after every training iteration of a Slurm job's first run (``SLURM_RESTART_COUNT`` unset
    or 0), so that the run is still training when the scheduler's signal comes; a requeued run goes at full speed.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        if os.environ.get('SLURM_RESTART_COUNT', '0') == '0':
            time.sleep(self.seconds)
