"""Reading ground truth and predictions: COCO results, tools/infer.py's json and mmdet's pkl, in the ground
truth's ids; every bad input one clear line."""
import json
import pickle

import numpy as np
import pytest
import torch

from mmext.analysis import analyze
from mmext.analysis.inputs import load_ground_truth, load_predictions
from mmext.errors import DatasetError


def test_infer_style_json_matches_by_file_name_and_class_name(known, tiny_coco, tmp_path):
    """tools/infer.py's json has its own image and category ids: matched by file name and class name."""
    gt = known['gt']
    images = [dict(id=1000 + i, file_name='/elsewhere/' + img['file_name'], width=img['width'],
                   height=img['height']) for i, img in enumerate(gt['images'])]
    new_id = {img['id']: 1000 + i for i, img in enumerate(gt['images'])}
    cats = [dict(id=50 + i, name=c['name']) for i, c in enumerate(sorted(gt['categories'], key=lambda c: c['id']))]
    new_cat = {c['id']: 50 + i for i, c in enumerate(sorted(gt['categories'], key=lambda c: c['id']))}
    anns = [dict(r, image_id=new_id[r['image_id']], category_id=new_cat[r['category_id']]) for r in known['results']]
    path = tmp_path / 'infer.json'
    path.write_text(json.dumps(dict(images=images, annotations=anns, categories=cats)))
    plain = analyze(known['path'], tiny_coco['val'], str(tmp_path / 'a'))
    other = analyze(str(path), tiny_coco['val'], str(tmp_path / 'b'))
    assert other.counts == plain.counts
    assert json.dumps(other.metrics) == json.dumps(plain.metrics)  # NaN == NaN (no large objects)
    assert open(tmp_path / 'a' / 'confusion_matrix.csv').read() == open(tmp_path / 'b' / 'confusion_matrix.csv').read()


def test_bad_input_is_one_clear_line(known, tiny_coco, tmp_path):
    out = str(tmp_path / 'x')
    with pytest.raises(DatasetError, match='does not exist'):
        analyze(str(tmp_path / 'missing.json'), tiny_coco['val'], out)
    bad = tmp_path / 'bad.json'
    bad.write_text(json.dumps([dict(image_id=987654, category_id=known['cats'][0], bbox=[0, 0, 1, 1], score=1)]))
    with pytest.raises(DatasetError, match=r'image ids \[987654\].*not in the ground truth'):
        analyze(str(bad), tiny_coco['val'], out)
    bad.write_text(json.dumps(dict(images=[], categories=[dict(id=1, name='zebra')], annotations=[])))
    with pytest.raises(DatasetError, match=r"classes \['zebra'\] are not in the ground truth"):
        analyze(str(bad), tiny_coco['val'], out)
    bad.write_text(json.dumps([dict(image_id=1, bbox=[0, 0, 1, 1])]))
    with pytest.raises(DatasetError, match='has no category_id, score'):
        analyze(str(bad), tiny_coco['val'], out)
    no_anns = tmp_path / 'no_anns.json'
    no_anns.write_text(json.dumps(dict(known['gt'], annotations=[])))
    with pytest.raises(DatasetError, match='has no annotations'):
        analyze(known['path'], str(no_anns), out)


def _same(a, b):
    for field in ('image_ids', 'category_ids', 'boxes', 'scores'):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field), err_msg=field)


def test_results_list_is_read_as_columns_in_the_ground_truths_ids(hand, tmp_path):
    path = tmp_path / 'r.json'
    path.write_text(json.dumps(hand['results']))
    preds = load_predictions(str(path), hand['gt'])
    _same(preds, hand['preds'])
    assert len(preds) == 3 and preds.boxes.dtype == np.float64 and preds.file_names == {}
    assert hand['gt'].classes == ['cat', 'dog'] and hand['gt'].cat_ids == [1, 2]


