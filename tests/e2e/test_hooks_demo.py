"""The demo trained for a few iterations with every mmext hook on, and every example config built."""
import json
import math
import re

import pytest

from tests.conftest import DEMO_CONFIG, ROOT, demo_data_options, quick_options, run_tool

ALL_HOOKS = 'configs/examples/retinanet_r18_fpn_all-hooks_10e_demo.py'


@pytest.mark.e2e
def test_demo_with_every_hook_and_layer_decay(tiny_coco, tmp_path):
    work = tmp_path / 'work'
    result = run_tool(['tools/train.py', ALL_HOOKS, '--work-dir', str(work), '--cfg-options',
                       *demo_data_options(tiny_coco), *quick_options(work, epochs=1),
                       'model.test_cfg.score_thr=0.0'])  # 4 iterations from scratch: keep every low score
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-4000:]
    losses = [float(v) for v in re.findall(r'\bloss: (\S+)', out)]
    assert len(losses) == 4 and all(math.isfinite(v) for v in losses)  # 16 images, batch 4
    # the summary: once, with the layer ids and the demo's backbone lr x 0.5 times the decay 0.9 ** (9 - id)
    assert out.count('parameter groups (ParamGroupSummaryHook)') == 1
    stem = re.search(r'\n0 +backbone\.conv1\.weight, backbone\.bn1\.\* +3 +4,768 +(\S+) +(\S+) +0\.05 +1 +0\n', out)
    assert stem and float(stem.group(2)) == pytest.approx(0.5 * 0.9 ** 9, rel=1e-3), out[-6000:]
    # the freeze schedule: layer1 frozen for iterations 1-2, then trained
    assert re.search(r'FreezeScheduleHook: froze backbone\.layer1 \(12 tensors, 37,120 parameters, 4 BatchNorm '
                     r'layers in eval mode\) at epoch 0, iteration 0, until iteration 2', out)
    assert 'FreezeScheduleHook: unfroze backbone.layer1 (12 tensors) at epoch 0, iteration 2' in out
    # class-wise metrics: scalars for the vis backend and the chart
    scalars = [json.loads(line) for line in next(work.rglob('vis_data/scalars.json')).read_text().splitlines()]
    classwise = [s for s in scalars if 'classwise/circle_AP' in s]
    assert len(classwise) == 1 and {'classwise/square_AP50', 'classwise/triangle_AP'} <= set(classwise[0])
    assert (work / 'classwise_ap.png').stat().st_size > 1000


@pytest.mark.parametrize('config', sorted(p.relative_to(ROOT).as_posix()
                                          for p in (ROOT / 'configs' / 'examples').glob('*.py')) + [DEMO_CONFIG])
def test_config_builds_its_model_optimizer_and_hooks(config, tiny_coco):
    from mmdet.registry import HOOKS, MODELS
    from mmengine.config import Config
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import init_default_scope

    import mmext  # noqa: F401
    from mmext.optim import NonFiniteGuardOptimWrapper, summarize_param_groups
    init_default_scope('mmdet')
    from mmext.engine.config.prepare import prepare_config
    cfg = Config.fromfile(str(ROOT / config))
    cfg.merge_from_dict(dict(option.split('=', 1) for option in demo_data_options(tiny_coco)))
    prepare_config(cfg)  # num_classes='auto' comes from the dataset
    model = MODELS.build(cfg.model)
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    hooks = {type(HOOKS.build(h)).__name__ for h in cfg.custom_hooks}
    assert isinstance(wrapper, NonFiniteGuardOptimWrapper) and 'NonFiniteLossGuardHook' in hooks
    rows, _ = summarize_param_groups(model, wrapper)
    # the configs with per-group settings (lr_mult, decay or rule) train the backbone's first row below the base
    # lr; the demo (and the examples that keep its optimizer) trains every group at the base lr
    base_lr, first = cfg.optim_wrapper.optimizer.lr, rows[0]
    assert first.names[0].startswith('backbone.')
    if cfg.optim_wrapper.get('paramwise_cfg'):
        assert first.lr < base_lr
    else:
        assert all(row.lr == pytest.approx(base_lr) for row in rows)
