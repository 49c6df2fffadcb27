"""tools/test.py --analysis / --out results.pkl / --tta, and tools/analyze.py, on a checkpoint of the demo."""
import importlib.util
import json
import re
from pathlib import Path

import cv2
import mmdet
import mmengine
import pytest

from tests.conftest import DEMO_CONFIG, demo_data_options, quick_options, run_tool
from tests.e2e.test_test_tool import trained  # noqa: F401  the demo trained one epoch (a fixture)

pytestmark = pytest.mark.e2e


def _mmdet_tool(name: str):
    path = Path(mmdet.__file__).parent / '.mim' / 'tools' / 'analysis_tools' / f'{name}.py'
    spec = importlib.util.spec_from_file_location(f'mmdet_{name}', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_analysis_and_pkl_read_by_mmdet_tools(trained, tiny_coco, tmp_path):
    analysis, pkl = tmp_path / 'analysis', tmp_path / 'results.pkl'
    opts = demo_data_options(tiny_coco) + quick_options(tmp_path)
    result = run_tool(['tools/test.py', DEMO_CONFIG, str(trained['ckpt']), '--work-dir', str(tmp_path / 'w'),
                       '--analysis', str(analysis), '--out', str(pkl), '--iou-thr', '0.4', '--cfg-options', *opts])
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert f'analysis:        {analysis}' in result.stdout and 'at IoU 0.4, score 0.3' in result.stdout
    for name in ('confusion_matrix', 'pr_curves', 'ap_by_class', 'ap_by_size'):
        assert cv2.imread(str(analysis / f'{name}.png')) is not None, name
    test_map = float(re.findall(r'Epoch\(test\).*coco/bbox_mAP: (\d\.\d+)', result.stdout)[-1])
    summary = json.load(open(analysis / 'summary.json'))
    assert summary['metrics']['mAP'] == pytest.approx(test_map, abs=5e-4)  # the same evaluation, rounded by mmdet

    # mmdet's own analysis tools read the pkl: its structure and confusion_matrix.py's calculation
    samples = mmengine.load(str(pkl))
    assert len(samples) == len(json.load(open(tiny_coco['val']))['images'])
    pred = samples[0]['pred_instances']
    assert {'bboxes', 'scores', 'labels'} <= set(pred) and pred['bboxes'].shape[1] == 4 and 'img_id' in samples[0]
    from mmdet.registry import DATASETS
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    import mmext  # noqa: F401
    init_default_scope('mmdet')
    cfg = Config.fromfile(DEMO_CONFIG)
    cfg.merge_from_dict(dict(o.split('=', 1) for o in demo_data_options(tiny_coco)))
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    matrix = _mmdet_tool('confusion_matrix').calculate_confusion_matrix(dataset, samples, score_thr=0.3)
    assert matrix.shape == (4, 4)

    # tools/analyze.py reads the same pkl, and tools/test.py's json, to the same numbers
    again = run_tool(['tools/analyze.py', str(pkl), tiny_coco['val'], '--out', str(tmp_path / 'again'),
                      '--iou-thr', '0.4', '--img-dir', tiny_coco['img_dir']])
    assert again.returncode == 0, again.stderr[-3000:]
    assert json.load(open(tmp_path / 'again' / 'summary.json'))['counts'] == summary['counts']
    bad = run_tool(['tools/analyze.py', str(tmp_path / 'nope.json'), tiny_coco['val'], '--out',
                    str(tmp_path / 'n')])
    assert bad.returncode == 1 and bad.stderr.startswith('error: results file') and 'Traceback' not in bad.stderr


def test_tta_and_bad_out(trained, tiny_coco, tmp_path):
    opts = demo_data_options(tiny_coco) + quick_options(tmp_path)
    result = run_tool(['tools/test.py', DEMO_CONFIG, str(trained['ckpt']), '--work-dir', str(tmp_path / 'w'),
                       '--tta', '--out', str(tmp_path / 'tta.json'), '--cfg-options', *opts])
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert 'no tta_model' in result.stderr and 'bbox mAP:' in result.stdout
    assert isinstance(json.load(open(tmp_path / 'tta.json')), list)
    bad = run_tool(['tools/test.py', DEMO_CONFIG, str(trained['ckpt']), '--out', str(tmp_path / 'x.txt'),
                    '--cfg-options', *opts])
    assert bad.returncode == 1 and 'a .json (COCO results) or a .pkl' in bad.stderr
