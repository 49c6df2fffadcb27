"""Bring-your-own COCO end to end: a label-tool style export (placeholder category, ids with gaps, listed out of
order), no class list anywhere, num_classes='auto', one missing image skipped by policy."""
import json
import re
import shutil

import pytest
import torch

from tests.conftest import DEMO_CONFIG, quick_options, run_tool

pytestmark = pytest.mark.e2e
IDS = {1: 9, 2: 4, 3: 7}  # circle, square, triangle -> ids with gaps, not in name order


def _export(src: str, dst) -> None:
    data = json.load(open(src))
    data['categories'] = [dict(id=0, name='shapes', supercategory='none')] + [
        dict(c, id=IDS[c['id']], supercategory='shapes') for c in reversed(data['categories'])]
    for ann in data['annotations']:
        ann['category_id'] = IDS[ann['category_id']]
    dst.write_text(json.dumps(data))


def test_train_on_an_export_with_no_class_list(tiny_coco, tmp_path):
    root = tmp_path / 'data'
    shutil.copytree(tiny_coco['img_dir'], root / 'images')
    (root / 'annotations').mkdir()
    for split in ('train', 'val'):
        _export(tiny_coco[split], root / 'annotations' / f'{split}.json')
    (root / 'images' / '000005.jpg').unlink()  # a train image lost in the copy
    work = tmp_path / 'work'
    opts = [f'{s}_dataloader.dataset.data_root={root}/' for s in ('train', 'val', 'test')] + [
        f'val_evaluator.ann_file={root}/annotations/val.json', f'test_evaluator.ann_file={root}/annotations/val.json',
        'train_dataloader.dataset.broken_images=skip', 'train_dataloader.dataset.max_broken_fraction=0.1']
    result = run_tool(['tools/train.py', DEMO_CONFIG, '--work-dir', str(work), '--cfg-options', *opts,
                       *quick_options(work, epochs=1)])
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-4000:]
    table = re.search(r'3 classes from \S+train\.json:\n(.*\n){4}', log).group(0)
    assert [line.split() for line in table.splitlines()[2:]] == [
        ['4', '0', 'square', str(_count(tiny_coco, 2))], ['7', '1', 'triangle', str(_count(tiny_coco, 3))],
        ['9', '2', 'circle', str(_count(tiny_coco, 1))]]
    assert log.count("category id 0 dropped: 'shapes' has no annotations") == 2  # train and val, one line each
    assert re.search(r'skipped broken image \S+000005\.jpg \(image id 5 .*\[image_missing\]; 1 of 16 images', log)
    assert 'Evaluating bbox (mmext)...' in log and 'coco/bbox_mAP: ' in log and 'Traceback' not in log
    head = torch.load(work / 'epoch_1.pth', weights_only=False)['state_dict']['bbox_head.retina_cls.weight']
    assert head.shape[0] == 3 * 3  # 3 anchors (the demo's square ones) x 3 classes, from num_classes='auto'


def _count(tiny_coco, category_id: int) -> int:
    return sum(a['category_id'] == category_id for a in json.load(open(tiny_coco['train']))['annotations'])
