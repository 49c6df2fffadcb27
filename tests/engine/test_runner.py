"""MMExtRunner hands the dataset's label -> category id table to CocoMetric (which would match by list order)."""
import json
from types import SimpleNamespace

import torch
from mmdet.evaluation import CocoMetric

from mmext.engine.runner import share_category_ids
from tests.datasets.coco_builder import base_coco


def _evaluate(ann_file, share):
    data = json.load(open(ann_file))
    classes, cat_ids = ('cat', 'dog', 'fox'), (1, 2, 5)  # labels in id order, as CustomCocoDataset makes them
    metric = CocoMetric(ann_file=ann_file, metric='bbox')
    metric.dataset_meta = dict(classes=classes, cat_ids=cat_ids)
    if share:
        share_category_ids(SimpleNamespace(evaluator=SimpleNamespace(metrics=[metric])))
    samples = []
    for img in data['images']:
        anns = [a for a in data['annotations'] if a['image_id'] == img['id'] and not a['iscrowd']]
        boxes = torch.tensor([[x, y, x + w, y + h] for x, y, w, h in (a['bbox'] for a in anns)]).reshape(-1, 4)
        labels = torch.tensor([cat_ids.index(a['category_id']) for a in anns], dtype=torch.long)
        samples.append(dict(img_id=img['id'], ori_shape=(img['height'], img['width']),
                            pred_instances=dict(bboxes=boxes, scores=torch.ones(len(anns)), labels=labels)))
    metric.process({}, samples)
    return metric.evaluate(len(samples))['coco/bbox_mAP']


def test_perfect_predictions_score_1_only_with_the_shared_ids(tmp_path):
    data = base_coco()
    data['categories'].reverse()  # listed 5, 2, 1: CocoMetric's name lookup returns ids in this order
    ann_file = tmp_path / 'val.json'
    ann_file.write_text(json.dumps(data))
    assert _evaluate(str(ann_file), share=True) == 1.0
    assert _evaluate(str(ann_file), share=False) < 0.5
