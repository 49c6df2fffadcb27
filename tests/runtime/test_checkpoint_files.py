"""Atomic file writes, the disk-full error, and a full disk during a real run's checkpoint."""
import os

import pytest
from mmengine.hooks import Hook

from mmext.compat.checkpoint import safe_load_checkpoint
from mmext.runtime.crash_points import crash_points_passed
from mmext.errors import DiskFullError
from mmext.runtime.checkpoint_files import (atomic_backend_args, atomic_write_bytes,
                                        remove_stale_temp_files)
from tests.toy_training import toy_cfg


def _fail_at_next_write(monkeypatch, how: str = 'enospc') -> None:
    monkeypatch.setenv('MMEXT_TEST_CRASH_AT', f'{crash_points_passed() + 1}:{how}')


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / 'epoch_1.pth'
    atomic_write_bytes(b'old' * 1000, str(path))
    _fail_at_next_write(monkeypatch)
    with pytest.raises(DiskFullError) as err:
        atomic_write_bytes(b'new' * 1000, str(path))
    assert path.read_bytes() == b'old' * 1000
    assert os.listdir(tmp_path) == ['epoch_1.pth']
    message = str(err.value)
    assert message.startswith('disk full: no space left on the device of') and str(path) in message
    assert 'unchanged' in message and '--resume' in message


def test_written_file_has_the_usual_permissions(tmp_path):
    path = tmp_path / 'a.pth'
    atomic_write_bytes(b'x', str(path))
    umask = os.umask(0)
    os.umask(umask)
    assert (path.stat().st_mode & 0o777) == (0o666 & ~umask)


def test_stale_temporary_files_of_dead_processes_are_removed(tmp_path):
    dead = tmp_path / '.epoch_2.pth.mmext-tmp-999999999-abcd1234'
    live = tmp_path / f'.epoch_3.pth.mmext-tmp-{os.getpid()}-abcd1234'
    dead.write_bytes(b'half')
    live.write_bytes(b'being written')
    assert remove_stale_temp_files(str(tmp_path)) == [str(dead)]
    assert live.exists() and not dead.exists()


def test_backend_args_are_atomic_only_for_local_folders():
    assert atomic_backend_args('work_dirs/x') == dict(backend='mmext_atomic_local')
    assert atomic_backend_args('work_dirs/x', dict(backend='local')) == dict(backend='mmext_atomic_local')
    assert atomic_backend_args('s3://bucket/x') is None
    petrel = dict(backend='petrel', path_mapping={})
    assert atomic_backend_args('work_dirs/x', petrel) is petrel


class _DiskFullAtIteration(Hook):
    """Makes the next checkpoint write fail with ENOSPC once iteration ``at`` starts."""

    def __init__(self, at: int, monkeypatch) -> None:
        self.at, self.monkeypatch = at, monkeypatch

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        if runner.iter + 1 == self.at:
            _fail_at_next_write(self.monkeypatch)


def test_disk_full_during_a_run_keeps_the_previous_checkpoint_and_pointer(tmp_path, monkeypatch):
    """max_keep_ckpts=1: mmengine would already have deleted iter_1.pth when the save of iter_2.pth fails."""
    from mmext.engine import MMExtRunner
    runner = MMExtRunner.from_cfg(toy_cfg(tmp_path, by_epoch=False, max_iters=3,
                                          ckpt=dict(interval=1, max_keep_ckpts=1)))
    runner.register_hook(_DiskFullAtIteration(2, monkeypatch))
    with pytest.raises(DiskFullError, match='disk full'):
        runner.train()
    assert (tmp_path / 'last_checkpoint').read_text() == str(tmp_path / 'iter_1.pth')
    assert sorted(p.name for p in tmp_path.glob('*.pth')) == ['iter_1.pth']
    assert not list(tmp_path.glob('.*mmext-tmp*'))
    assert safe_load_checkpoint(str(tmp_path / 'iter_1.pth'))['meta']['iter'] == 1


class _DiskFullAfterValidation(Hook):
    """Makes the next write fail with ENOSPC after validation ``at`` (before the checkpoint hook saves a best)."""

    priority = 'NORMAL'

    def __init__(self, at: int, monkeypatch) -> None:
        self.at, self.monkeypatch = at, monkeypatch

    def after_val_epoch(self, runner, metrics=None) -> None:
        if runner.epoch == self.at:
            _fail_at_next_write(self.monkeypatch)


def test_previous_best_checkpoint_survives_a_failed_save_of_a_better_one(tmp_path, monkeypatch):
    """save_best: mmengine deletes the previous best before writing the new one; here it is deleted after."""
    from mmext.engine import MMExtRunner
    runner = MMExtRunner.from_cfg(toy_cfg(tmp_path, max_epochs=2))
    runner.register_hook(_DiskFullAfterValidation(2, monkeypatch))
    with pytest.raises(DiskFullError, match='best_toy_mse_epoch_2.pth'):
        runner.train()
    assert sorted(p.name for p in tmp_path.glob('best_*.pth')) == ['best_toy_mse_epoch_1.pth']
    assert safe_load_checkpoint(str(tmp_path / 'best_toy_mse_epoch_1.pth'))['meta']['epoch'] == 1
