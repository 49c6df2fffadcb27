"""The sweep's report on real Optuna studies (in memory and SQLite): best trial, counts, plots, printed lines."""
import json

import optuna
import pytest

from mmext.sweep.report import best_trial_summary, format_report, trial_counts, write_plots, write_summary

optuna.logging.set_verbosity(optuna.logging.WARNING)


def _objective(trial):
    x = trial.suggest_float('lr', 0.0, 1.0)
    y = trial.suggest_categorical('batch', [4, 8])
    trial.set_user_attr('work_dir', f'/sweep/trial_{trial.number}')
    trial.set_user_attr('best_checkpoint', f'/sweep/trial_{trial.number}/best.pth')
    if trial.number == 3:
        trial.set_user_attr('fail_reason', 'TrialFailure: no finite metric')
        raise RuntimeError('no finite metric')
    if trial.number == 4:
        raise optuna.TrialPruned()
    return x * (2 if y == 8 else 1)


@pytest.fixture(params=['memory', 'sqlite'])
def study(request, tmp_path):
    storage = None if request.param == 'memory' else f'sqlite:///{tmp_path}/study.db'
    study = optuna.create_study(study_name='s', storage=storage, direction='maximize',
                                sampler=optuna.samplers.RandomSampler(seed=0))
    study.optimize(_objective, n_trials=6, catch=(RuntimeError,))
    return study


def test_summary_names_the_best_trial_its_values_and_the_counts(study, tmp_path):
    best = study.best_trial
    assert trial_counts(study) == {'COMPLETE': 4, 'FAIL': 1, 'PRUNED': 1}
    summary = write_summary(study, 'coco/bbox_mAP', str(tmp_path))
    assert summary == json.loads((tmp_path / 'best_trial.json').read_text())
    assert summary['trial'] == best.number and summary['value'] == best.value == max(
        t.value for t in study.trials if t.value is not None)
    assert summary['params'] == best.params and summary['direction'] == 'maximize'
    assert summary['best_checkpoint'] == f'/sweep/trial_{best.number}/best.pth'
    assert summary['trials'] == {'COMPLETE': 4, 'FAIL': 1, 'PRUNED': 1}


def test_the_printed_report_holds_the_table_and_each_failure(study, tmp_path):
    summary = best_trial_summary(study, 'coco/bbox_mAP')
    plots, skipped = write_plots(study, 'coco/bbox_mAP', str(tmp_path))
    assert sorted(p.rsplit('/', 1)[1] for p in plots) == [
        'optimization_history.png', 'parallel_coordinate.png', 'param_importances.png']
    assert all((tmp_path / p.rsplit('/', 1)[1]).stat().st_size > 5000 for p in plots) and skipped == {}
    lines = format_report(study, summary, plots, skipped).splitlines()
    assert lines[0] == "mmext: study 's': 4 complete, 1 fail, 1 pruned"
    assert lines[1] == f"  best trial:      #{summary['trial']}  coco/bbox_mAP = {summary['value']:.4f}"
    assert lines[2:4] == [f"    lr = {summary['params']['lr']}", f"    batch = {summary['params']['batch']}"]
    assert '  trial #3 failed: TrialFailure: no finite metric' in lines


def test_a_study_without_a_complete_trial_says_so_and_skips_the_plots(tmp_path):
    study = optuna.create_study(study_name='none')
    study.optimize(lambda t: (_ for _ in ()).throw(optuna.TrialPruned()), n_trials=2)
    assert best_trial_summary(study, 'm') is None and write_summary(study, 'm', str(tmp_path)) is None
    assert not (tmp_path / 'best_trial.json').exists()
    plots, skipped = write_plots(study, 'm', str(tmp_path))
    assert plots == [] and set(skipped.values()) == {'needs one or more complete trials'}
    text = format_report(study, None, plots, skipped)
    assert "no trial completed: see each trial's fail_reason" in text
    assert '(no param_importances.png: needs one or more complete trials)' in text
