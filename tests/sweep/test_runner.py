"""run_sweep's checks before any trial, and the line printed when a trial in its own process ends."""
import optuna
import pytest

from mmext.errors import SweepError
from mmext.sweep import run_sweep
from mmext.sweep.runner import print_trial_end
from tests.conftest import DEMO_CONFIG


def test_more_gpus_per_trial_than_visible_stops_before_any_trial(tmp_path):
    with pytest.raises(SweepError, match=r'--gpus-per-trial 4: only 2 CUDA GPU\(s\) are visible here'):
        run_sweep(DEMO_CONFIG, str(tmp_path / 'never_read.yaml'), 2, 'g', work_dir=str(tmp_path / 'w'),
                  gpus_per_trial=4, gpus=['0', '1'])
    assert not (tmp_path / 'w').exists()


def test_fewer_than_one_trial_is_refused(tmp_path):
    with pytest.raises(SweepError, match='--trials must be >= 1, got 0'):
        run_sweep(DEMO_CONFIG, str(tmp_path / 'never_read.yaml'), 0, 'z', work_dir=str(tmp_path / 'w'))
    assert not (tmp_path / 'w').exists()


def test_trial_end_lines(capsys):
    dist = dict(lr=optuna.distributions.FloatDistribution(0, 1))
    for state, value, attrs in ((optuna.trial.TrialState.COMPLETE, 0.25, dict(seconds=12.5)),
                                (optuna.trial.TrialState.PRUNED, None, dict(seconds=3.0, pruned_at=2)),
                                (optuna.trial.TrialState.FAIL, None, dict(seconds=1.0, fail_reason='boom'))):
        trial = optuna.trial.create_trial(state=state, value=value, params=dict(lr=0.1), distributions=dist,
                                          user_attrs=attrs)
        trial.number = 4
        print_trial_end(None, trial)
    assert capsys.readouterr().out.splitlines() == ['mmext: trial #4 complete, value 0.25 (12.5 s)',
                                                    'mmext: trial #4 pruned at step 2 (3.0 s)',
                                                    'mmext: trial #4 failed: boom (1.0 s)']
