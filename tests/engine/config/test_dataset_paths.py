"""The files a config names are checked before anything is built, each named by its config key."""
import pytest

from mmext.engine.config.dataset_paths import check_dataset_paths, check_evaluator_paths
from mmext.errors import ConfigError


def test_missing_dataset_paths_are_named(tmp_path):
    (tmp_path / 'ann.json').write_text('{}')
    ok = dict(data_root=str(tmp_path), ann_file='ann.json', data_prefix=dict(img=''))
    check_dataset_paths(ok, 'train_dataloader.dataset')
    with pytest.raises(ConfigError, match=r"train_dataloader\.dataset\.ann_file: .*missing\.json' does not exist"):
        check_dataset_paths(dict(ok, ann_file='missing.json'), 'train_dataloader.dataset')
    with pytest.raises(ConfigError, match=r"data_prefix\.img: image folder .*imgs' does not exist"):
        check_dataset_paths(dict(ok, data_prefix=dict(img='imgs')), 'train_dataloader.dataset')
    wrapped = dict(type='RepeatDataset', times=2, dataset=dict(ok, ann_file='missing.json'))
    with pytest.raises(ConfigError, match='missing.json'):
        check_dataset_paths(wrapped, 'train_dataloader.dataset')
    with pytest.raises(ConfigError, match='make_demo_data'):
        check_evaluator_paths(dict(type='CocoMetric', ann_file='data/demo/annotations/nope.json'), 'val_evaluator')


def test_paths_are_joined_to_data_root_as_mmengine_joins_them(tmp_path):
    (tmp_path / 'imgs').mkdir()
    (tmp_path / 'ann.json').write_text('{}')
    check_dataset_paths(dict(data_root=str(tmp_path), ann_file='ann.json', data_prefix=dict(img='imgs')), 'd')
    check_dataset_paths(dict(data_root='/nowhere', ann_file=str(tmp_path / 'ann.json'),
                             data_prefix=dict(img=str(tmp_path / 'imgs'))), 'd')  # absolute paths stay as they are
    check_dataset_paths(dict(ann_file='', data_prefix=dict(img='https://example.com/imgs/')), 'd')  # not checked
    with pytest.raises(ConfigError, match=r"d\.data_prefix\.img: image folder '/nowhere/imgs' does not exist"):
        check_dataset_paths(dict(data_root='/nowhere', ann_file=str(tmp_path / 'ann.json'),
                                 data_prefix=dict(img='imgs')), 'd')


def test_every_metric_of_an_evaluator_is_checked(tmp_path):
    good = tmp_path / 'val.json'
    good.write_text('{}')
    check_evaluator_paths([dict(type='CocoMetric', ann_file=str(good)), dict(type='VOCMetric')], 'val_evaluator')
    with pytest.raises(ConfigError, match=r"val_evaluator\.ann_file: annotation file '.*gone\.json'"):
        check_evaluator_paths(dict(metrics=[dict(ann_file=str(good)), dict(ann_file=str(tmp_path / 'gone.json'))]),
                              'val_evaluator')
