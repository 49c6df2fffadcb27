"""One trial's config (sampled values, work dir, best checkpoint, the Optuna hook), and what is read back."""
import json
import time

from mmext.sweep.space import Param
from mmext.sweep.trial import SweepSettings, _last_error, best_checkpoint, metric_history, trial_config
from tests.conftest import DEMO_CONFIG


def _settings(tmp_path, **kwargs):
    return SweepSettings(config=DEMO_CONFIG, params=[Param('optim_wrapper.optimizer.lr', 'float', 1e-4, 1e-2)],
                         work_dir=str(tmp_path), storage='sqlite:///s.db', study_name='s', **kwargs)


def test_the_trial_config_applies_the_values_and_the_sweeps_additions(tmp_path):
    cfg = trial_config(_settings(tmp_path, cfg_options={'train_cfg.max_epochs': 1}),
                       {'optim_wrapper.optimizer.lr': 0.003}, 5, 17)
    assert cfg.optim_wrapper.optimizer.lr == 0.003 and cfg.train_cfg.max_epochs == 1
    assert cfg.work_dir == str(tmp_path / 'trial_5') and cfg.experiment_name == 's_trial_5'
    assert cfg.visualizer.name == 'visualizer_s_trial_5'  # mmengine's instances are per trial
    assert cfg.default_hooks.checkpoint.save_best == 'coco/bbox_mAP' and cfg.default_hooks.checkpoint.rule == 'greater'
    assert cfg.custom_hooks[-1] == dict(type='OptunaTrialHook', storage='sqlite:///s.db', study_name='s',
                                        trial_id=17, metric='coco/bbox_mAP', pruner='median')
    low = trial_config(_settings(tmp_path, metric='loss', direction='minimize'), {}, 0, 1)
    assert low.default_hooks.checkpoint.save_best == 'loss' and low.default_hooks.checkpoint.rule == 'less'


def test_tracking_runs_are_grouped_by_study(tmp_path):
    backends = [dict(type='MLflowVisBackend', exp_name='mmext'), dict(type='WandbVisBackend')]
    cfg = trial_config(_settings(tmp_path, cfg_options={'visualizer.vis_backends': backends}), {}, 2, 3)
    mlflow, wandb = cfg.visualizer.vis_backends
    assert (mlflow['exp_name'], mlflow['run_name']) == ('s', 's_trial_2')
    assert wandb['init_kwargs'] == dict(group='s', name='s_trial_2')


def test_metric_history_and_best_checkpoint_are_read_from_the_work_dir(tmp_path):
    for stamp, records in (('20240101_000000', [dict(step=1, **{'coco/bbox_mAP': 0.1}), dict(step=1, loss=2.0)]),
                           ('20240102_000000', [dict(step=2, **{'coco/bbox_mAP': 0.3})])):
        (tmp_path / stamp / 'vis_data').mkdir(parents=True)
        (tmp_path / stamp / 'vis_data' / 'scalars.json').write_text('\n'.join(map(json.dumps, records)) + '\n')
    assert metric_history(str(tmp_path), 'coco/bbox_mAP') == [(1, 0.1), (2, 0.3)]
    assert metric_history(str(tmp_path), 'other') == []
    assert best_checkpoint(str(tmp_path)) is None
    for name in ('best_coco_bbox_mAP_epoch_1.pth', 'best_coco_bbox_mAP_epoch_2.pth'):
        (tmp_path / name).write_bytes(b'')
        time.sleep(0.02)  # the newest file is the best kept last
    assert best_checkpoint(str(tmp_path)) == str(tmp_path / 'best_coco_bbox_mAP_epoch_2.pth')


def test_a_failed_trainings_last_error_line_is_its_reason(tmp_path):
    log = tmp_path / 'train_stdout.log'
    log.write_text('epoch 1\nerror: --cfg-options model.x: no such key\nbye\n')
    assert _last_error(str(log)) == 'error: --cfg-options model.x: no such key'
    log.write_text('Traceback\nKeyError: depth 7\n\n')
    assert _last_error(str(log)) == 'KeyError: depth 7'
    log.write_text('just this\n')
    assert _last_error(str(log)) == 'just this'
    log.write_text('')
    assert _last_error(str(log)) == 'no output'
