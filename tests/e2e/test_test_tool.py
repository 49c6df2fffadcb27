"""tools/test.py on a checkpoint of the demo: metrics, COCO results json, PNGs, format-only splits."""
import json
import re

import cv2
import pytest
from pycocotools.coco import COCO

from tests.conftest import DEMO_CONFIG, demo_data_options, quick_options, run_tool

pytestmark = pytest.mark.e2e


@pytest.fixture(scope='module')
def trained(tiny_coco, tmp_path_factory):
    work = tmp_path_factory.mktemp('trained')
    result = run_tool(['tools/train.py', DEMO_CONFIG, '--work-dir', str(work), '--cfg-options',
                       *demo_data_options(tiny_coco), *quick_options(work, epochs=1)])
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    val_map = re.findall(r'Epoch\(val\).*coco/bbox_mAP: (\d\.\d+)', result.stdout)[-1]
    return dict(work=work, ckpt=work / 'epoch_1.pth', val_map=val_map)


def test_metrics_results_json_and_pictures(trained, tiny_coco, tmp_path):
    out, show = tmp_path / 'preds.json', tmp_path / 'show'
    result = run_tool(['tools/test.py', DEMO_CONFIG, str(trained['ckpt']), '--work-dir', str(tmp_path / 'w'),
                       '--out', str(out), '--show-dir', str(show), '--classwise', '--cfg-options',
                       *demo_data_options(tiny_coco), *quick_options(tmp_path)])
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    test_map = re.findall(r'Epoch\(test\).*coco/bbox_mAP: (\d\.\d+)', result.stdout)[-1]
    assert test_map == trained['val_map']  # same weights, same split: the same number as training's last val
    assert 'bbox mAP:' in result.stdout and f'results:         {out}' in result.stdout
    assert re.search(r'\|\s*category\s*\|\s*mAP', result.stdout)  # the per-class table
    gt = COCO(tiny_coco['val'])
    if json.loads(out.read_text()):
        dets = gt.loadRes(str(out))
        assert set(dets.getImgIds()) <= set(gt.getImgIds())
    pngs = sorted(show.glob('*.png'))
    assert len(pngs) == len(gt.getImgIds())
    assert all(cv2.imread(str(p)) is not None for p in pngs)


def test_split_without_annotations_is_formatted_only(trained, tiny_coco, tmp_path):
    images_only = tmp_path / 'test_images_only.json'
    data = json.loads(open(tiny_coco['val']).read())
    data.pop('annotations')
    images_only.write_text(json.dumps(data))
    opts = demo_data_options(tiny_coco) + quick_options(tmp_path) + [
        f'test_dataloader.dataset.ann_file={images_only}', f'test_evaluator.ann_file={images_only}']
    missing_out = run_tool(['tools/test.py', DEMO_CONFIG, str(trained['ckpt']), '--cfg-options', *opts])
    assert missing_out.returncode == 1 and 'pass --out results.json' in missing_out.stderr
    out = tmp_path / 'submission.json'
    result = run_tool(['tools/test.py', DEMO_CONFIG, str(trained['ckpt']), '--work-dir', str(tmp_path / 'w'),
                       '--out', str(out), '--cfg-options', *opts])
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert 'nothing evaluated' in result.stdout
    assert isinstance(json.loads(out.read_text()), list)
