import json

import pytest

import mmext  # noqa: F401
from mmext.compat.config_paths import MMEXT_CONFIGS
from mmext.engine.config.prepare import load_config, prepare_config
from mmext.engine.config.folders import (DATASET_BASE, TEMPLATE, create_config_folder, read_annotation_facts,
                                        render_dataset_base)
from mmext.errors import ConfigError, DatasetError


def test_template_dataset_base_is_what_the_tool_writes_for_the_demo_data():
    expected = render_dataset_base('data/demo/annotations/train.json', 'data/demo/annotations/val.json',
                                   'data/demo/images/', (160, 128))
    assert (TEMPLATE + '/' + DATASET_BASE).startswith(MMEXT_CONFIGS)
    with open(f'{TEMPLATE}/{DATASET_BASE}') as f:
        assert f.read() == expected


def test_folder_for_your_files_has_their_paths_classes_and_scale(tiny_coco, tmp_path):
    files = create_config_folder('alice', str(tmp_path), ann=tiny_coco['train'], val_ann=tiny_coco['val'],
                                 img_dir=tiny_coco['img_dir'])
    assert str(tmp_path / 'alice' / 'retinanet_r18_fpn_10e_mydata.py') in files
    assert str(tmp_path / 'alice' / '_base_' / 'default_runtime.py') in files
    cfg = load_config(str(tmp_path / 'alice' / 'retinanet_r18_fpn_10e_mydata.py'))
    train = cfg.train_dataloader.dataset
    assert train.ann_file == tiny_coco['train'] and cfg.val_dataloader.dataset.ann_file == tiny_coco['val']
    assert train.data_prefix.img.rstrip('/') == tiny_coco['img_dir'].rstrip('/')
    assert cfg.test_evaluator.ann_file == tiny_coco['val']
    assert train.type == 'CustomCocoDataset' and 'metainfo' not in train  # classes come from the json
    assert cfg.model.bbox_head.num_classes == 'auto'
    assert prepare_config(cfg).model.bbox_head.num_classes == 3
    assert cfg.train_dataloader.dataset.pipeline[2].scale == (160, 128)
    assert cfg.runner_type == 'MMExtRunner'


def test_classes_follow_the_json_and_large_images_are_capped(tmp_path):
    ann = tmp_path / 'a.json'
    ann.write_text(json.dumps(dict(images=[dict(id=1, width=4000, height=3000, file_name='x.jpg')],
                                   categories=[dict(id=7, name='dog'), dict(id=2, name='cat')], annotations=[])))
    assert read_annotation_facts(str(ann)) == (('dog', 'cat'), (1067, 800))
    ann.write_text(json.dumps(dict(images=[], annotations=[])))
    with pytest.raises(DatasetError, match="has no 'categories'"):
        read_annotation_facts(str(ann))


@pytest.mark.parametrize('kwargs, message', [
    (dict(name='demo'), "name 'demo'"),
    (dict(name='../x'), "name '../x'"),
    (dict(name='bob', img_dir='.'), '--val-ann and --img-dir go with --ann'),
    (dict(name='bob', ann='x.json'), '--ann needs --img-dir'),
])
def test_mistakes_are_explained(tmp_path, kwargs, message):
    with pytest.raises(ConfigError, match=message.replace('(', r'\(')):
        create_config_folder(configs_dir=str(tmp_path), **kwargs)


def test_existing_folder_is_not_overwritten(tmp_path):
    create_config_folder('bob', str(tmp_path))
    with pytest.raises(ConfigError, match='already exists'):
        create_config_folder('bob', str(tmp_path))
