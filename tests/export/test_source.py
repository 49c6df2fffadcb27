"""The detector to export: a config and checkpoint, or a work dir (its config, its latest checkpoint)."""
import pytest
import torch

from mmext.errors import CheckpointError, ConfigError
from mmext.export import load_detector
from mmext.export.source import resolve


def test_checkpoint_mismatch_names_the_keys(demo_work_dir, tmp_path):
    state = torch.load(sorted(demo_work_dir.glob('epoch_*.pth'))[-1], map_location='cpu', weights_only=False)
    state['state_dict'].pop('bbox_head.retina_cls.weight')
    torch.save(state, tmp_path / 'broken.pth')
    with pytest.raises(CheckpointError, match=r'does not fit config .*missing: bbox_head.retina_cls.weight'):
        load_detector(str(demo_work_dir), str(tmp_path / 'broken.pth'))


def test_a_work_dir_gives_its_config_and_the_checkpoint_last_checkpoint_names(tmp_path):
    (tmp_path / 'model.py').write_text('')
    for name in ('epoch_2.pth', 'epoch_10.pth', 'epoch_9.pth'):
        (tmp_path / name).write_bytes(b'')
    # no pointer: the newest by number (epoch_10 after epoch_9, not as text sorts)
    assert resolve(str(tmp_path)) == (str(tmp_path / 'model.py'), str(tmp_path / 'epoch_10.pth'))
    (tmp_path / 'last_checkpoint').write_text(f"{tmp_path / 'epoch_2.pth'}\n")
    assert resolve(str(tmp_path))[1] == str(tmp_path / 'epoch_2.pth')
    assert resolve(str(tmp_path), 'mine.pth')[1] == 'mine.pth'  # one given wins
    assert resolve(str(tmp_path / 'model.py'), 'mine.pth') == (str(tmp_path / 'model.py'), 'mine.pth')


def test_what_resolve_cannot_find_is_one_line(tmp_path):
    with pytest.raises(ConfigError, match='no config'):
        resolve(str(tmp_path))
    (tmp_path / 'model.py').write_text('')
    with pytest.raises(CheckpointError, match=r'no checkpoint \(\*.pth\) in this work dir'):
        resolve(str(tmp_path))
    with pytest.raises(CheckpointError, match='pass the checkpoint after the config'):
        resolve(str(tmp_path / 'model.py'))
    with pytest.raises(ConfigError, match='is neither a config file nor a work dir'):
        resolve(str(tmp_path / 'nothing'))


def test_a_checkpoint_without_class_names_is_refused(demo_work_dir, tmp_path):
    state = torch.load(sorted(demo_work_dir.glob('epoch_*.pth'))[-1], map_location='cpu', weights_only=False)
    torch.save(dict(state_dict=state['state_dict']), tmp_path / 'bare.pth')
    with pytest.raises(CheckpointError, match=r'has no class names .*export needs a checkpoint saved by training'):
        load_detector(str(demo_work_dir), str(tmp_path / 'bare.pth'))
    (tmp_path / 'broken.pth').write_bytes(b'not a checkpoint')
    with pytest.raises(CheckpointError, match='broken.pth') as err:  # refused or unreadable: the file named
        load_detector(str(demo_work_dir), str(tmp_path / 'broken.pth'))
    assert '\n' not in str(err.value)
