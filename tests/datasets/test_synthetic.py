import json

from mmext.datasets.synthetic import CLASSES, SyntheticSpec, make_synthetic_coco


def test_same_seed_same_annotations_and_reuse(tmp_path):
    spec = SyntheticSpec(num_train=6, num_val=3, seed=3)
    a = make_synthetic_coco(str(tmp_path / 'a'), spec)
    b = make_synthetic_coco(str(tmp_path / 'b'), spec)
    assert a['generated'] and b['generated']
    for split in ('train', 'val'):
        assert open(a[split]).read() == open(b[split]).read()
    assert make_synthetic_coco(str(tmp_path / 'a'), spec)['generated'] is False
    assert make_synthetic_coco(str(tmp_path / 'a'), SyntheticSpec(num_train=6, num_val=3, seed=4))['generated']


def test_annotations_are_valid_coco(tmp_path):
    spec = SyntheticSpec(num_train=20, num_val=5)
    out = make_synthetic_coco(str(tmp_path), spec)
    train, val = json.load(open(out['train'])), json.load(open(out['val']))
    assert [c['name'] for c in train['categories']] == list(CLASSES)
    assert len(train['images']) == 20 and len(val['images']) == 5
    ids = [a['id'] for a in train['annotations'] + val['annotations']]
    assert len(ids) == len(set(ids))
    assert not {i['id'] for i in train['images']} & {i['id'] for i in val['images']}
    for ann in train['annotations']:
        x, y, w, h = ann['bbox']
        assert w > 0 and h > 0 and x >= 0 and y >= 0
        assert x + w <= spec.width + 1 and y + h <= spec.height + 1
    assert {a['category_id'] for a in train['annotations']} == {1, 2, 3}
