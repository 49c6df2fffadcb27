"""The BiFPN configs for real: the demo variant trains, and mmdet's registry builds RetinaNet-R50 + BiFPN."""
import math
import re

import pytest
import torch

from tests.conftest import demo_data_options, quick_options, run_tool

pytestmark = pytest.mark.e2e
DEMO_BIFPN = 'configs/bifpn/retinanet_r18_bifpn_10e_demo.py'
R50_BIFPN = 'configs/bifpn/retinanet_r50_bifpn_1x_coco.py'


def test_demo_with_bifpn_trains_with_finite_loss(tiny_coco, tmp_path):
    work = tmp_path / 'work'
    result = run_tool(['tools/train.py', DEMO_BIFPN, '--work-dir', str(work), '--cfg-options',
                       *demo_data_options(tiny_coco), *quick_options(work, epochs=1)],
                      env={'OMP_NUM_THREADS': '1'})  # small maps: one thread is the faster, on a shared machine too
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    losses = [float(v) for v in re.findall(r'\bloss: (\S+)', result.stdout)]
    assert len(losses) >= 3 and all(math.isfinite(v) for v in losses)
    state = torch.load(work / 'epoch_1.pth', weights_only=False)['state_dict']  # our own file, just written
    fusion = state['neck.layers.0.bu_nodes.0.weight']
    assert fusion.shape == (3,) and not torch.equal(fusion, torch.ones(3))  # the BiFPN itself was trained


def test_retinanet_r50_bifpn_builds_from_mmdets_registry_after_custom_imports():
    code = '\n'.join([
        'import sys, torch',
        'from mmengine.config import Config',
        'from mmdet.registry import MODELS',
        'from mmdet.utils import register_all_modules',
        "assert 'mmext' not in sys.modules",
        f"cfg = Config.fromfile('{R50_BIFPN}')  # imports mmext through custom_imports",
        'register_all_modules()',
        'model = MODELS.build(cfg.model)',
        'neck = model.neck',
        'print(type(neck).__module__, type(neck).__name__, neck.in_channels, neck.start_level, neck.out_channels)',
        'model.eval()',
        'with torch.no_grad():',
        '    print([tuple(f.shape) for f in model.extract_feat(torch.randn(1, 3, 96, 64))])',
    ])
    result = run_tool(['-c', code], env={'OMP_NUM_THREADS': '1'})
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.strip().splitlines()
    assert lines[-2] == 'mmext.models.necks.bifpn BiFPN (256, 512, 1024, 2048) 1 256'
    assert lines[-1] == str([(1, 256, 12, 8), (1, 256, 6, 4), (1, 256, 3, 2), (1, 256, 2, 1), (1, 256, 1, 1)])
