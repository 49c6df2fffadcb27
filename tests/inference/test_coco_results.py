"""The COCO results file: images with sizes, scored annotations in the training json's ids, loadable back."""
import numpy as np
from pycocotools.coco import COCO

from mmext.inference.class_names import ModelClasses
from mmext.inference.coco_results import CocoResults, load_results
from mmext.inference.prediction import Prediction

CLASSES = ModelClasses(('cat', 'dog'), (7, 9), 'test')


def _pred(n, path):
    boxes = np.array([[10, 20, 30, 60]] * n, np.float32)
    return Prediction(boxes, np.linspace(0.9, 0.5, n).astype(np.float32), np.arange(n) % 2, CLASSES.names, (100, 200),
                      None, path)


def test_results_load_as_a_dataset_and_as_detections(tmp_path):
    results = CocoResults(CLASSES)
    results.add('a.jpg', _pred(3, '/data/a.jpg'))
    results.add('sub/b.jpg', _pred(0, '/data/sub/b.jpg'))
    path = tmp_path / 'results.json'
    path.write_bytes(results.dumps())
    data = load_results(str(path))
    assert data['images'][1] == dict(id=2, file_name='sub/b.jpg', width=200, height=100, path='/data/sub/b.jpg')
    ann = data['annotations'][1]
    assert ann['bbox'] == [10.0, 20.0, 20.0, 40.0] and ann['category_id'] == 9 and ann['area'] == 800.0
    assert data['categories'] == [dict(id=7, name='cat'), dict(id=9, name='dog')]
    coco = COCO(str(path))  # as ground truth (review, pseudo-labels)
    assert coco.getImgIds() == [1, 2] and len(coco.getAnnIds()) == 3
    dets = coco.loadRes(data['annotations'])  # as detections
    assert len(dets.getAnnIds()) == 3


def test_parts_merge_in_order_with_new_ids():
    first, second = CocoResults(CLASSES), CocoResults(CLASSES)
    first.add('a.jpg', _pred(2, 'a.jpg'))
    second.add('b.jpg', _pred(1, 'b.jpg'))
    second.add('c.jpg', _pred(2, 'c.jpg'))
    merged = CocoResults(CLASSES)
    merged.extend(first.to_dict())
    merged.extend(second.to_dict())
    data = merged.to_dict()
    assert [i['file_name'] for i in data['images']] == ['a.jpg', 'b.jpg', 'c.jpg']
    assert [a['id'] for a in data['annotations']] == [1, 2, 3, 4, 5]
    assert [a['image_id'] for a in data['annotations']] == [1, 1, 2, 3, 3]
