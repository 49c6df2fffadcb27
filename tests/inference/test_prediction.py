"""A prediction as NumPy arrays: filtering by score, class names, JSON, and from mmdet's DetDataSample."""
import numpy as np
import torch

from mmext.inference.prediction import Prediction, empty_prediction, from_data_sample

CLASSES = ('cat', 'dog')


def _pred(masks=None):
    return Prediction(np.array([[1, 2, 3, 4], [5, 6, 7.123456, 8]], np.float32), np.array([0.9, 0.2], np.float32),
                      np.array([1, 0]), CLASSES, (10, 20), masks, 'a.jpg')


def test_above_keeps_the_detections_at_or_over_the_threshold_and_their_masks():
    masks = np.zeros((2, 10, 20), bool)
    masks[1, 0, 0] = True
    pred = _pred(masks)
    kept = pred.above(0.2)
    assert len(kept) == 2 and pred.above(None) is pred and pred.above(0) is pred
    kept = pred.above(0.5)
    assert len(kept) == 1 and kept.class_names == ['dog'] and kept.masks.shape == (1, 10, 20)
    assert not kept.masks.any() and kept.path == 'a.jpg' and kept.image_size == (10, 20)
    assert pred.class_names == ['dog', 'cat']


def test_to_dict_is_json_ready_and_rounded():
    data = _pred().to_dict()
    assert data == dict(boxes=[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.12, 8.0]], scores=[0.9, 0.2], labels=[1, 0],
                        class_names=['dog', 'cat'])
    assert empty_prediction(CLASSES, (5, 6)).to_dict() == dict(boxes=[], scores=[], labels=[], class_names=[])


def test_from_an_mmdet_data_sample():
    from mmdet.structures import DetDataSample
    from mmengine.structures import InstanceData
    sample = DetDataSample(metainfo=dict(ori_shape=(10, 20)))
    sample.pred_instances = InstanceData(bboxes=torch.tensor([[1.0, 2, 3, 4]]), scores=torch.tensor([0.7]),
                                         labels=torch.tensor([1]), masks=torch.ones(1, 10, 20, dtype=torch.uint8))
    pred = from_data_sample(sample, CLASSES, 'x.jpg')
    assert pred.boxes.dtype == np.float32 and pred.labels.dtype == np.int64 and pred.masks.dtype == bool
    assert pred.image_size == (10, 20) and pred.class_names == ['dog'] and pred.masks.all() and pred.path == 'x.jpg'
    empty = empty_prediction(CLASSES, (10, 20))
    assert len(empty) == 0 and empty.boxes.shape == (0, 4) and empty.masks is None
