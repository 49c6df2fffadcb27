"""Test-only: a hook that kills one rank once, to exercise torchrun's restarts (imported via custom_imports)."""
import os

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
