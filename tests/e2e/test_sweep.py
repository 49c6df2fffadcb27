"""Sweeps of real trainings on the tiny demo data: the tool, continuation, two workers, pruning, failures."""
import argparse
import json
import os
import subprocess
import sys

import optuna
import pytest
from mmengine.config import DictAction

from mmext.sweep import run_sweep
from mmext.sweep.trial import metric_history
from tests.conftest import DEMO_CONFIG, ROOT, demo_data_options, quick_options, run_tool

pytestmark = pytest.mark.e2e

SPACE = '''optim_wrapper.optimizer.lr: {type: float, low: 0.0005, high: 0.004, log: true}
train_dataloader.batch_size: {type: categorical, choices: [4, 8]}
'''


def _options(tiny_coco, work, epochs=1):
    # 1 epoch of 16 images; no prediction PNG, checkpoints without optimizer state: each trial takes seconds
    return demo_data_options(tiny_coco) + quick_options(work, epochs=epochs) + [
        'custom_hooks=[]', 'default_hooks.checkpoint.save_optimizer=False']


def _sweep_args(tiny_coco, tmp_path, work, trials, study='s1'):
    space = tmp_path / 'space.yaml'
    space.write_text(SPACE)
    return ['tools/sweep.py', DEMO_CONFIG, '--space', str(space), '--trials', str(trials), '--study', study,
            '--work-dir', str(work), '--sampler', 'random', '--cfg-options', *_options(tiny_coco, work)]


def _load(work, study='s1'):
    return optuna.load_study(study_name=study, storage=f'sqlite:///{work}/study.db')


def test_sweep_tool_runs_trials_reports_and_continues(tiny_coco, tmp_path):
    work = tmp_path / 'sweep'
    first = run_tool(_sweep_args(tiny_coco, tmp_path, work, 3))
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    study = _load(work)  # the SQLite study in the work dir, read back through Optuna
    assert [t.number for t in study.trials] == [0, 1, 2]
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials)
    for trial in study.trials:
        # each trial trained with its own sampled values, and its value is the best validation of its own run
        cfg = (work / f'trial_{trial.number}' / 'config.py').read_text()
        assert f"lr={trial.params['optim_wrapper.optimizer.lr']}" in cfg.replace(' ', '')
        history = metric_history(str(work / f'trial_{trial.number}'), 'coco/bbox_mAP')
        assert history and trial.value == max(v for _, v in history)
        assert trial.user_attrs['best_checkpoint'].startswith(str(work / f'trial_{trial.number}' / 'best_coco'))
    summary = json.loads((work / 'best_trial.json').read_text())
    assert summary['trial'] == study.best_trial.number and summary['value'] == study.best_value
    assert summary['params'] == study.best_params and summary['trials'] == {'COMPLETE': 3}
    assert f"best checkpoint: {summary['best_checkpoint']}" in first.stdout
    for png in ('optimization_history.png', 'param_importances.png', 'parallel_coordinate.png'):
        assert (work / png).stat().st_size > 5000, png

    second = run_tool(_sweep_args(tiny_coco, tmp_path, work, 1))
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    assert [t.number for t in _load(work).trials] == [0, 1, 2, 3]
    assert "study 's1': 4 complete" in second.stdout


def test_two_sweep_processes_share_one_sqlite_study(tiny_coco, tmp_path):
    work = tmp_path / 'shared'
    args = _sweep_args(tiny_coco, tmp_path, work, 2, study='shared')
    env = dict(os.environ, OMP_NUM_THREADS='1')  # two workers on a small machine: one core each
    workers = [subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    outputs = [w.communicate(timeout=600)[0] for w in workers]
    assert [w.returncode for w in workers] == [0, 0], outputs[0][-3000:] + outputs[1][-3000:]
    trials = _load(work, 'shared').trials
    assert sorted(t.number for t in trials) == [0, 1, 2, 3]
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in trials)
    assert len({t.user_attrs['work_dir'] for t in trials}) == 4


