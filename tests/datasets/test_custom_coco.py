"""CustomCocoDataset: classes from the json, the policy at load, and what mmdet's CocoDataset gets wrong."""
import json

import pytest
from mmdet.registry import DATASETS
from mmengine.registry import init_default_scope

from mmext.datasets.custom_coco import CustomCocoDataset
from mmext.errors import DatasetError
from tests.datasets.coco_builder import base_coco, write_coco

PIPELINE = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
            dict(type='PackDetInputs')]


@pytest.fixture(autouse=True)
def _scope():
    init_default_scope('mmdet')


def _build(files, **kwargs):
    cfg = dict(type='CustomCocoDataset', ann_file=files['ann'], data_prefix=dict(img=files['img_dir']),
               filter_cfg=dict(filter_empty_gt=True), pipeline=[])
    cfg.update(kwargs)
    return DATASETS.build(cfg)


def test_classes_palette_and_records_like_mmdets_coco_dataset(tmp_path):
    files = write_coco(tmp_path)
    ours = _build(files)
    assert ours.metainfo['classes'] == ('cat', 'dog', 'fox')
    assert ours.metainfo['cat_ids'] == (1, 2, 5) and len(ours.metainfo['palette']) == 3
    theirs = DATASETS.build(dict(type='CocoDataset', ann_file=files['ann'], data_prefix=dict(img=files['img_dir']),
                                 metainfo=dict(classes=('cat', 'dog', 'fox')), filter_cfg=dict(filter_empty_gt=True),
                                 pipeline=[]))
    assert len(ours) == len(theirs) == 3
    for i in range(len(ours)):
        a, b = ours.get_data_info(i), theirs.get_data_info(i)
        assert {k: a[k] for k in ('img_path', 'img_id', 'width', 'height')} == \
               {k: b[k] for k in ('img_path', 'img_id', 'width', 'height')}
        assert [(x['bbox'], x['bbox_label'], x['ignore_flag']) for x in a['instances']] == \
               [(x['bbox'], x['bbox_label'], x['ignore_flag']) for x in b['instances']]


def test_the_class_table_is_logged_once(tmp_path, caplog_mm):
    files = write_coco(tmp_path)
    _build(files)
    _build(files)
    tables = [m for m in caplog_mm if m.startswith('3 classes from')]
    assert len(tables) == 1
    assert tables[0].splitlines()[2].split() == ['1', '0', 'cat', '3']


def test_placeholder_dropped_with_one_warning_unused_kept(tmp_path, caplog_mm):
    data = base_coco()
    data['categories'].insert(0, dict(id=0, name='animal', supercategory='none'))
    data['categories'].append(dict(id=8, name='owl', supercategory='animal'))
    ds = _build(write_coco(tmp_path, data))
    assert ds.metainfo['classes'] == ('cat', 'dog', 'fox', 'owl')
    assert sum('category id 0 dropped' in m for m in caplog_mm) == 1
    assert any('unused_category' in m for m in caplog_mm)


@pytest.mark.parametrize('classes, match', [
    ('cat', r"classes=\('cat',\)"),
    (('cat', 'dog'), r"\['fox'\] have annotations in the file but are not in metainfo classes"),
])
def test_given_classes_are_checked(tmp_path, classes, match):
    with pytest.raises(DatasetError, match=match):
        _build(write_coco(tmp_path), metainfo=dict(classes=classes))


def test_missing_sizes_come_from_the_files(tmp_path):
    data = base_coco()
    data['images'][0]['width'] = 0
    data['images'][1].pop('height')
    ds = _build(write_coco(tmp_path, data), policy='strict')  # reading a size is not a problem
    assert {(ds.get_data_info(i)['width'], ds.get_data_info(i)['height']) for i in range(len(ds))} == {(40, 30)}


def test_strict_stops_warn_drops_and_says_so(tmp_path, caplog_mm):
    data = base_coco()
    data['annotations'][0]['bbox'] = [1, 2, 0, 4]
    files = write_coco(tmp_path, data)
    with pytest.raises(DatasetError, match=r'ann\.json: annotation id 1, image id 1 \(img1\.png\): .*\[empty_bbox\]'):
        _build(files, policy='strict')
    ds = _build(files, policy='warn')
    assert sum(len(ds.get_data_info(i)['instances']) for i in range(len(ds))) == 6
    assert any('1 annotation problems' in m and 'empty_bbox' in m for m in caplog_mm)


def test_never_an_empty_dataset_without_saying_why(tmp_path):
    data = base_coco()
    for ann in data['annotations']:
        ann['image_id'] = 99
    with pytest.raises(DatasetError, match=r'no image is left for training: 4 images, 0 with annotations.*'
                                           r'7 unknown_image'):
        _build(write_coco(tmp_path, data))


def test_an_image_info_file_without_annotations_is_a_test_set(tmp_path):
    data = base_coco()
    data.pop('annotations')
    files = write_coco(tmp_path, data)
    ds = _build(files, test_mode=True, policy='strict')
    assert len(ds) == 4 and ds.metainfo['classes'] == ('cat', 'dog', 'fox')
    with pytest.raises(DatasetError, match='no image is left for training: 4 images, 0 with annotations'):
        _build(files)


def test_mask_pipeline_with_a_removed_segmentation_and_ignore_regions(tmp_path):
    data = base_coco()
    data['annotations'][0]['segmentation'] = [[1, 2, 3]]
    data['annotations'][1]['ignore'] = 1
    data['annotations'][3].pop('segmentation')  # a box with no segmentation at all
    files = write_coco(tmp_path, data)
    ds = _build(files, pipeline=PIPELINE)
    first = ds[0]['data_samples']  # image 1: anns 1 (segmentation removed), 2 (ignore), 7 (crowd RLE)
    assert len(first.gt_instances) == 0 and len(first.ignored_instances) == 3  # no mask: not a mask target
    second = ds[1]['data_samples']  # image 2: ann 4 has no segmentation: an ignored instance, not a KeyError
    assert len(second.gt_instances) == 1 and len(second.ignored_instances) == 1
    boxes_only = _build(files, pipeline=[PIPELINE[0], dict(type='LoadAnnotations', with_bbox=True), PIPELINE[2]])
    first = boxes_only[0]['data_samples']
    assert len(first.gt_instances) == 1 and len(first.ignored_instances) == 2  # the box of ann 1 still trains
