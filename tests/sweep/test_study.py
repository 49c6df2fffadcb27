"""Samplers, pruners and storage of a study."""
import optuna
import pytest


def test_pruner_specs():
    from mmext.errors import SweepError
    from mmext.sweep.study import make_pruner
    assert isinstance(make_pruner('median'), optuna.pruners.MedianPruner)
    assert isinstance(make_pruner('none'), optuna.pruners.NopPruner)
    assert make_pruner(dict(type='ThresholdPruner', lower=0.2))._lower == 0.2
    with pytest.raises(SweepError, match="pruner type 'Bogus' is not one of Optuna's pruners"):
        make_pruner(dict(type='Bogus'))
    with pytest.raises(SweepError, match="pruner 'mean' is not one of median, none"):
        make_pruner('mean')


def test_storage_that_parallel_trials_cannot_share_is_refused(tmp_path):
    from mmext.sweep.study import SweepError, check_concurrent_storage
    with pytest.raises(SweepError, match=r'^storage sqlite:///:memory: is an in-memory database, which only this '
                                         r'process sees; the trials run in their own processes'):
        check_concurrent_storage('sqlite:///:memory:', 2, in_process=False)
    check_concurrent_storage('sqlite:///:memory:', 1, in_process=True)  # one trial at a time, in this process
    check_concurrent_storage(f'sqlite:///{tmp_path}/study.db', 2, in_process=False)  # a few processes: fine
    with pytest.raises(SweepError, match=r'9 trials at once on SQLite .* use a journal file \(--storage '
                                         r'journal:///path/to/study.log\) or a PostgreSQL/MySQL URL'):
        check_concurrent_storage(f'sqlite:///{tmp_path}/study.db', 9, in_process=False)
    check_concurrent_storage('postgresql://user@host/db', 64, in_process=False)


def test_sqlite_on_a_network_file_system_is_refused_for_parallel_trials(tmp_path, monkeypatch):
    from mmext.sweep import study
    mounts = tmp_path / 'mounts'
    mounts.write_text(f'/dev/sda1 / ext4 rw 0 0\nserver:/home {tmp_path}/shared nfs4 rw 0 0\n')
    (tmp_path / 'shared' / 'sweep').mkdir(parents=True)
    assert study.filesystem_type(f'{tmp_path}/shared/sweep/study.db', str(mounts)) == 'nfs4'
    assert study.filesystem_type(f'{tmp_path}/local.db', str(mounts)) == 'ext4'
    monkeypatch.setattr(study, 'filesystem_type', lambda path: 'nfs4')
    with pytest.raises(study.SweepError, match='the SQLite file is on a nfs4 file system, whose file locks SQLite '
                                               'cannot rely on, and 2 trials would write it at once; use a journal'):
        study.check_concurrent_storage(f'sqlite:///{tmp_path}/shared/sweep/study.db', 2, in_process=False)
    study.check_concurrent_storage(f'sqlite:///{tmp_path}/shared/sweep/study.db', 1, in_process=False)


def test_a_journal_file_holds_a_study_that_a_second_run_continues(tmp_path):
    from mmext.sweep.study import create_or_load_study, make_pruner, make_sampler
    url = f'journal://{tmp_path}/sweep/study.log'

    def open_study():
        return create_or_load_study('j', url, 'maximize', make_sampler('random', seed=0), make_pruner('none'))

    open_study().optimize(lambda trial: trial.suggest_float('x', 0, 1), n_trials=2)
    assert (tmp_path / 'sweep' / 'study.log').is_file()
    assert len(open_study().trials) == 2
