"""Merging COCO files: categories by name and --map, ids renumbered, file names, and each conflict named."""
import json

import pytest

from mmext.datasets.convert.merge import format_merge, merge_coco, parse_map
from mmext.datasets.loading.annotation_file import load_checked
from mmext.errors import DatasetError
from tests.datasets.convert.formats import make_coco, objects_by_image


@pytest.fixture
def two(tmp_path):
    """Two datasets in their own folders, the same file names, B's classes spelled differently plus a 'bird'."""
    a, b = make_coco(tmp_path / 'a'), make_coco(tmp_path / 'b')
    b['categories'] = [dict(id=10, name='Cat'), dict(id=20, name='dog'), dict(id=30, name='Traffic_Light'),
                       dict(id=40, name='bird')]
    for ann in b['annotations']:
        ann['category_id'] *= 10
    b['annotations'][0]['category_id'] = 40
    paths = [tmp_path / 'a.json', tmp_path / 'b.json']
    for path, data in zip(paths, (a, b)):
        path.write_text(json.dumps(data))
    return [str(p) for p in paths], [str(tmp_path / 'a'), str(tmp_path / 'b')], a, b


def test_categories_match_by_name_and_ids_never_collide(two, tmp_path):
    paths, dirs, a, b = two
    result = merge_coco(paths, str(tmp_path / 'm.json'), img_dirs=dirs)
    merged = json.loads((tmp_path / 'm.json').read_text())
    assert [(c['id'], c['name']) for c in merged['categories']] == [
        (1, 'cat'), (2, 'dog'), (3, 'traffic light'), (4, 'bird')]
    assert [c.counts for c in result.categories] == [[3, 2], [2, 2], [2, 2], [0, 1]]
    assert len({i['id'] for i in merged['images']}) == len(merged['images']) == 8
    assert len({x['id'] for x in merged['annotations']}) == len(merged['annotations']) == 14
    # file names are relative to the folder holding both image folders, and each points at its own file
    got = objects_by_image(merged)
    assert got['a/sub/c.jpg'] == objects_by_image(a)['sub/c.jpg']
    assert sorted(got) == sorted([f'a/{n}' for n in objects_by_image(a)] + [f'b/{n}' for n in objects_by_image(b)])
    assert result.root == str(tmp_path)
    assert load_checked(str(tmp_path / 'm.json'), str(tmp_path), 'header').report.clean  # every file is there
    text = format_merge(result, paths)
    assert "'Traffic_Light' (b.json)" in text
    assert f"wrote {tmp_path / 'm.json'}: 8 images, 14 annotations" in text


def test_map_renames_and_merges_classes_on_purpose(two, tmp_path):
    paths, dirs, _, _ = two
    result = merge_coco(paths, str(tmp_path / 'm.json'), ['cat=animal', 'DOG=animal', 'bird=animal'], dirs)
    assert [(c.name, c.counts) for c in result.categories] == [('animal', [5, 5]), ('traffic light', [2, 2])]


def test_the_same_file_named_twice_needs_a_decision(two, tmp_path):
    paths, dirs, _, _ = two
    with pytest.raises(DatasetError, match=r"a.json image id 1 and .*b.json image id 1 are both 'a.jpg': give each "
                                           r'input its image folder \(--img-dir .* or pass --same-images'):
        merge_coco(paths, str(tmp_path / 'm.json'))
    result = merge_coco(paths, str(tmp_path / 'm.json'), same_images=True)  # two label sets of the same pictures
    merged = json.loads((tmp_path / 'm.json').read_text())
    assert len(merged['images']) == 4 and len(merged['annotations']) == 14 and result.shared_images == 4
    assert sorted(i['file_name'] for i in merged['images']) == ['a.jpg', 'b.png', 'd.jpg', 'sub/c.jpg']


def test_conflicting_names_are_errors_that_name_the_file(two, tmp_path):
    paths, dirs, _, b = two
    b['categories'][1]['name'] = 'CAT'  # b.json: 'Cat' (id 10) and 'CAT' (id 20) are one name for matching
    with open(paths[1], 'w') as f:
        json.dump(b, f)
    with pytest.raises(DatasetError, match=r"b.json: categories id 10 'Cat' and id 20 'CAT' have one name .* --map "
                                           "'CAT=Cat'"):
        merge_coco(paths, str(tmp_path / 'bad.json'), img_dirs=dirs)
    with pytest.raises(DatasetError, match=r"--map 'dog=canine' and --map 'Dog=hound' give 'Dog' two different names"):
        merge_coco(paths, str(tmp_path / 'bad.json'), ['dog=canine', 'Dog=hound'], dirs)
    with pytest.raises(DatasetError, match=r"--map: no input has a category named 'horse'"):
        merge_coco(paths, str(tmp_path / 'bad.json'), ['horse=animal'], dirs)
    assert not (tmp_path / 'bad.json').exists()
    result = merge_coco(paths, str(tmp_path / 'm.json'), ['CAT=Cat'], dirs)  # said on purpose: merged
    assert result.categories[0].counts == [3, 4]


def test_map_entries_are_checked():
    assert parse_map(['Traffic Light = light']) == {'traffic light': 'light'}
    with pytest.raises(DatasetError, match="write OLD=NEW"):
        parse_map(['car'])