def test_infer_json_matches_images_by_base_name_when_the_folders_differ(hand, tmp_path):
    data = dict(images=[dict(id=7, file_name='/else/where/two.png'), dict(id=8, file_name='x/one.png')],
                categories=[dict(id=5, name='dog'), dict(id=6, name='cat')],
                annotations=[dict(image_id=8, category_id=6, bbox=[10, 10, 20, 20], score=0.9),
                             dict(image_id=7, category_id=5, bbox=[70, 70, 10, 10], score=0.7)])
    path = tmp_path / 'infer.json'
    path.write_text(json.dumps(data))
    preds = load_predictions(str(path), hand['gt'])
    assert preds.image_ids.tolist() == [1, 2] and preds.category_ids.tolist() == [1, 2]
    assert preds.file_names == {7: '/else/where/two.png', 8: 'x/one.png'}
    data['images'][0]['file_name'] = 'three.png'
    path.write_text(json.dumps(data))
    with pytest.raises(DatasetError, match=r"1 of its 2 images are not in the ground truth .*'three.png'"):
        load_predictions(str(path), hand['gt'])


def test_mmdet_results_pkl_gives_the_same_predictions_as_the_json(hand, tmp_path):
    """tools/test.py --out results.pkl: xyxy boxes, labels in category-id order, tensors."""
    xyxy = hand['preds'].boxes.copy()
    xyxy[:, 2:] += xyxy[:, :2]
    samples = [dict(img_id=1, pred_instances=dict(bboxes=torch.tensor(xyxy[:2]), labels=torch.tensor([0, 0]),
                                                  scores=torch.tensor([0.9, 0.8], dtype=torch.float64))),
               dict(img_id=2, pred_instances=dict(bboxes=torch.tensor(xyxy[2:]), labels=torch.tensor([1]),
                                                  scores=torch.tensor([0.7], dtype=torch.float64)))]
    path = tmp_path / 'results.pkl'
    path.write_bytes(pickle.dumps(samples))
    _same(load_predictions(str(path), hand['gt']), hand['preds'])
    samples[1]['pred_instances']['labels'] = torch.tensor([2])
    path.write_bytes(pickle.dumps(samples))
    with pytest.raises(DatasetError, match=r'labels up to 2 but the ground truth .* has 2 classes'):
        load_predictions(str(path), hand['gt'])
    path.write_bytes(pickle.dumps(samples)[:20])
    with pytest.raises(DatasetError, match=r'results.pkl could not be read as a pickle'):
        load_predictions(str(path), hand['gt'])
    path.write_bytes(pickle.dumps([dict(pred_instances={})]))
    with pytest.raises(DatasetError, match='entry 0 has no img_id / pred_instances'):
        load_predictions(str(path), hand['gt'])


@pytest.mark.parametrize('content, message', [
    (b'{not json', 'is not valid json'),
    (b'{"images": []}', 'must hold an "annotations" list'),
    (b'[{"image_id": 1, "category_id": 1, "bbox": [0, 0, 1], "score": 1}]', 'a detection is malformed'),
    (b'[{"image_id": 1, "category_id": 9, "bbox": [0, 0, 1, 1], "score": 1}]', r'category ids \[9\] are not in'),
    (b'[{"image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1], "score": NaN}]', 'NaN or infinite')])
def test_bad_results_files_name_the_file_and_the_fault(hand, tmp_path, content, message):
    path = tmp_path / 'bad.json'
    path.write_bytes(content)
    with pytest.raises(DatasetError, match=message) as err:
        load_predictions(str(path), hand['gt'])
    assert str(path) in str(err.value) and '\n' not in str(err.value)


def test_ground_truth_that_is_not_coco_is_refused(tmp_path):
    path = tmp_path / 'gt.json'
    path.write_text(json.dumps(dict(images=[])))
    with pytest.raises(DatasetError, match='not a COCO annotation file'):
        load_ground_truth(str(path))
