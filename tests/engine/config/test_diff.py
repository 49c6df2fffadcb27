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
