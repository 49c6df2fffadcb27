"""Repeat factor sampling: mmengine's ClassBalancedDataset around CustomCocoDataset (classes from the json, a
Roboflow-style placeholder category), the factors mmext computes for it, and tools/browse_dataset.py's table."""
import math

import numpy as np
import pytest
from mmdet.registry import DATASETS
from mmengine.config import Config
from mmengine.dataset import ClassBalancedDataset
from mmengine.registry import init_default_scope

import mmext  # noqa: F401
from mmext.datasets.class_balance import repeat_factors
from mmext.engine.config.prepare import prepare_config
from mmext.errors import DatasetError
from tests.datasets.coco_builder import WIDTH, HEIGHT, load_tool, write_coco

# 10 images: 'common' in 8, 'mid' in 3, 'rare' in 1, one image without annotations
IMAGES = {1: ['common'], 2: ['common'], 3: ['common'], 4: ['common', 'mid'], 5: ['common', 'mid'],
          6: ['common', 'mid', 'mid'], 7: ['common'], 8: ['common', 'rare'], 9: ['rare'], 10: []}
IDS = {'common': 1, 'mid': 2, 'rare': 3}


def _imbalanced() -> dict:
    """Roboflow-style: an id-0 placeholder, the supercategory of the others, with no annotations."""
    images = [dict(id=i, file_name=f'{i}.jpg', width=WIDTH, height=HEIGHT) for i in IMAGES]
    anns = [dict(id=len(IMAGES) * i + k, image_id=i, category_id=IDS[name], bbox=[1.0 + k, 1.0, 8.0, 6.0],
                 area=48.0, iscrowd=0) for i, names in IMAGES.items() for k, name in enumerate(names)]
    cats = [dict(id=0, name='things', supercategory='none')] + [
        dict(id=i, name=n, supercategory='things') for n, i in IDS.items()]
    return dict(images=images, annotations=anns, categories=cats)


@pytest.fixture(scope='module')
def balanced_cfg(tmp_path_factory):
    files = write_coco(tmp_path_factory.mktemp('cbs'), _imbalanced(), images=False)
    inner = dict(type='CustomCocoDataset', ann_file=files['ann'], data_prefix=dict(img=files['img_dir']),
                 pipeline=[], filter_cfg=dict(filter_empty_gt=False))
    return dict(type='ClassBalancedDataset', oversample_thr=0.5, dataset=inner)


def test_class_balanced_custom_coco_with_auto_classes(balanced_cfg):
    cfg = Config(dict(model=dict(bbox_head=dict(num_classes='auto')), train_dataloader=dict(dataset=balanced_cfg)))
    prepare_config(cfg)
    assert cfg.model.bbox_head.num_classes == 3  # the placeholder is no class
    init_default_scope('mmdet')
    dataset = DATASETS.build(balanced_cfg)
    assert isinstance(dataset, ClassBalancedDataset)
    assert dataset.metainfo['classes'] == ('common', 'mid', 'rare')  # what the checkpoint's dataset_meta gets
    inner = dataset.dataset
    assert [inner.get_cat_ids(i) for i in range(3, 6)] == [[0, 1], [0, 1], [0, 1, 1]]  # labels, not category ids
    # r(c) = max(1, sqrt(0.5 / f(c))): common 1, mid sqrt(0.5/0.3) = 1.29, rare sqrt(0.5/0.2) = 1.58
    factors = repeat_factors(inner, 0.5)
    assert factors.images_per_class.tolist() == [8, 3, 2]
    assert factors.class_factors.tolist() == [1.0, math.sqrt(0.5 / 0.3), math.sqrt(0.5 / 0.2)]
    assert factors.image_factors.tolist() == dataset._get_repeat_factors(inner, 0.5)  # mmengine's own numbers
    assert factors.repeats.tolist() == [1, 1, 1, 2, 2, 2, 1, 2, 2, 1]
    assert len(dataset) == int(factors.repeats.sum()) == 15


def test_the_table_per_class_and_over_images(balanced_cfg):
    init_default_scope('mmdet')
    table = repeat_factors(DATASETS.build(balanced_cfg['dataset']), 0.5).format()
    lines = table.splitlines()
    assert lines[0] == 'repeat factors (ClassBalancedDataset, oversample_thr=0.5): 10 images -> 15 samples per epoch'
    assert [line.split() for line in lines[2:5]] == [['0', 'common', '8', '0.800', '1.000'],
                                                   ['1', 'mid', '3', '0.300', '1.291'],
                                                   ['2', 'rare', '2', '0.200', '1.581']]
    assert lines[5] == ('  per image: min 1.000, median 1.145, mean 1.204, max 1.581; images shown per epoch: '
                        '1x 5, 2x 5')


def test_a_class_in_no_image_and_a_bad_threshold():
    class Tiny:
        metainfo = dict(classes=('a', 'b'))

        def __len__(self):
            return 2

        def get_cat_ids(self, i):
            return [0]

    factors = repeat_factors(Tiny(), 0.1)
    assert factors.images_per_class.tolist() == [2, 0] and np.isnan(factors.class_factors[1])
    assert '- (no image)' in factors.format()
    for bad in (0, -1, 'x'):
        with pytest.raises(DatasetError, match='oversample_thr'):
            repeat_factors(Tiny(), bad)


def test_browse_prints_the_configs_factors_and_a_preview_for_a_file(balanced_cfg, tmp_path, capsys):
    tool = load_tool('browse_dataset')
    config = tmp_path / 'cbs.py'
    config.write_text(f'train_dataloader = dict(dataset={balanced_cfg!r})\n')
    # no images on disk: draw none, the table is what is looked at
    assert tool.main([str(config), '--out-dir', str(tmp_path / 'b'), '--num', '0']) == 0
    out = capsys.readouterr().out
    assert "repeat factors (the config's ClassBalancedDataset, oversample_thr=0.5): 10 images -> 15 " in out
    assert '10 images, 3 classes' in out
    ann = balanced_cfg['dataset']['ann_file']
    assert tool.main([ann, '--img-dir', str(tmp_path), '--out-dir', str(tmp_path / 'c'), '--num', '0',
                      '--oversample-thr', '0.9']) == 0
    out = capsys.readouterr().out
    assert 'repeat factors (as ClassBalancedDataset would repeat CustomCocoDataset, oversample_thr=0.9)' in out
    assert tool.main([ann, '--img-dir', str(tmp_path), '--out-dir', str(tmp_path / 'c'), '--num', '0',
                      '--oversample-thr', '0']) == 1
    assert 'error: oversample_thr=0.0' in capsys.readouterr().err
