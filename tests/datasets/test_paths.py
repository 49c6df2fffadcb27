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


def test_image_path_inside_follows_dots_and_symlinks(tmp_path):
    from mmext.datasets.paths import image_path_inside
    from tests.datasets.fuzz.seeds import INSIDE_NAMES, OUTSIDE_NAMES, image_folder
    img_dir = image_folder(tmp_path)['img_dir']
    for name in INSIDE_NAMES + ('link_dir/../images/img1.png', 'a\x00b.png', '\ud800.png'):
        assert image_path_inside(img_dir, name), name
    for name in OUTSIDE_NAMES + (img_dir + 'img1.png', 'link_dir/../img1.png'):  # (link_dir/.. is outside/..)
        assert not image_path_inside(img_dir, name), name
    # without a local folder: only an absolute name or one that climbs out (after normalising)
    for folder in (None, '', 's3://bucket/images/'):
        assert image_path_inside(folder, 'link_out.png') and image_path_inside(folder, 'a/../b.png')
        assert not image_path_inside(folder, 'a/../../b.png') and not image_path_inside(folder, '/etc/passwd')


def test_outside_images_finds_what_image_path_inside_finds(tmp_path):
    from mmext.datasets.paths import image_path_inside, outside_images
    from tests.datasets.fuzz.seeds import INSIDE_NAMES, OUTSIDE_NAMES, image_folder
    img_dir = image_folder(tmp_path)['img_dir']
    (tmp_path / 'images' / 'sub' / 'deeper').mkdir()
    (tmp_path / 'images' / 'sub' / 'back').symlink_to(tmp_path / 'outside')
    names = list(INSIDE_NAMES + OUTSIDE_NAMES) + ['sub/back/evil.png', 'sub/deeper/x.png', 'sub/back', 'a..b.png',
                                                  'link_in.png/', 'sub/./img5.png', 'missing/dir/x.png']
    for folder in (img_dir, img_dir.rstrip('/'), str(tmp_path / 'images' / 'sub'), None, 's3://b/'):
        assert outside_images(folder, names) == [k for k, n in enumerate(names) if not image_path_inside(folder, n)]
    assert [names[k] for k in outside_images(img_dir, names)][-2:] == ['sub/back/evil.png', 'sub/back']
