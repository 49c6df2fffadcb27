"""``OptunaTrialHook``: a sweep trial's link to its Optuna study, from inside the training process.

After each validation it reports the objective metric to the trial and asks the study's pruner whether to go on;
a pruned trial stops training cleanly (the loop's ``stop_training`` flag, as mmengine's EarlyStoppingHook does) and
leaves ``pruned.json`` in the work dir, from which the sweep marks the trial pruned. A non-finite loss ends the
trial at once as a failure instead of training NaN to the end.

The hook reconnects to the study by storage URL, study name and trial id, so it works the same whether the trial
trains in the sweep's own process or in a ``tools/train.py --gpus K`` subprocess under torchrun; only rank 0
talks to the database and its decision is broadcast to the other ranks.

Example:
    >>> # added by tools/sweep.py to each trial's config; by hand it would read:
    >>> custom_hooks = [dict(type='OptunaTrialHook', storage='sqlite:///work_dirs/sweeps/s1/study.db',
    ...                      study_name='s1', trial_id=3, metric='coco/bbox_mAP', pruner='median')]
"""
from __future__ import annotations

import json
import math
import os.path as osp

from mmdet.registry import HOOKS
from mmengine.dist import broadcast_object_list, get_rank, is_distributed
from mmengine.hooks import Hook

from mmext.errors import TrialFailure
from mmext.registry import register

PRUNED_FILE = 'pruned.json'


@register(HOOKS)
class OptunaTrialHook(Hook):
    """Report the per-epoch validation metric to an Optuna trial, prune on the study's advice, stop on NaN loss.

    Args:
        storage: The study's storage URL (e.g. ``sqlite:///path/study.db`` or a PostgreSQL URL).
        study_name: The study.
        trial_id: The trial's storage id (``trial._trial_id``, not its number).
        metric: The validation metric to report, e.g. ``'coco/bbox_mAP'``.
        pruner: The pruner spec (see :func:`mmext.sweep.study.make_pruner`): ``'median'``, ``'none'`` or
            ``dict(type='<optuna pruner>', ...)``; Optuna does not store the pruner with the study. Defaults to
            ``'median'``.
        check_finite_loss: Fail the trial at the first non-finite loss. Defaults to True.
    """

    priority = 'LOW'  # after CheckpointHook has saved (and picked the best checkpoint for) this epoch

    def __init__(self, storage: str, study_name: str, trial_id: int, metric: str = 'coco/bbox_mAP',
                 pruner: str | dict = 'median', check_finite_loss: bool = True) -> None:
        self.storage = storage
        self.study_name = study_name
        self.trial_id = int(trial_id)
        self.metric = metric
        self.pruner = pruner
        self.check_finite_loss = check_finite_loss
        self._trial = None

    def _optuna_trial(self):
        if self._trial is None:
            import optuna
            from mmext.sweep.study import make_pruner, open_storage
            study = optuna.load_study(study_name=self.study_name, storage=open_storage(self.storage),
                                      pruner=make_pruner(self.pruner))
            self._trial = optuna.trial.Trial(study, self.trial_id)
        return self._trial

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        """Raise :class:`TrialFailure` when the loss is NaN or infinite."""
        if not self.check_finite_loss or not outputs or 'loss' not in outputs:
            return
        loss = outputs['loss']
        loss = float(loss.detach() if hasattr(loss, 'detach') else loss)
        if not math.isfinite(loss):
            raise TrialFailure(f'non-finite loss ({loss}) at iteration {runner.iter + 1} (epoch {runner.epoch + 1}); '
                               'lower the learning rate or clip gradients')

    def after_val_epoch(self, runner, metrics: dict | None = None) -> None:
        """Report the metric for this epoch and stop training when the pruner says so."""
        step = runner.epoch if runner.epoch > 0 else runner.iter
        value = (metrics or {}).get(self.metric)
        prune = False
        if get_rank() == 0 and value is not None and math.isfinite(float(value)):
            trial = self._optuna_trial()
            trial.report(float(value), step=step)
            prune = trial.should_prune()
        if is_distributed():
            decision = [prune]
            broadcast_object_list(decision, src=0)
            prune = decision[0]
        if prune:
            runner.logger.info(f'OptunaTrialHook: the pruner stops this trial after step {step} '
                               f'({self.metric}={value})')
            runner.train_loop.stop_training = True
            if get_rank() == 0:
                with open(osp.join(runner.work_dir, PRUNED_FILE), 'w') as f:
                    json.dump({'step': step, 'metric': self.metric, 'value': value}, f)
