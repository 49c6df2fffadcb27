"""Splitting the json: ratios with a seed, class stratification, K folds; tools/split_coco.py."""
import json
from collections import Counter

import pytest

from mmext.datasets.split import kfold_coco, split_coco
from mmext.errors import DatasetError
from tests.datasets.coco_builder import load_tool


def _data(n=200, seed=0):
    """n images; class 'rare' on every 20th image only, 'common' on all."""
    images = [dict(id=i, file_name=f'sub/{i}.jpg', width=10, height=10) for i in range(n)]
    anns = [dict(id=i, image_id=i, category_id=1, bbox=[0, 0, 5, 5]) for i in range(n)]
    anns += [dict(id=n + i, image_id=i, category_id=2, bbox=[1, 1, 5, 5]) for i in range(0, n, 20)]
    return dict(info=dict(v=1), images=images, annotations=anns,
                categories=[dict(id=1, name='common'), dict(id=2, name='rare')])


def _image_ids(part):
    return {img['id'] for img in part['images']}


def test_ratios_seed_and_annotations_follow_their_images():
    parts = split_coco(_data(), [0.8, 0.1, 0.1], seed=3)
    assert [len(p['images']) for p in parts.values()] == [160, 20, 20]
    assert set.union(*map(_image_ids, parts.values())) == set(range(200))
    for part in parts.values():
        assert {a['image_id'] for a in part['annotations']} <= _image_ids(part)
        assert part['info'] == dict(v=1) and len(part['categories']) == 2
    assert parts['train']['images'][0]['file_name'].startswith('sub/')  # file_name untouched
    assert split_coco(_data(), [0.8, 0.1, 0.1], seed=3) == parts
    assert split_coco(_data(), [0.8, 0.1, 0.1], seed=4) != parts


def test_stratified_split_spreads_a_rare_class():
    rare = [Counter(a['category_id'] for a in p['annotations'])[2]
            for p in split_coco(_data(), [0.5, 0.5], seed=0, stratify=True).values()]
    assert rare == [5, 5]


def test_kfold_every_image_in_exactly_one_val_fold():
    folds = kfold_coco(_data(), 5, seed=1)
    vals = [_image_ids(folds[f'val{i}']) for i in range(5)]
    assert sum(len(v) for v in vals) == 200 and set.union(*vals) == set(range(200))
    for i in range(5):
        assert not _image_ids(folds[f'train{i}']) & vals[i]
        assert len(_image_ids(folds[f'train{i}'])) + len(vals[i]) == 200
        assert Counter(a['category_id'] for a in folds[f'val{i}']['annotations'])[2] == 2  # stratified


@pytest.mark.parametrize('call, match', [
    (lambda: split_coco(_data(), [0.7, 0.7]), 'add up to 1'),
    (lambda: kfold_coco(_data(n=3), 5), 'K must be at least 2 and at most the number of images'),
    (lambda: split_coco(dict(images=[]), [0.5, 0.5]), "'categories' list is missing"),
])
def test_mistakes(call, match):
    with pytest.raises(DatasetError, match=match):
        call()


def test_tool_writes_files_and_prints_counts(tmp_path, capsys):
    src = tmp_path / 'all.json'
    src.write_text(json.dumps(_data(40)))
    tool = load_tool('split_coco')
    assert tool.main([str(src), '--out-dir', str(tmp_path / 'out'), '--ratios', '0.5', '0.25', '0.25']) == 0
    out = capsys.readouterr().out
    assert 'wrote train.json, val.json, test.json' in out
    lines = {line.split()[0]: line.split()[1:] for line in out.splitlines()[2:]}
    assert lines['images'] == ['20', '10', '10'] and sum(map(int, lines['rare'])) == 2
    assert tool.main([str(src), '--out-dir', str(tmp_path / 'k'), '--kfold', '4']) == 0
    assert sorted(p.name for p in (tmp_path / 'k').iterdir()) == sorted(
        [f'train{i}.json' for i in range(4)] + [f'val{i}.json' for i in range(4)])
    (tmp_path / 'bad.json').write_text('{"images": [')
    assert tool.main([str(tmp_path / 'bad.json'), '--out-dir', str(tmp_path / 'x')]) == 1
    assert 'not valid JSON' in capsys.readouterr().err
