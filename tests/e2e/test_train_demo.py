"""The demo config trained for real, through mmext's tools/train.py and through mmdet's own."""
import math
import re
from pathlib import Path

import cv2
import mmdet
import pytest
import torch

from tests.conftest import DEMO_CONFIG, demo_data_options, quick_options, run_tool

pytestmark = pytest.mark.e2e


def _losses(log: str) -> list[float]:
    return [float(v) for v in re.findall(r'\bloss: (\S+)', log)]


def test_train_evaluate_draw_then_resume(tiny_coco, tmp_path):
    work = tmp_path / 'work'
    opts = demo_data_options(tiny_coco) + quick_options(work, epochs=1)
    first = run_tool(['tools/train.py', DEMO_CONFIG, '--work-dir', str(work), '--cfg-options', *opts])
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert re.search(r'bbox mAP \(val\):\s+\d\.\d{3}', first.stdout)
    assert f'checkpoint:      {work}/epoch_1.pth' in first.stdout
    png = cv2.imread(str(work / 'predictions.png'))
    assert png is not None and png.shape[0] > 100 and png.shape[1] > 100
    assert _losses(first.stdout) and all(math.isfinite(v) for v in _losses(first.stdout))

    # Resume (no value: the latest checkpoint in the work dir) on torch >= 2.6 with weights_only=True.
    opts = demo_data_options(tiny_coco) + quick_options(work, epochs=2)
    second = run_tool(['tools/train.py', DEMO_CONFIG, '--work-dir', str(work), '--resume', '--cfg-options',
                       *opts])
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    assert 'resumed epoch: 1' in second.stdout
    ckpt = torch.load(work / 'epoch_2.pth', weights_only=False)  # our own file, just written
    assert ckpt['meta']['epoch'] == 2


def test_mmdets_own_train_script_with_custom_imports(tiny_coco, tmp_path):
    """The config imports mmext through custom_imports and uses runner_type='MMExtRunner'."""
    script = Path(mmdet.__file__).parent / '.mim' / 'tools' / 'train.py'
    assert script.is_file()
    work = tmp_path / 'work'
    result = run_tool([str(script), DEMO_CONFIG, '--work-dir', str(work), '--cfg-options',
                       *demo_data_options(tiny_coco), *quick_options(work, epochs=1)])
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert 'coco/bbox_mAP' in result.stdout
    assert (work / 'epoch_1.pth').is_file()
    assert (work / 'predictions.png').is_file()  # PredictionGridHook came from mmext


@pytest.mark.parametrize('args, message', [
    (['configs/demo/no_such_config.py'], 'error: config file configs/demo/no_such_config.py does not exist'),
    ([DEMO_CONFIG, '--cfg-options', 'model.neck.type=NoSuchNeck', 'model.bbox_head.num_classes=3'],
     "error: type='NoSuchNeck' is not registered in mmdet's 'model' registry"),
    ([DEMO_CONFIG, '--cfg-options', 'train_dataloader.dataset.data_root=/no/such/dir/'],
     "error: train_dataloader.dataset.ann_file: annotation file '/no/such/dir/annotations/train.json' does not "
     'exist'),
])
def test_plain_mistakes_give_one_readable_line(args, message, tmp_path):
    result = run_tool(['tools/train.py', *args[:1], '--work-dir', str(tmp_path), *args[1:]])
    assert result.returncode == 1
    assert 'Traceback' not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith(message), result.stderr[-2000:]


@pytest.mark.parametrize('option, message', [
    ('val_dataloader.dataset.ann_file=annotations/missing.json', 'error: val_dataloader.dataset.ann_file: '),
    ('val_evaluator.ann_file=missing.json', "error: val_evaluator.ann_file: annotation file 'missing.json' "),
])
def test_a_missing_validation_file_is_named_before_training(tiny_coco, option, message, tmp_path):
    """The message names the option to fix, and comes before the first epoch, not after it."""
    result = run_tool(['tools/train.py', DEMO_CONFIG, '--work-dir', str(tmp_path), '--cfg-options',
                       *demo_data_options(tiny_coco), *quick_options(tmp_path), option])
    assert result.returncode == 1 and 'Traceback' not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith(message), result.stderr[-2000:]
    assert 'Epoch(train)' not in result.stdout + result.stderr
