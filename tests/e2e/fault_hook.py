"""Test-only: a hook that kills one rank once, to exercise torchrun's restarts (imported via custom_imports)."""
import os

from mmdet.registry import HOOKS
from mmengine.hooks import Hook


@HOOKS.register_module(force=True)
class KillRankOnceHook(Hook):
    """Exit rank ``rank`` abruptly after iteration ``at_iter`` (1-based), on the first start of the group only."""

    def __init__(self, rank: int, at_iter: int) -> None:
        self.rank = rank
        self.at_iter = at_iter

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        if (runner.rank == self.rank and runner.iter + 1 == self.at_iter
                and os.environ.get('TORCHELASTIC_RESTART_COUNT', '0') == '0'):
            os._exit(17)
