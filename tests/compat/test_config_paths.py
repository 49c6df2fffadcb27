"""'mmext::' and '<plugin>::' config bases (the version-guarded wrap of mmengine's Config._get_cfg_path)."""
import mmdet
import pytest
from mmengine.config import Config

import mmext  # noqa: F401
from mmext.compat import config_paths
from mmext.compat.config_paths import CONFIG_FOLDERS, add_config_folder, install_config_folders
from mmext.engine.config.prepare import load_config
from mmext.errors import ConfigError
from tests.conftest import DEMO_CONFIG, ROOT, run_tool


@pytest.fixture
def folders():
    saved = dict(CONFIG_FOLDERS)
    yield CONFIG_FOLDERS
    CONFIG_FOLDERS.clear()
    CONFIG_FOLDERS.update(saved)


def test_mmext_base_from_another_folder_equals_the_config_itself(tmp_path):
    mine = tmp_path / 'mine.py'
    mine.write_text("_base_ = 'mmext::demo/retinanet_r18_fpn_10e_demo.py'\n")
    assert Config.fromfile(str(mine)).to_dict() == Config.fromfile(str(ROOT / DEMO_CONFIG)).to_dict()


def test_plugin_folder_base_resolves_and_mmdet_still_does(tmp_path, folders):
    (tmp_path / 'plug' / 'models').mkdir(parents=True)
    (tmp_path / 'plug' / 'models' / 'm.py').write_text(
        "_base_ = 'mmdet::_base_/models/retinanet_r50_fpn.py'\nmodel = dict(neck=dict(out_channels=32))\n")
    add_config_folder('plug', str(tmp_path / 'plug'))
    mine = tmp_path / 'mine.py'
    mine.write_text("_base_ = ['plug::models/m.py', 'mmext::_base_/schedules/adamw_cosine_10e.py']\n")
    cfg = Config.fromfile(str(mine))
    assert cfg.model.type == 'RetinaNet' and cfg.model.neck.out_channels == 32
    assert cfg.model._scope_ == 'mmdet'  # from mmdet's own base, unchanged
    assert cfg.optim_wrapper.optimizer.type == 'AdamW'


def test_unknown_prefix_and_missing_file_are_config_errors(tmp_path):
    mine = tmp_path / 'mine.py'
    mine.write_text("_base_ = 'exampel::demo/x.py'\n")
    with pytest.raises(ConfigError, match=r"no config folder is called 'exampel::' \(known: mmext, mmdet"):
        load_config(str(mine))
    mine.write_text("_base_ = 'mmext::_base_/default_runtim.py'\n")
    with pytest.raises(ConfigError, match=r'no file .*default_runtim\.py\. Did you mean: default_runtime\.py\?'):
        load_config(str(mine))


def test_folder_names_cannot_take_an_openmmlab_package_or_move(tmp_path, folders):
    with pytest.raises(ConfigError, match="'mmdet::' already means the configs of the 'mmdet' package"):
        add_config_folder('mmdet', str(tmp_path))
    with pytest.raises(ConfigError, match="'mmext::' already resolves to"):
        add_config_folder('mmext', str(tmp_path))
    with pytest.raises(ConfigError, match='does not exist'):
        add_config_folder('x', str(tmp_path / 'nope'))


def test_unknown_mmengine_version_is_not_patched(monkeypatch):
    import mmengine
    before = Config._get_cfg_path
    monkeypatch.setattr(mmengine, '__version__', '0.11.0')
    with pytest.warns(UserWarning, match='not available with mmengine 0.11.0'):
        assert install_config_folders() is False
    assert Config._get_cfg_path is before
    assert config_paths.mmengine_supported('0.10.7') and not config_paths.mmengine_supported('1.0.0')


def test_installing_again_wraps_mmengines_function_once():
    install_config_folders()
    wrapped = Config._get_cfg_path
    original = wrapped.__mmext_wrapped__
    assert not hasattr(original, '__mmext_wrapped__') and original.__module__ == 'mmengine.config.config'


def test_mmdets_own_tools_need_mmext_imported_first(tmp_path):
    """mmengine reads _base_ before custom_imports, so mmdet's tools alone cannot resolve 'mmext::'; through
    tools/with_mmext.py (mmext imported, then mmdet's script run) they can."""
    mine = tmp_path / 'mine.py'
    mine.write_text("_base_ = 'mmext::demo/retinanet_r18_fpn_10e_demo.py'\n")
    script = f'{mmdet.__path__[0]}/.mim/tools/misc/print_config.py'
    alone = run_tool([script, str(mine)], timeout=300)
    assert alone.returncode != 0 and 'mmengine does not support to load mmext config' in alone.stderr
    wrapped = run_tool(['tools/with_mmext.py', 'misc/print_config.py', str(mine)], timeout=300)
    assert wrapped.returncode == 0, wrapped.stderr[-3000:]
    assert "runner_type = 'MMExtRunner'" in wrapped.stdout
