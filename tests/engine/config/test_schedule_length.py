"""--cfg-options train_cfg.max_epochs=N: the schedules that ended at the old length end at the new one."""
import pytest

from mmengine.config import Config

from mmext.engine.config.prepare import load_config
from mmext.engine.config.schedule_length import follow_max_epochs
from tests.conftest import ROOT

DEMO = str(ROOT / 'configs/demo/retinanet_r18_fpn_10e_demo.py')


def _schedulers(cfg):
    return {s['type']: s for s in cfg.param_scheduler}


def test_cosine_of_the_demo_ends_with_the_shortened_run():
    cfg = load_config(DEMO, {'train_cfg.max_epochs': 2})
    cosine, warmup = _schedulers(cfg)['CosineAnnealingLR'], _schedulers(cfg)['LinearLR']
    assert (cosine.end, cosine.T_max, cfg.train_cfg.max_epochs) == (2, 2, 2)
    assert (warmup.begin, warmup.end, warmup.by_epoch) == (0, 50, False)  # iteration warm-up as written


def test_the_change_is_said():
    cfg = Config.fromfile(DEMO)
    cfg.merge_from_dict({'train_cfg.max_epochs': 3})
    assert follow_max_epochs(cfg, 10, {'train_cfg.max_epochs': 3}) == [
        'param_scheduler follows train_cfg.max_epochs=3 (was 10): CosineAnnealingLR: end 10 -> 3, T_max 10 -> 3']


def test_step_milestones_scale_like_mmdet_1x_to_2x(tmp_path):
    config = tmp_path / 'step.py'
    config.write_text("train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=12)\n"
                      "param_scheduler = [dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=500),\n"
                      "                   dict(type='MultiStepLR', begin=0, end=12, by_epoch=True, milestones=[8, 11])]\n")
    assert _schedulers(load_config(str(config), {'train_cfg.max_epochs': 24}))['MultiStepLR'].milestones == [16, 22]
    short = _schedulers(load_config(str(config), {'train_cfg.max_epochs': 2}))['MultiStepLR']
    assert (short.end, short.milestones) == (2, [1, 1])


@pytest.mark.parametrize('options', [{'train_cfg.max_epochs': 10},
                                     {'train_cfg.max_epochs': 2, 'param_scheduler.1.end': 7}])
def test_left_as_written_when_the_length_is_unchanged_or_the_schedule_is_given(options):
    cosine = _schedulers(load_config(DEMO, options))['CosineAnnealingLR']
    assert cosine.T_max == 10 and cosine.end == options.get('param_scheduler.1.end', 10)
