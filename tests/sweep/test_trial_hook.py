"""OptunaTrialHook: reports to the trial through the study's storage, prunes cleanly, fails on NaN loss."""
import json
from types import SimpleNamespace

import optuna
import pytest
import torch

from mmext.errors import TrialFailure
from mmext.sweep.trial_hook import PRUNED_FILE, OptunaTrialHook


def _runner(tmp_path, epoch=1):
    messages: list = []
    return SimpleNamespace(epoch=epoch, iter=10, work_dir=str(tmp_path),
                           train_loop=SimpleNamespace(stop_training=False), logger=SimpleNamespace(info=messages.append))


def _study(tmp_path):
    storage = f'sqlite:///{tmp_path}/study.db'
    # the study's own pruner is never asked: Optuna does not store it, the hook builds its own from the spec
    study = optuna.create_study(study_name='s', storage=storage, direction='maximize',
                                pruner=optuna.pruners.NopPruner())
    return study, storage, study.ask()


def test_reports_each_epoch_and_prunes_by_the_study_pruner(tmp_path):
    study, storage, trial = _study(tmp_path)
    hook = OptunaTrialHook(storage=storage, study_name='s', trial_id=trial._trial_id, metric='coco/bbox_mAP',
                           pruner=dict(type='ThresholdPruner', lower=0.5))
    runner = _runner(tmp_path, epoch=1)
    hook.after_val_epoch(runner, {'coco/bbox_mAP': 0.7})
    assert not runner.train_loop.stop_training and not (tmp_path / PRUNED_FILE).exists()
    runner.epoch = 2
    hook.after_val_epoch(runner, {'coco/bbox_mAP': 0.3})
    assert runner.train_loop.stop_training
    assert json.loads((tmp_path / PRUNED_FILE).read_text()) == {'step': 2, 'metric': 'coco/bbox_mAP', 'value': 0.3}
    reported = study.trials[0].intermediate_values  # read back from the database
    assert reported == {1: 0.7, 2: 0.3}


def test_missing_metric_is_not_reported(tmp_path):
    study, storage, trial = _study(tmp_path)
    hook = OptunaTrialHook(storage=storage, study_name='s', trial_id=trial._trial_id, pruner='none')
    hook.after_val_epoch(_runner(tmp_path), {'coco/bbox_mAP_50': 0.1})
    assert study.trials[0].intermediate_values == {}


def test_non_finite_loss_fails_the_trial(tmp_path):
    hook = OptunaTrialHook(storage='sqlite://', study_name='s', trial_id=0)
    hook.after_train_iter(_runner(tmp_path), 0, outputs={'loss': torch.tensor(1.5)})
    with pytest.raises(TrialFailure, match=r'non-finite loss \(nan\) at iteration 11 \(epoch 2\)'):
        hook.after_train_iter(_runner(tmp_path), 0, outputs={'loss': torch.tensor(float('nan'))})