def test_parallel_2_runs_two_cpu_trials_at_once_on_one_sqlite_study(tiny_coco, tmp_path):
    """--parallel 2 on the CPU: 3 trials, 2 at a time (a slot is used again), each in its own process and work dir;
    none lost or doubled."""
    work = tmp_path / 'parallel'
    result = run_tool([*_sweep_args(tiny_coco, tmp_path, work, 3, study='par'), '--parallel', '2'])
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert 'mmext: 2 trial(s) at once: slot 0 (1 CPU process, ' in result.stdout
    trials = _load(work, 'par').trials
    assert sorted(t.number for t in trials) == [0, 1, 2]  # every trial once in the storage
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in trials)
    for trial in trials:
        folder = work / f'trial_{trial.number}'
        assert trial.user_attrs['work_dir'] == str(folder)
        assert f"lr={trial.params['optim_wrapper.optimizer.lr']}" in (folder / 'config.py').read_text().replace(' ', '')
        assert 'mmext: training finished' in (folder / 'train_stdout.log').read_text()
        assert trial.value == max(v for _, v in metric_history(str(folder), 'coco/bbox_mAP'))
        assert f'mmext: trial #{trial.number} complete, value {trial.value}' in result.stdout
    assert sorted(p.name for p in work.iterdir() if p.name.startswith('trial_')) == [f'trial_{n}' for n in range(3)]
    assert {t.user_attrs['slot'].split(' (')[0] for t in trials} == {'slot 0', 'slot 1'}
    # the two slots ran at the same time: some trial started before another one ended
    spans = sorted((t.datetime_start, t.datetime_complete) for t in trials)
    assert any(later[0] < earlier[1] for earlier, later in zip(spans, spans[1:]))


def test_parallel_on_a_storage_the_trials_cannot_share_is_one_line(tmp_path):
    space = tmp_path / 'space.yaml'
    space.write_text(SPACE)
    result = run_tool(['tools/sweep.py', DEMO_CONFIG, '--space', str(space), '--trials', '2', '--study', 'mem',
                       '--work-dir', str(tmp_path / 'w'), '--parallel', '2', '--storage', 'sqlite:///:memory:'])
    assert result.returncode == 1 and 'Traceback' not in result.stderr
    assert result.stderr.strip().splitlines() == [
        'error: storage sqlite:///:memory: is an in-memory database, which only this process sees; the trials run in '
        'their own processes: leave --storage out (a SQLite file in the work dir) or give a file']


def test_failed_trial_is_recorded_and_pruned_trial_stops(tiny_coco, tmp_path):
    space = tmp_path / 'space.yaml'
    space.write_text('model.backbone.depth: {type: categorical, choices: [7, 18]}\n')  # ResNet has no depth 7
    work = tmp_path / 'sweep'
    options = _options(tiny_coco, work, epochs=2) + ['train_cfg.val_interval=1']
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)  # parsed as tools/sweep.py parses them
    options = parser.parse_args(['--cfg-options', *options]).cfg_options
    # no trial can reach mAP 2.0: the pruner stops the real one after its first validation
    result = run_sweep(DEMO_CONFIG, str(space), 2, 'prune', work_dir=str(work), sampler='grid',
                       pruner=dict(type='ThresholdPruner', lower=2.0), cfg_options=options)
    states = {t.params['model.backbone.depth']: t for t in result.study.trials}
    failed, pruned = states[7], states[18]
    assert failed.state == optuna.trial.TrialState.FAIL
    assert 'invalid depth 7' in failed.user_attrs['fail_reason']
    assert f"trial #{failed.number} failed: " in result.report
    assert pruned.state == optuna.trial.TrialState.PRUNED and pruned.user_attrs['pruned_at'] == 1
    assert pruned.intermediate_values.keys() == {1}
    trial_dir = work / f'trial_{pruned.number}'
    assert (trial_dir / 'epoch_1.pth').exists() and not (trial_dir / 'epoch_2.pth').exists()
    assert result.summary is None and not (work / 'best_trial.json').exists()
