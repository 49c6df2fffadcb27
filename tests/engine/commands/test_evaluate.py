import json

import pytest
from mmengine.config import Config

from mmext.engine.commands.evaluate import configure_test, split_has_annotations
from mmext.errors import ConfigError


def _cfg(tmp_path, annotations: bool) -> Config:
    ann = tmp_path / 'test.json'
    content = dict(images=[dict(id=1, file_name='a.jpg', width=4, height=4)], categories=[dict(id=1, name='a')])
    if annotations:
        content['annotations'] = [dict(id=1, image_id=1, category_id=1, bbox=[0, 0, 2, 2], area=4, iscrowd=0)]
    ann.write_text(json.dumps(content))
    return Config(dict(test_dataloader=dict(dataset=dict(type='CocoDataset', data_root=str(tmp_path),
                                                         ann_file='test.json')),
                       test_evaluator=dict(type='CocoMetric', ann_file=str(ann)),
                       default_hooks=dict(visualization=dict(type='DetVisualizationHook'))))


def test_flags_reach_the_metric_and_hooks(tmp_path):
    ckpt = tmp_path / 'c.pth'
    ckpt.write_bytes(b'')
    cfg = configure_test(_cfg(tmp_path, True), 'configs/x.py', str(ckpt), out=str(tmp_path / 'r.json'),
                         show_dir=str(tmp_path / 'vis'), classwise=True, score_thr=0.5)
    assert cfg.load_from == str(ckpt) and cfg.work_dir == 'work_dirs/x'
    assert cfg.test_evaluator.classwise is True
    assert cfg.test_evaluator.outfile_prefix == str(tmp_path / 'r')
    assert 'format_only' not in cfg.test_evaluator
    assert cfg.custom_hooks[-1] == dict(type='SavePredictionsHook', out_dir=str(tmp_path / 'vis'), score_thr=0.5)


def test_split_without_annotations(tmp_path):
    ckpt = tmp_path / 'c.pth'
    ckpt.write_bytes(b'')
    assert not split_has_annotations(_cfg(tmp_path, False))
    with pytest.raises(ConfigError, match='no annotations.*--out results.json'):
        configure_test(_cfg(tmp_path, False), 'x.py', str(ckpt))
    cfg = configure_test(_cfg(tmp_path, False), 'x.py', str(ckpt), out=str(tmp_path / 'sub.json'))
    assert cfg.test_evaluator.format_only is True


def test_missing_checkpoint(tmp_path):
    with pytest.raises(ConfigError, match='nope.pth does not exist'):
        configure_test(_cfg(tmp_path, True), 'x.py', str(tmp_path / 'nope.pth'))


def test_pkl_out_analysis_and_tta(tmp_path):
    ckpt = tmp_path / 'c.pth'
    ckpt.write_bytes(b'')
    cfg = _cfg(tmp_path, True)
    cfg.test_dataloader.dataset.pipeline = [dict(type='LoadImageFromFile'), dict(type='PackDetInputs')]
    cfg.model = dict(type='RetinaNet')
    with pytest.warns(UserWarning, match='no tta_model'):
        configure_test(cfg, 'x.py', str(ckpt), out=str(tmp_path / 'r.pkl'), analysis=str(tmp_path / 'an'), tta=True)
    coco, dump = cfg.test_evaluator
    assert dump == dict(type='DumpDetResults', out_file_path=str(tmp_path / 'r.pkl'))
    assert coco.outfile_prefix == str(tmp_path / 'an' / 'results')  # the json --analysis reads
    assert cfg.model.type == 'DetTTAModel' and cfg.model.module == dict(type='RetinaNet')
    assert cfg.test_dataloader.dataset.pipeline[-1].type == 'TestTimeAug'
    with pytest.raises(ConfigError, match='a .json .* or a .pkl'):
        configure_test(_cfg(tmp_path, True), 'x.py', str(ckpt), out=str(tmp_path / 'r.txt'))
    with pytest.raises(ConfigError, match='--analysis compares predictions with the ground truth'):
        configure_test(_cfg(tmp_path, False), 'x.py', str(ckpt), out=str(tmp_path / 's.json'), analysis='an')
