"""num_classes='auto' in any model (RetinaNet, Faster/Mask/Cascade R-CNN), and explicit counts checked."""
import os

import pytest
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.registry import init_default_scope

import mmext  # noqa: F401
from mmext.engine.config.prepare import load_config, prepare_config
from mmext.engine.config.num_classes import fill_num_classes
from mmext.errors import ConfigError
from tests.conftest import DEMO_CONFIG, demo_data_options
from tests.datasets.coco_builder import write_coco


def _config(tmp_path, base, dataset, model_extra=''):
    path = tmp_path / 'cfg.py'
    path.write_text(f"_base_ = '{base}'\n"
                    f'train_dataloader = dict(dataset=dict(_delete_=True, pipeline=[], **{dataset!r}))\n'
                    + model_extra)
    return load_config(str(path))


def _set_auto(node):
    if isinstance(node, dict):
        if 'num_classes' in node:
            node['num_classes'] = 'auto'
        for value in node.values():
            _set_auto(value)
    elif isinstance(node, list):
        for value in node:
            _set_auto(value)


@pytest.fixture(scope='module')
def custom(tmp_path_factory):
    files = write_coco(tmp_path_factory.mktemp('nc'))
    return dict(type='CustomCocoDataset', ann_file=files['ann'], data_prefix=dict(img=files['img_dir']))


@pytest.mark.parametrize('base, paths', [
    ('mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py', ['roi_head.bbox_head', 'roi_head.mask_head']),
    ('mmdet::cascade_rcnn/cascade-rcnn_r50_fpn_1x_coco.py', ['roi_head.bbox_head.0', 'roi_head.bbox_head.2']),
])
def test_auto_everywhere_becomes_the_datasets_class_count(tmp_path, custom, base, paths):
    cfg = _config(tmp_path, base, custom)
    _set_auto(cfg.model)
    prepare_config(cfg)
    for path in paths:
        node = cfg.model
        for key in path.split('.'):
            node = node[int(key)] if key.isdigit() else node[key]
        assert node['num_classes'] == 3
    if 'mask' in base:
        init_default_scope('mmdet')
        model = MODELS.build(cfg.model)
        assert model.roi_head.bbox_head.fc_cls.out_features == 4  # 3 classes + background
        assert model.roi_head.mask_head.conv_logits.out_channels == 3


def test_an_explicit_number_that_disagrees_names_both(tmp_path, custom):
    cfg = _config(tmp_path, 'mmdet::retinanet/retinanet_r50_fpn_1x_coco.py', custom)
    with pytest.raises(ConfigError, match=r"model\.bbox_head\.num_classes=80 but the dataset \(train_dataloader"
                                          r"\.dataset, .*ann\.json\) has 3 classes \(cat, dog, fox\)"):
        prepare_config(cfg)
    cfg.model.bbox_head.num_classes = 3
    prepare_config(cfg)  # agreeing is fine, and preparing twice is harmless
    prepare_config(cfg)


def test_class_lists_of_other_datasets_and_their_mistakes(tmp_path):
    model = dict(bbox_head=dict(num_classes='auto'), roi_head=dict(semantic_head=dict(num_classes=183)))
    cfg = Config(dict(model=model, train_dataloader=dict(dataset=dict(type='CocoDataset',
                                                                       metainfo=dict(classes=('a', 'b'))))))
    fill_num_classes(cfg)
    assert cfg.model.bbox_head.num_classes == 2 and cfg.model.roi_head.semantic_head.num_classes == 183
    cfg = Config(dict(model=dict(bbox_head=dict(num_classes='auto')),
                      train_dataloader=dict(dataset=dict(type='RepeatDataset', times=2, dataset=dict(
                          type='CocoDataset')))))
    fill_num_classes(cfg)
    assert cfg.model.bbox_head.num_classes == 80  # mmdet's own class list
    cfg = Config(dict(model=dict(bbox_head=dict(num_classes='auto')),
                      train_dataloader=dict(dataset=dict(type='CocoDataset', metainfo=dict(classes='cat')))))
    with pytest.raises(ConfigError, match=r"classes=\('cat',\)"):
        fill_num_classes(cfg)
    with pytest.raises(ConfigError, match="num_classes='auto' needs a train_dataloader.dataset"):
        fill_num_classes(Config(dict(model=dict(bbox_head=dict(num_classes='auto')))))
    with pytest.raises(ConfigError, match="num_classes must be a positive integer or 'auto'"):
        fill_num_classes(Config(dict(model=dict(bbox_head=dict(num_classes='Auto')))))


def test_the_demo_config_has_no_class_list_and_auto(tiny_coco):
    options = dict(option.split('=', 1) for option in demo_data_options(tiny_coco))
    cfg = load_config(DEMO_CONFIG, options)
    assert 'metainfo' not in cfg.pretty_text and cfg.model.bbox_head.num_classes == 'auto'
    prepare_config(cfg)
    assert cfg.model.bbox_head.num_classes == 3


