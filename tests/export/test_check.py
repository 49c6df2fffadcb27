"""The parity check: pairing detections, the verdict and its line, unreadable sample images."""
import cv2
import numpy as np
import pytest

from mmext.errors import DatasetError
from mmext.export import load_detector
from mmext.export.check import ParityReport, _pair_up, compare, read_images
from tests.export.conftest import demo_images


def test_equal_scores_in_another_order_are_paired_by_box():
    boxes = np.array([[0, 0, 10, 10], [20, 20, 30, 30], [0, 0, 5, 5]], np.float32)
    scores = np.array([0.5, 0.5, 0.4], np.float32)
    labels = np.array([1, 1, 0])
    order = [1, 0, 2]  # NMS put the two equal scores the other way round
    got = dict(bboxes=boxes[order] + 1e-4, scores=scores[order], labels=labels[order])
    box, score, ok = _pair_up(boxes, scores, labels, got)
    assert ok and box == pytest.approx(1e-4, rel=1e-2) and score == 0.0
    got['labels'] = np.array([1, 1, 1])  # the last one changed class: no partner
    assert _pair_up(boxes, scores, labels, got) == (float('inf'), float('inf'), False)


def test_report_verdict_and_line():
    good = ParityReport(4, 2e-5, 1e-6, True, [])
    assert good.ok and good.line() == ('onnxruntime vs torch on 4 images: max box difference 2.00e-05 px, max score '
                                       'difference 1.00e-06, labels equal (within 1e-3)')
    assert not ParityReport(4, 2e-3, 0.0, True, []).ok
    bad = ParityReport(4, 0.0, 0.0, True, ['a.jpg'])
    assert not bad.ok and bad.line().endswith('(NOT within 1e-3); detection counts differ on [\'a.jpg\']')


class _Shifted:
    """mmdet's own prediction with every box moved by ``shift`` px: what a broken export would give."""

    def __init__(self, model, shift):
        self.model, self.shift = model, shift

    def predict(self, img):
        from mmdet.apis import inference_detector
        pred = inference_detector(self.model, img).pred_instances
        return dict(bboxes=pred.bboxes.numpy() + self.shift, scores=pred.scores.numpy(), labels=pred.labels.numpy())


def test_compare_finds_a_box_difference(demo_work_dir, tiny_coco):
    model = load_detector(str(demo_work_dir))
    images = demo_images(tiny_coco)[:2]
    assert compare(model, _Shifted(model, 0.0), images).ok
    report = compare(model, _Shifted(model, 0.01), images)
    assert not report.ok and report.max_box_diff == pytest.approx(0.01, abs=1e-4) and report.images == 2


def test_an_unreadable_sample_image_is_named(tmp_path):
    cv2.imwrite(str(tmp_path / 'ok.png'), np.zeros((8, 8, 3), np.uint8))
    (tmp_path / 'bad.png').write_bytes(b'xx')
    assert [p for p, _ in read_images([str(tmp_path / 'ok.png')])] == [str(tmp_path / 'ok.png')]
    with pytest.raises(DatasetError, match=r'sample image .*bad.png does not exist or cannot be read'):
        read_images([str(tmp_path / 'ok.png'), str(tmp_path / 'bad.png')])
