"""CustomCocoDataset.data_list built on access: the same records as mmdet's CocoDataset, mmengine's subset API."""
from __future__ import annotations

import copy
import json

import numpy as np
import pytest
from mmdet.registry import DATASETS
from mmengine.registry import init_default_scope

from benchmarks.coco_synth import make_coco_like
from mmext.datasets.loading.image_records import ImageRecords


@pytest.fixture(scope='module')
def coco_like(tmp_path_factory):
    """A small COCO-train-like file: COCO's 80 classes and ids, polygons, crowd RLEs, images without objects."""
    path = tmp_path_factory.mktemp('coco_like') / 'train.json'
    path.write_text(json.dumps(make_coco_like(150, seed=3)))
    return str(path)


def _build(kind, ann_file, **kwargs):
    init_default_scope('mmdet')
    return DATASETS.build(dict(type=kind, ann_file=ann_file, data_prefix=dict(img='images/'),
                               filter_cfg=dict(filter_empty_gt=True, min_size=32), pipeline=[], **kwargs))


def _all(dataset) -> list[str]:
    return [json.dumps(dataset.get_data_info(i), sort_keys=True) for i in range(len(dataset))]


@pytest.mark.parametrize('serialize_data', [True, False])
def test_records_equal_mmdets_coco_dataset(coco_like, serialize_data):
    ours = _build('CustomCocoDataset', coco_like, serialize_data=serialize_data)
    theirs = _build('CocoDataset', coco_like)
    assert isinstance(ours.data_list, ImageRecords)
    assert len(ours) == len(theirs) > 100
    assert _all(ours) == _all(theirs)  # keys, types and values, masks and crowd RLEs included
    assert [ours.get_cat_ids(i) for i in range(len(ours))] == [theirs.get_cat_ids(i) for i in range(len(ours))]
    assert ours.get_data_info(-1) == dict(theirs.get_data_info(-1))


def test_subsets_and_copies_share_the_columns(coco_like):
    ours = _build('CustomCocoDataset', coco_like)
    theirs = _build('CocoDataset', coco_like)
    for indices in (5, -3, [0, 7, 2, 7]):
        mine, other = ours.get_subset(indices), theirs.get_subset(indices)
        assert _all(mine) == _all(other)
        assert mine.data_list.columns is ours.data_list.columns
    first = _all(ours)[:10]
    ours.get_subset_(10)
    assert _all(ours) == first
    assert copy.deepcopy(ours.data_list).columns is ours.data_list.columns
    limited = _build('CustomCocoDataset', coco_like, indices=[3, 1])
    assert _all(limited) == [_all(theirs)[i].replace('"sample_idx": %d' % i, '"sample_idx": %d' % k)
                             for k, i in enumerate([3, 1])]
    assert list(ours.data_list[2:4].rows) == list(ours.data_list.rows[2:4])


def test_each_record_is_a_fresh_dict(coco_like):
    ours = _build('CustomCocoDataset', coco_like)
    info = ours.get_data_info(0)
    info['instances'].clear()
    assert ours.get_data_info(0)['instances']
    assert isinstance(ours.data_list.columns.anns.bbox, np.ndarray)
