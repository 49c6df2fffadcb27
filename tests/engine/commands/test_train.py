import pytest
from mmengine.config import Config

from mmext.engine.commands.train import TrainResult, configure, format_summary
from mmext.errors import ConfigError


def _cfg(**extra) -> Config:
    return Config(dict(optim_wrapper=dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.1)), **extra))


def test_default_work_dir_is_named_after_the_config():
    cfg = configure(_cfg(), 'configs/demo/my_config.py')
    assert cfg.work_dir == 'work_dirs/my_config'
    assert cfg.runner_type == 'MMExtRunner'
    assert cfg.launcher == 'none'


def test_resume_auto_and_explicit(tmp_path):
    cfg = configure(_cfg(load_from='x.pth'), 'c.py', resume='auto')
    assert cfg.resume is True and cfg.load_from is None
    ckpt = tmp_path / 'epoch_1.pth'
    ckpt.write_bytes(b'')
    cfg = configure(_cfg(), 'c.py', resume=str(ckpt))
    assert cfg.resume is True and cfg.load_from == str(ckpt)
    with pytest.raises(ConfigError, match='no such checkpoint'):
        configure(_cfg(), 'c.py', resume=str(tmp_path / 'nope.pth'))


def test_auto_scale_lr_needs_a_base_batch_size():
    with pytest.raises(ConfigError, match='base_batch_size'):
        configure(_cfg(), 'c.py', auto_scale_lr=True)
    cfg = configure(_cfg(auto_scale_lr=dict(enable=False, base_batch_size=16)), 'c.py', auto_scale_lr=True)
    assert cfg.auto_scale_lr.enable is True


def test_amp_without_cuda_is_a_clear_error():
    import torch
    if torch.cuda.is_available():
        cfg = configure(_cfg(), 'c.py', amp=True)
        assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    else:
        with pytest.raises(ConfigError, match='--amp needs a CUDA GPU .* none is visible here; drop --amp to train '
                                              'in full precision on the CPU'):
            configure(_cfg(), 'c.py', amp=True)


@pytest.mark.parametrize('given, expected', [('OptimWrapper', 'AmpOptimWrapper'),
                                             ('NonFiniteGuardOptimWrapper', 'NonFiniteGuardAmpOptimWrapper'),
                                             ('AmpOptimWrapper', 'AmpOptimWrapper')])
def test_amp_switches_each_wrapper_to_its_amp_variant(monkeypatch, given, expected):
    monkeypatch.setattr('torch.cuda.is_available', lambda: True)
    cfg = _cfg()
    cfg.optim_wrapper.type = given
    cfg = configure(cfg, 'c.py', amp=True)
    assert cfg.optim_wrapper.type == expected and cfg.optim_wrapper.loss_scale == 'dynamic'


def test_amp_on_an_unknown_wrapper_is_a_clear_error(monkeypatch):
    monkeypatch.setattr('torch.cuda.is_available', lambda: True)
    cfg = _cfg()
    cfg.optim_wrapper.type = 'MyWrapper'
    with pytest.raises(ConfigError, match="not 'MyWrapper'; set an AMP wrapper in the config"):
        configure(cfg, 'c.py', amp=True)


def test_summary_leads_with_the_bbox_map():
    text = format_summary(TrainResult(work_dir='w', seconds=125, metrics={'coco/bbox_mAP': 0.6543,
                                                                           'coco/bbox_mAP_50': 0.9},
                                      checkpoint='w/epoch_2.pth', predictions_png='w/predictions.png'))
    lines = text.splitlines()
    assert lines[0] == 'mmext: training finished in 2m05s'
    assert 'bbox mAP (val):  0.654' in lines[1]
    assert 'w/epoch_2.pth' in text and 'w/predictions.png' in text


def test_summary_says_when_there_was_nothing_to_evaluate():
    text = format_summary(TrainResult(work_dir='w', seconds=3, metrics={'time': 1.0}))
    assert 'bbox mAP (val):  none: the model made no detections' in text
