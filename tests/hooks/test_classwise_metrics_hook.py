"""ClasswiseMetricsHook with mmdet's real CocoMetric(classwise=True), real vis backends and a stand-in runner."""
import json
import uuid
from types import SimpleNamespace

import cv2
import pytest
import torch
from mmdet.evaluation import CocoMetric
from mmengine.logging import MMLogger
from mmengine.runner import BaseLoop, EpochBasedTrainLoop
from mmengine.visualization import Visualizer

from mmext.errors import ConfigError
from mmext.hooks import ClasswiseMetricsHook
from mmext.hooks.classwise_metrics_hook import parse_classwise_table

CLASSES = ('circle', 'square', 'triangle')


class _Loop(BaseLoop):
    def __init__(self, evaluator=None) -> None:  # no dataloader: only what the hook reads
        self.evaluator = evaluator

    def run(self) -> None:
        pass


class _EpochLoop(EpochBasedTrainLoop):
    def __init__(self) -> None:
        pass


def _predictions(ann_file: str) -> list[dict]:
    """Circles exactly on the ground truth, squares shifted by a quarter of their size (IoU 0.6: counts at
    IoU 0.5, not at 0.75), no triangles at all."""
    coco = json.load(open(ann_file))
    samples = {img['id']: dict(img_id=img['id'], ori_shape=(img['height'], img['width']), boxes=[], labels=[])
               for img in coco['images']}
    for ann in coco['annotations']:
        x, y, w, h = ann['bbox']
        label = ann['category_id'] - min(c['id'] for c in coco['categories'])
        if label == 0:
            samples[ann['image_id']]['boxes'].append([x, y, x + w, y + h])
        elif label == 1:
            samples[ann['image_id']]['boxes'].append([x + w / 4, y, x + w + w / 4, y + h])
        else:
            continue
        samples[ann['image_id']]['labels'].append(label)
    out = []
    for s in samples.values():
        n = len(s['labels'])
        out.append(dict(img_id=s['img_id'], ori_shape=s['ori_shape'], pred_instances=dict(
            bboxes=torch.tensor(s['boxes'], dtype=torch.float32).reshape(n, 4), scores=torch.ones(n),
            labels=torch.tensor(s['labels'], dtype=torch.long))))
    return out


def _runner(tmp_path, metric) -> SimpleNamespace:
    name = uuid.uuid4().hex[:8]
    backends = [dict(type='LocalVisBackend', name='local_a', save_dir=str(tmp_path / 'a')),
                dict(type='LocalVisBackend', name='local_b', save_dir=str(tmp_path / 'b'))]
    evaluator = SimpleNamespace(metrics=[metric], dataset_meta=dict(classes=CLASSES))
    return SimpleNamespace(work_dir=str(tmp_path), logger=MMLogger.get_instance(f'classwise_{name}'),
                           visualizer=Visualizer.get_instance(f'vis_{name}', vis_backends=backends),
                           _val_loop=_Loop(evaluator), _train_loop=_EpochLoop(), val_evaluator=evaluator,
                           epoch=3, iter=12)


def test_writes_ap_and_ap50_per_class_to_every_backend_and_a_png(tiny_coco, tmp_path):
    metric = CocoMetric(ann_file=tiny_coco['val'], metric='bbox', classwise=True)
    metric.dataset_meta = dict(classes=CLASSES)
    runner = _runner(tmp_path, metric)
    hook = ClasswiseMetricsHook()
    hook.before_run(runner)
    hook.before_val_epoch(runner)
    samples = _predictions(tiny_coco['val'])
    metric.process({}, samples)
    metrics = metric.evaluate(len(samples))
    hook.after_val_epoch(runner, metrics)

    for backend in ('a', 'b'):
        lines = [json.loads(line) for line in next((tmp_path / backend).rglob('scalars.json')).read_text().splitlines()]
        assert len(lines) == 1
        scalars = lines[0]
        assert scalars['step'] == 3
        assert scalars['classwise/circle_AP'] == 1.0 and scalars['classwise/circle_AP50'] == 1.0
        assert scalars['classwise/square_AP50'] == 1.0 and scalars['classwise/square_AP'] < 0.7
        assert scalars['classwise/triangle_AP'] == 0.0 and scalars['classwise/triangle_AP50'] == 0.0
        for cls in CLASSES:  # the same AP that CocoMetric publishes itself
            assert scalars[f'classwise/{cls}_AP'] == metrics[f'coco/{cls}_precision']
    png = cv2.imread(str(tmp_path / 'classwise_ap.png'))
    assert png is not None and png.shape[0] > 100 and png.shape[1] > 400
    assert not runner.logger.handlers or all(type(h).__name__ != '_TableCatcher' for h in runner.logger.handlers)


def test_needs_a_classwise_coco_metric(tiny_coco, tmp_path):
    metric = CocoMetric(ann_file=tiny_coco['val'], metric='bbox')
    with pytest.raises(ConfigError, match=r'needs a CocoMetric with classwise=True in val_evaluator, found '
                                          r'CocoMetric\(classwise=False\)'):
        ClasswiseMetricsHook().before_run(_runner(tmp_path, metric))


def test_parse_table_ignores_other_messages():
    assert parse_classwise_table('Epoch(val) [1][8/8] coco/bbox_mAP: 0.5') == {}
    table = ('+----------+-------+--------+\n| category | mAP   | mAP_50 |\n+----------+-------+--------+\n'
             '| red car  | 0.5   | nan    |\n+----------+-------+--------+')
    parsed = parse_classwise_table('\n' + table)
    assert list(parsed) == ['red car'] and parsed['red car']['mAP'] == 0.5
