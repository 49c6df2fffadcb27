"""Sliced prediction: tiles cover the image whole, boxes map back, duplicates across tiles merge."""
import numpy as np
import pytest

from mmext.inference.prediction import Prediction
from mmext.inference.slicing import SliceOptions, merge_detections, predict_sliced, tile_starts, tiles


def test_tiles_cover_the_image_with_the_overlap_and_stay_inside():
    assert tile_starts(100, 640, 0.2) == [0]
    assert tile_starts(2000, 640, 0.2) == [0, 453, 907, 1360]  # evenly spread, the last ends at the border
    boxes = tiles(300, 1000, 256, 0.25)
    assert {(b[2] - b[0], b[3] - b[1]) for b in boxes} == {(256, 256)}
    covered = np.zeros((300, 1000), bool)
    for x1, y1, x2, y2 in boxes:
        covered[y1:y2, x1:x2] = True
    assert covered.all()
    with pytest.raises(ValueError, match='overlap must be in'):
        SliceOptions(overlap=1.0)
    with pytest.raises(ValueError, match='merge must be one of'):
        SliceOptions(merge='wbf')


class OneBoxPerTile:
    """A stand-in predictor: in every image, one box around a bright square if there is one."""
    classes = ('thing',)
    batch_size = 4

    def __init__(self):
        self.batches = []

    def predict_arrays(self, images):
        self.batches.append(len(images))
        out = []
        for img in images:
            ys, xs = np.nonzero(img[..., 0] > 128)
            boxes = (np.array([[xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]], np.float32) if len(xs)
                     else np.zeros((0, 4), np.float32))
            out.append(Prediction(boxes, np.full(len(boxes), 0.9, np.float32), np.zeros(len(boxes), np.int64),
                                  self.classes, img.shape[:2]))
        return out


def test_boxes_map_back_to_the_image_and_tile_duplicates_merge():
    img = np.zeros((400, 400, 3), np.uint8)
    img[180:200, 180:200] = 255  # inside all four tiles (starts 0 and 144 on each side)
    predictor = OneBoxPerTile()
    pred = predict_sliced(predictor, img, SliceOptions(size=256, overlap=0.4375))
    assert predictor.batches == [4]  # the tiles went through as one batch
    np.testing.assert_allclose(pred.boxes, [[180, 180, 200, 200]])
    both = predict_sliced(predictor, img, SliceOptions(size=256, overlap=0.4375, full_image=True))
    assert len(both) == 1 and predictor.batches[-1] == 1


def test_nms_is_class_wise_and_matrix_nms_decays_instead_of_removing():
    boxes = np.array([[0, 0, 10, 10], [1, 0, 11, 10], [0, 0, 10, 10], [50, 50, 60, 60]], np.float32)
    scores = np.array([0.9, 0.8, 0.7, 0.6], np.float32)
    labels = np.array([0, 0, 1, 0])
    keep, kept_scores = merge_detections(boxes, scores, labels, SliceOptions(merge='nms'))
    assert sorted(keep.tolist()) == [0, 2, 3]  # box 1 overlaps box 0 of its class; box 2 is another class
    keep, decayed = merge_detections(boxes, scores, labels, SliceOptions(merge='matrix_nms'))
    by_index = dict(zip(keep.tolist(), decayed.tolist()))
    assert by_index[0] == pytest.approx(0.9) and by_index[2] == pytest.approx(0.7)
    assert by_index[3] == pytest.approx(0.6) and by_index.get(1, 0) < 0.8 * 0.5  # decayed by IoU 0.82
