"""Where a dataset config's files are: mmengine's joining rule, and the datasets inside wrappers."""
from mmext.datasets.paths import dataset_leaves, join_root, leaf_files


def test_join_root_follows_mmengine():
    assert join_root('data/x', 'ann.json') == 'data/x/ann.json'
    assert join_root('data/x', '/abs/ann.json') == '/abs/ann.json'
    assert join_root('data/x', 's3://bucket/ann.json') == 's3://bucket/ann.json'
    assert join_root('', 'ann.json') == 'ann.json' and join_root(None, 'a') == 'a'
    assert join_root('data/x', '') == 'data/x/'  # an empty data_prefix entry means data_root itself
    assert join_root('data/x', None) is None


def test_leaf_files_keep_an_empty_ann_file_empty():
    leaf = dict(data_root='d', ann_file='', data_prefix=dict(img='images/'))
    assert leaf_files(leaf) == ('', 'd/images/')
    assert leaf_files(dict(data_root='d', ann_file='a.json')) == ('d/a.json', None)


def test_dataset_leaves_look_through_every_wrapper():
    a, b, c = dict(ann_file='a'), dict(ann_file='b'), dict(ann_file='c')
    cfg = dict(type='ConcatDataset', datasets=[dict(type='RepeatDataset', times=2, dataset=a),
                                                dict(type='ClassBalancedDataset', oversample_thr=0.1, dataset=b), c])
    assert list(dataset_leaves(cfg)) == [a, b, c]
    assert list(dataset_leaves(None)) == []
