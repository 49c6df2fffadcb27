"""SavePredictionsHook: one PNG per test image, named after it, with the predictions above the score threshold."""
from types import SimpleNamespace

import cv2
import numpy as np

from mmext.hooks.save_predictions_hook import SavePredictionsHook
from mmext.visualization.draw import class_palette, draw_boxes
from tests.datasets.coco_builder import write_image
from tests.hooks.test_prediction_grid_hook import _sample

CLASSES = ('cat', 'dog')


def test_one_picture_per_image_with_the_confident_predictions(tmp_path):
    paths = [write_image(tmp_path / 'images' / name, seed=i) for i, name in enumerate(['a.jpg', 'b.png'])]
    dataset = SimpleNamespace(metainfo=dict(classes=CLASSES))  # no palette: the hook makes one
    runner = SimpleNamespace(test_dataloader=SimpleNamespace(dataset=dataset))
    out_dir = tmp_path / 'vis' / 'nested'
    hook = SavePredictionsHook(str(out_dir), score_thr=0.5, scale=1.5)
    hook.before_test(runner)
    assert out_dir.is_dir()
    preds = [([[2, 3, 20, 25], [5, 5, 9, 9]], [0, 1], [0.8, 0.4]), ([[1, 1, 30, 20]], [1], [0.5])]
    samples = [_sample(dict(img_path=str(p), img_id=i), *preds[i]) for i, p in enumerate(paths)]
    missing = _sample(dict(img_path=str(tmp_path / 'gone.jpg'), img_id=9), [[1, 1, 2, 2]], [0], [0.9])
    hook.after_test_iter(runner, 0, None, samples + [missing])
    hook.after_test_iter(runner, 1, None, None)
    assert sorted(p.name for p in out_dir.iterdir()) == ['a.png', 'b.png']  # an unreadable image is skipped
    for path, (boxes, labels, scores) in zip(paths, preds):
        boxes, labels, scores = np.array(boxes), np.array(labels), np.array(scores, np.float32)
        keep = scores >= 0.5
        expected = draw_boxes(cv2.imread(str(path)), boxes[keep], labels[keep], CLASSES, class_palette(2),
                              scores[keep], scale=1.5)
        assert np.array_equal(cv2.imread(str(out_dir / (path.stem + '.png'))), expected), path.name
