from mmext.engine.config.diff import config_diff, flatten


def test_flatten_nested_dicts():
    assert flatten(dict(a=dict(b=1, c=dict(d=[1, 2])), e='x')) == {'a.b': 1, 'a.c.d': [1, 2], 'e': 'x'}


def test_diff_shows_what_a_config_changes_over_its_bases(tmp_path):
    (tmp_path / 'base.py').write_text('model = dict(depth=50, width=64)\nlr = 0.1\n')
    (tmp_path / 'exp.py').write_text("_base_ = ['./base.py']\nmodel = dict(depth=18, extra=True)\n")
    assert config_diff(str(tmp_path / 'exp.py')) == ['~ model.depth: 50 -> 18', '+ model.extra = True']


def test_diff_of_the_demo_model_against_mmdets_retinanet():
    lines = config_diff('configs/_base_/models/retinanet_r18_fpn.py')
    assert '~ model.backbone.depth: 50 -> 18' in lines
    assert '~ model.backbone.frozen_stages: 1 -> -1' in lines


def test_diff_honours_cfg_options_and_leaves_no_file(tmp_path, monkeypatch):
    import tempfile
    (tmp_path / 'base.py').write_text('train_cfg = dict(max_epochs=12)\nlr = 0.1\n')
    (tmp_path / 'exp.py').write_text("_base_ = ['./base.py']\nlr = 0.2\n")
    scratch = tmp_path / 'tmp'
    scratch.mkdir()
    monkeypatch.setattr(tempfile, 'tempdir', str(scratch))  # where any temporary file would go
    lines = config_diff(str(tmp_path / 'exp.py'), {'train_cfg.max_epochs': 3, 'lr': 0.1, 'extra': 'x'})
    assert lines == ["+ extra = 'x'", '~ train_cfg.max_epochs: 12 -> 3']  # lr given back its base value
    assert list(scratch.iterdir()) == []


def test_print_config_diff_with_options(tmp_path, capsys):
    from tests.datasets.coco_builder import load_tool
    (tmp_path / 'base.py').write_text('lr = 0.1\n')
    (tmp_path / 'exp.py').write_text("_base_ = ['./base.py']\n")
    tool = load_tool('print_config')
    assert tool.main([str(tmp_path / 'exp.py'), '--diff']) == 0
    assert 'nothing differs from the _base_ files' in capsys.readouterr().out
    assert tool.main([str(tmp_path / 'exp.py'), '--diff', '--cfg-options', 'lr=0.5']) == 0
    assert capsys.readouterr().out.strip() == '~ lr: 0.1 -> 0.5'
