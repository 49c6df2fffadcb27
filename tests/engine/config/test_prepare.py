import pytest

import mmext  # noqa: F401
from mmext.engine.config.prepare import explain_build_error, load_config
from mmext.errors import ConfigError

DEMO = 'configs/demo/retinanet_r18_fpn_10e_demo.py'


def test_demo_config_loads_with_options():
    cfg = load_config(DEMO, {'train_cfg.max_epochs': 3})
    assert cfg.train_cfg.max_epochs == 3
    assert cfg.runner_type == 'MMExtRunner'
    assert cfg.model.backbone.depth == 18


def test_missing_config_suggests_close_names():
    with pytest.raises(ConfigError, match=r'does not exist\. Did you mean: .*retinanet_r18_fpn_10e_demo\.py'):
        load_config('configs/demo/retinanet_r18_fpn_10e_dem.py')


def test_config_syntax_error_names_file_and_line(tmp_path):
    bad = tmp_path / 'bad.py'
    bad.write_text('model = dict(\n  type="RetinaNet",,\n)\n')
    with pytest.raises(ConfigError, match='line 2'):
        load_config(str(bad))


def test_unregistered_type_lists_close_names():
    err = KeyError("class `RetinaNet` in mmdet/models/detectors/retinanet.py: 'BiFPNN is not in the "
                   "mmdet::model registry. Please check whether the value of `BiFPNN` is correct")
    readable = explain_build_error(err)
    assert isinstance(readable, ConfigError)
    assert "type='BiFPNN' is not registered in mmdet's 'model' registry" in str(readable)
    assert 'custom_imports' in str(readable)
    assert explain_build_error(KeyError('some other key')) is None
