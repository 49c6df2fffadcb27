"""The broken-image policy during training: shared counting, and only the image is ever blamed."""
import multiprocessing as mp

import pytest
from mmengine.registry import init_default_scope

from mmext.datasets.checks.broken_images import BrokenImages, SharedFlags
from mmext.datasets.custom_coco import CustomCocoDataset
from mmext.errors import DatasetError
from tests.datasets.coco_builder import base_coco, write_coco


def _mark(flags, index):
    flags.mark(index)


def test_skips_marked_in_a_forked_worker_count_in_the_parent():
    flags = SharedFlags(10)
    flags.mark(2)
    child = mp.get_context('fork').Process(target=_mark, args=(flags, 7))
    child.start()
    child.join()
    assert flags.count() == 2
    assert not flags.mark(7)  # already counted
    copy = __import__('pickle').loads(__import__('pickle').dumps(flags))  # spawn / deepcopy: a private copy
    assert copy.count() == 2


def test_pipeline_errors_that_are_not_the_image_are_re_raised(tmp_path):
    init_default_scope('mmdet')
    files = write_coco(tmp_path)
    def fail(results):
        raise KeyError('no_such_key')
    ds = CustomCocoDataset(ann_file=files['ann'], data_prefix=dict(img=files['img_dir']), broken_images='skip',
                           pipeline=[dict(type='LoadImageFromFile'), fail])
    with pytest.raises(KeyError, match='no_such_key'):
        ds[0]
    assert ds.broken.skipped == 0


def test_a_json_size_that_is_not_the_files_is_named_when_the_pipeline_fails(tmp_path):
    init_default_scope('mmdet')
    data = base_coco()
    data['images'][0].update(width=80, height=60)
    files = write_coco(tmp_path, data)

    def fail(results):
        raise ValueError('masks do not fit')
    ds = CustomCocoDataset(ann_file=files['ann'], data_prefix=dict(img=files['img_dir']),
                           pipeline=[dict(type='LoadImageFromFile'), fail])
    with pytest.raises(DatasetError, match=r'img1\.png \(image id 1 in .*\) is 40x30 but the json says 80x60 '
                                           r'\[size_mismatch\].*ValueError: masks do not fit'):
        ds[0]


def test_policy_values_are_checked():
    with pytest.raises(DatasetError, match="broken_images='ignore' is not one of"):
        BrokenImages('ignore')
    with pytest.raises(DatasetError, match='max_broken_fraction=2'):
        BrokenImages('skip', 2)


def test_in_test_mode_a_broken_image_is_always_an_error(tmp_path):
    init_default_scope('mmdet')
    files = write_coco(tmp_path)
    (tmp_path / 'images' / 'img2.jpg').unlink()
    ds = CustomCocoDataset(ann_file=files['ann'], data_prefix=dict(img=files['img_dir']), test_mode=True,
                           broken_images='skip', pipeline=[dict(type='LoadImageFromFile')])
    with pytest.raises(DatasetError, match=r'cannot load image .*img2\.jpg \(image id 2 .*\[image_missing\].*'
                                           'evaluation needs every image'):
        ds[1]
