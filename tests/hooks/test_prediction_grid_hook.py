"""PredictionGridHook: after each validation, one PNG of the first images, ground truth beside the predictions."""
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
import torch
from mmdet.registry import DATASETS
from mmdet.structures import DetDataSample
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData

from mmext.hooks.prediction_grid_hook import PredictionGridHook
from mmext.visualization.draw import draw_boxes
from tests.datasets.coco_builder import HEIGHT, WIDTH, write_coco

SCALE, PAD, TITLE = 2.0, 4, 18  # the hook's scale; make_grid's padding and title bar


@pytest.fixture
def runner(tmp_path):
    init_default_scope('mmdet')
    files = write_coco(tmp_path)
    dataset = DATASETS.build(dict(type='CustomCocoDataset', ann_file=files['ann'], pipeline=[],
                                  data_prefix=dict(img=files['img_dir'])))
    return SimpleNamespace(val_dataloader=SimpleNamespace(dataset=dataset), work_dir=str(tmp_path))


def _sample(info: dict, boxes, labels, scores) -> DetDataSample:
    sample = DetDataSample(metainfo=dict(img_path=info['img_path'], img_id=info['img_id']))
    sample.pred_instances = InstanceData(bboxes=torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4),
                                         labels=torch.tensor(labels, dtype=torch.int64),
                                         scores=torch.tensor(scores, dtype=torch.float32))
    return sample


def _validate(hook, runner, batches) -> np.ndarray:
    hook.before_val_epoch(runner)
    for i, batch in enumerate(batches):
        hook.after_val_iter(runner, i, None, batch)
    hook.after_val_epoch(runner, {})
    return cv2.imread(f'{runner.work_dir}/{hook.filename}')


def _tile(grid: np.ndarray, k: int) -> np.ndarray:
    """Tile k of a grid of 4 columns of (WIDTH x HEIGHT) * SCALE images with titles."""
    w, h = int(WIDTH * SCALE), int(HEIGHT * SCALE)
    y, x = PAD + (k // 4) * (h + TITLE + PAD) + TITLE, PAD + (k % 4) * (w + PAD)
    return grid[y:y + h, x:x + w]


def test_the_first_images_ground_truth_beside_the_confident_predictions(runner):
    dataset = runner.val_dataloader.dataset
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    preds = [([[5, 6, 15, 14], [1, 1, 4, 4]], [0, 1], [0.9, 0.1]), ([[2, 2, 30, 20]], [2], [0.2]),
             ([[0, 0, 39, 29]], [1], [0.31]), ([[3, 3, 9, 9]], [0], [0.99])]
    batches = [[_sample(infos[i], *preds[i]) for i in (0, 1)], [_sample(infos[i], *preds[i]) for i in (2, 3)]]
    grid = _validate(PredictionGridHook(num_images=3, score_thr=0.3, scale=SCALE), runner, batches)
    assert grid.shape == (2 * (int(HEIGHT * SCALE) + TITLE + PAD) + PAD, 4 * (int(WIDTH * SCALE) + PAD) + PAD, 3)
    classes, palette = dataset.metainfo['classes'], dataset.metainfo['palette']
    for k in range(3):  # three images: six tiles, the fourth image is not shown
        img = cv2.imread(infos[k]['img_path'])
        truth = [i for i in infos[k]['instances'] if not i['ignore_flag']]  # a crowd region is not drawn
        expected_truth = draw_boxes(img, np.array([i['bbox'] for i in truth]).reshape(-1, 4),
                                    [i['bbox_label'] for i in truth], classes, palette, scale=SCALE)
        boxes, labels, scores = (np.array(v) for v in preds[k])
        keep = scores >= 0.3
        expected_preds = draw_boxes(img, boxes[keep].reshape(-1, 4), labels[keep], classes, palette,
                                    scores[keep].astype(np.float32), scale=SCALE)
        assert np.array_equal(_tile(grid, 2 * k), expected_truth), k
        assert np.array_equal(_tile(grid, 2 * k + 1), expected_preds), k
    assert (_tile(grid, 7) == 255).all()  # the empty cell
    assert np.array_equal(_tile(grid, 3), cv2.resize(cv2.imread(infos[1]['img_path']), None, fx=SCALE, fy=SCALE,
                                                      interpolation=cv2.INTER_NEAREST))  # its one box below 0.3


def test_each_validation_starts_a_new_picture(runner):
    info = runner.val_dataloader.dataset.get_data_info(0)
    hook = PredictionGridHook(num_images=1, scale=SCALE)
    first = _validate(hook, runner, [[_sample(info, [[5, 6, 15, 14]], [0], [0.9])]])
    second = _validate(hook, runner, [[_sample(info, [[20, 2, 38, 28]], [1], [0.9])]])
    assert first.shape == second.shape and not np.array_equal(_tile(first, 1), _tile(second, 1))
    assert np.array_equal(_tile(first, 0), _tile(second, 0))  # the same ground truth
    assert second.shape[1] == 2 * (int(WIDTH * SCALE) + PAD) + PAD  # two tiles: the first epoch's are gone


def test_no_predictions_no_picture(runner):
    assert _validate(PredictionGridHook(), runner, [[], None]) is None
    with pytest.raises(ValueError, match='num_images must be >= 1, got 0'):
        PredictionGridHook(num_images=0)