def test_the_custom_coco_base_needs_three_paths_and_nothing_else(tmp_path, tiny_coco):
    text = open('configs/_base_/datasets/custom_coco.py').read()
    assert 'metainfo' not in text
    model = os.path.abspath('configs/_base_/models/retinanet_r18_fpn.py')
    cfg_file = tmp_path / 'mine.py'
    cfg_file.write_text(f"_base_ = ['{model}', '{os.path.abspath('configs/_base_/datasets/custom_coco.py')}']\n")
    base = Config.fromfile(str(cfg_file))
    assert sorted(k for k, v in base.items() if isinstance(v, str) and v.startswith('data/mine/')) == \
           ['image_dir', 'train_ann_file', 'val_ann_file']
    # filled in: the three paths pointed at real data, nothing else
    text = text.replace('data/mine/annotations/train.json', tiny_coco['train']).replace(
        'data/mine/annotations/val.json', tiny_coco['val']).replace('data/mine/images/', tiny_coco['img_dir'] + '/')
    (tmp_path / 'custom_coco.py').write_text(text)
    cfg_file.write_text(f"_base_ = ['{model}', './custom_coco.py']\n")
    cfg = Config.fromfile(str(cfg_file))
    prepare_config(cfg)
    assert cfg.model.bbox_head.num_classes == 3


def test_the_runner_reads_the_training_file_once(tiny_coco, tmp_path, monkeypatch):
    """num_classes='auto' reads the training json; MMExtRunner hands that read to the training dataset."""
    from mmext.datasets.loading import annotation_file
    from mmext.engine.runner import MMExtRunner
    read = []
    real = annotation_file._load
    monkeypatch.setattr(annotation_file, '_load', lambda check, ann_file, *a, **kw: read.append(ann_file) or real(
        check, ann_file, *a, **kw))
    options = dict(option.split('=', 1) for option in demo_data_options(tiny_coco))
    options.update({'work_dir': str(tmp_path), 'train_dataloader.num_workers': 0,
                    'train_dataloader.persistent_workers': False})
    cfg = load_config(DEMO_CONFIG, options)
    runner = MMExtRunner.from_cfg(cfg)
    train_file = read[0]
    assert read == [train_file] and train_file.endswith('train.json')  # prepare_config read it for 'auto'
    assert len(runner.train_dataloader.dataset) > 0
    assert read == [train_file]  # the dataset took the read over instead of reading again
    assert runner.model.bbox_head.num_classes == len(runner.train_dataloader.dataset.metainfo['classes'])


def test_a_read_is_handed_only_to_the_dataset_config_it_came_from(custom, tmp_path):
    from mmext.datasets.custom_coco import CustomCocoDataset
    from mmext.engine.config.num_classes import AnnotationReads
    reads = AnnotationReads()
    annotations = CustomCocoDataset.read_annotations(custom)
    reads.keep(custom, annotations)
    other = dict(custom, ann_file=str(tmp_path / 'other.json'))
    assert reads.hand_over(dict(type='RepeatDataset', times=2, dataset=other))['dataset'] == other
    wrapped = reads.hand_over(dict(type='RepeatDataset', times=2, dataset=custom))
    assert wrapped['dataset']['annotations'] is annotations and 'annotations' not in custom  # a copy, not the config
    assert reads.hand_over(custom) == custom  # handed over once


def test_the_plain_runner_gets_a_filled_copy_and_a_config_without_auto_as_it_is(custom):
    from mmext.engine.config.num_classes import fill_for_runner
    cfg = Config(dict(model=dict(bbox_head=dict(num_classes='auto')), train_dataloader=dict(dataset=custom)))
    filled = fill_for_runner(cfg)
    assert filled.model.bbox_head.num_classes == 3 and cfg.model.bbox_head.num_classes == 'auto'
    assert fill_for_runner(filled) is filled  # nothing to fill (MMExtRunner's prepared config): no read, no copy
    # a wrong explicit number is only checked where 'auto' asks for the dataset (plain mmdet runs stay as they are)
    explicit = Config(dict(model=dict(bbox_head=dict(num_classes=80)), train_dataloader=dict(dataset=custom)))
    assert fill_for_runner(explicit) is explicit


def test_plain_runner_from_cfg_builds_the_number_and_dumps_it(custom, tmp_path):
    from mmengine.runner import Runner
    cfg = _config(tmp_path, 'mmdet::retinanet/retinanet_r18_fpn_1x_coco.py', custom)
    cfg.model.backbone.init_cfg = None
    cfg.model.bbox_head.num_classes = 'auto'
    cfg.work_dir = str(tmp_path / 'work')
    runner = Runner.from_cfg(cfg)
    assert type(runner) is Runner and runner.model.bbox_head.num_classes == 3
    assert 'num_classes=3' in (tmp_path / 'work' / 'cfg.py').read_text().replace(' ', '')
    assert cfg.model.bbox_head.num_classes == 'auto'  # the caller's config is not changed


def test_a_model_built_from_its_config_alone_with_auto_is_one_readable_line():
    init_default_scope('mmdet')
    head = dict(type='RetinaHead', num_classes='auto', in_channels=8)
    with pytest.raises(ConfigError, match=r"^RetinaHead\.num_classes='auto' is not filled in: .*init_detector"):
        MODELS.build(head)
    from mmengine.registry import MODELS as ROOT_MODELS  # mmengine's Runner.build_model builds through the root
    cfg = Config.fromfile(os.path.join(os.path.dirname(__import__('mmdet').__file__), '.mim', 'configs',
                                       'retinanet', 'retinanet_r18_fpn_1x_coco.py'))
    cfg.model.bbox_head.num_classes = 'auto'
    with pytest.raises(ConfigError, match=r"^RetinaNet\.bbox_head\.num_classes='auto' is not filled in"):
        ROOT_MODELS.build(cfg.model)


def test_a_class_balanced_dataset_around_custom_coco_gives_its_classes(custom):
    cfg = Config(dict(model=dict(bbox_head=dict(num_classes='auto')), train_dataloader=dict(dataset=dict(
        type='ClassBalancedDataset', oversample_thr=0.1, dataset=custom))))
    fill_num_classes(cfg)
    assert cfg.model.bbox_head.num_classes == 3
