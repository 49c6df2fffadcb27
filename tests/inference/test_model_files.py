"""Finding a model's config and checkpoint from a work dir, a config or a checkpoint."""
import os
import time

import pytest

from mmext.errors import CheckpointError, ConfigError
from mmext.inference.model_files import latest_checkpoint, resolve_model_files, work_dir_config


def _touch(path, text='x', age=0.0):
    path.write_text(text)
    stamp = time.time() - age
    os.utime(path, (stamp, stamp))
    return path


def test_latest_checkpoint_follows_the_pointer_then_the_newest_file(tmp_path):
    old, new = _touch(tmp_path / 'epoch_1.pth', age=100), _touch(tmp_path / 'epoch_2.pth')
    _touch(tmp_path / '.epoch_3.pth.mmext-tmp-1-ab')  # a save in progress is never picked
    assert latest_checkpoint(str(tmp_path)) == str(new)
    (tmp_path / 'last_checkpoint').write_text(str(old))
    assert latest_checkpoint(str(tmp_path)) == str(old)
    # written on another machine, or before the work dir moved: the same name in this work dir
    (tmp_path / 'last_checkpoint').write_text('/elsewhere/work_dirs/exp1/epoch_1.pth')
    assert latest_checkpoint(str(tmp_path)) == str(tmp_path / 'epoch_1.pth')


def test_a_work_dir_without_checkpoint_is_one_clear_error(tmp_path):
    with pytest.raises(CheckpointError, match='holds no checkpoint'):
        latest_checkpoint(str(tmp_path))


def test_the_dumped_config_of_the_checkpoints_run_is_picked_among_several(tmp_path):
    assert work_dir_config(str(tmp_path)) is None
    _touch(tmp_path / 'a.py')
    assert work_dir_config(str(tmp_path)) == str(tmp_path / 'a.py')
    _touch(tmp_path / 'a_b.py')
    assert work_dir_config(str(tmp_path), 'a_b_20261201_101010') == str(tmp_path / 'a_b.py')
    assert work_dir_config(str(tmp_path), 'a_20261201_101010') == str(tmp_path / 'a.py')
    assert work_dir_config(str(tmp_path), 'other_20261201_101010') is None  # then the checkpoint's own config


def test_resolve_work_dir_config_and_checkpoint(tmp_path):
    ckpt = _touch(tmp_path / 'epoch_1.pth')
    cfg = _touch(tmp_path / 'exp.py')
    assert resolve_model_files(str(tmp_path)).checkpoint == str(ckpt)
    assert resolve_model_files(str(tmp_path)).search_dir == str(tmp_path)
    assert resolve_model_files(str(cfg)).checkpoint == str(ckpt)  # a config in a work dir: its checkpoint
    alone = resolve_model_files(str(ckpt))
    assert alone.checkpoint == str(ckpt) and alone.config is None and alone.search_dir == str(tmp_path)
    with pytest.raises(ConfigError, match='does not exist: pass a work dir'):
        resolve_model_files(str(tmp_path / 'nope'))
    with pytest.raises(CheckpointError, match='checkpoint .*missing.pth does not exist'):
        resolve_model_files(str(cfg), str(tmp_path / 'missing.pth'))
    lone_cfg = _touch(tmp_path.parent / f'{tmp_path.name}_lone.py')
    with pytest.raises(CheckpointError, match='no checkpoint given for config'):
        resolve_model_files(str(lone_cfg))
