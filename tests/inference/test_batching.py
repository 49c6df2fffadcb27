"""Batched prediction: one test_step per batch, the same boxes as one image at a time, unreadable items skipped."""
import cv2
import numpy as np

from tests.inference.same_predictions import assert_same_predictions


def test_a_batch_is_one_forward_pass_with_the_same_boxes(detector, val_images):
    predictor = detector.predictor
    calls = []
    real = predictor.model.test_step

    def counting(data):
        calls.append(len(data['inputs']))
        return real(data)

    predictor.model.test_step = counting
    try:
        images = [cv2.imread(p) for p in val_images[:6]]
        batched = predictor.predict_arrays(images)
    finally:
        del predictor.model.test_step
    assert calls == [4, 2]  # batch_size=4: two calls, not six
    for img, pred in zip(images, batched):
        alone = predictor.predict_arrays([img])[0]
        assert_same_predictions(pred, alone)
        assert pred.image_size == img.shape[:2] and pred.labels.dtype == np.int64


def test_the_stream_keeps_order_and_yields_unreadable_items_as_none(detector, val_images, tmp_path):
    broken = tmp_path / 'broken.jpg'
    broken.write_bytes(b'not a jpeg')
    paths = [val_images[0], str(broken), *val_images[1:5], str(tmp_path / 'gone.jpg')]
    out = list(detector.predictor.stream(paths, detector.predictor.read))
    assert [item for item, _, _ in out] == paths
    assert [pred is None for _, _, pred in out] == [False, True, False, False, False, False, True]
    direct = detector.predictor.predict_arrays([cv2.imread(val_images[1])])[0]
    assert_same_predictions(out[2][2], direct)
