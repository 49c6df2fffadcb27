"""Curves from mmengine scalar logs, one or several runs overlaid."""
import importlib.util
import json

import cv2
import pytest

from mmext.errors import LogError
from mmext.visualization.log_curves import read_run, unique_labels
from tests.conftest import ROOT


def _plot_logs():
    spec = importlib.util.spec_from_file_location('plot_logs', ROOT / 'tools' / 'plot_logs.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(folder, losses, maps, timestamp='20260101_000000'):
    vis = folder / timestamp / 'vis_data'
    vis.mkdir(parents=True)
    lines = [dict(lr=0.001 * i, loss=loss, loss_cls=loss / 2, time=0.1, epoch=1, iter=i, step=i)
             for i, loss in enumerate(losses, 1)]
    lines += [{'coco/bbox_mAP': m, 'coco/bbox_mAP_l': -1.0, 'time': 0.2, 'step': e} for e, m in enumerate(maps, 1)]
    (vis / 'scalars.json').write_text('\n'.join(json.dumps(line) for line in lines) + '\n')


def test_read_run_splits_training_and_validation(tmp_path):
    _run(tmp_path / 'a', [2.0, 1.5, 1.2], [0.1, 0.3])
    run = read_run(str(tmp_path / 'a'))
    assert run.label == 'a'
    assert run.train['loss'] == [(1, 2.0), (2, 1.5), (3, 1.2)] and run.train['lr'][-1] == (3, 0.003)
    assert run.val == {'coco/bbox_mAP': [(1, 0.1), (2, 0.3)], 'coco/bbox_mAP_l': [(1, -1.0), (2, -1.0)]}
    with pytest.raises(LogError, match='no scalars.json found'):
        read_run(str(tmp_path / 'missing'))


def test_plot_logs_tool_overlays_runs(tmp_path, capsys):
    _run(tmp_path / 'x' / 'run', [2.0, 1.0], [0.2])
    _run(tmp_path / 'y' / 'run', [3.0, 2.5], [0.1])
    paths = [str(tmp_path / 'x' / 'run'), str(tmp_path / 'y' / 'run')]
    assert unique_labels(paths) == ['x/run', 'y/run']
    out = tmp_path / 'curves.png'
    assert _plot_logs().main([*paths, '--out', str(out)]) == 0
    assert f'curves of 2 run(s) written to {out}' in capsys.readouterr().out
    image = cv2.imread(str(out))
    # 4 panels (loss, loss_cls, lr, val mAP; mAP_l is all -1 and left out) in a 3-column grid: two rows
    assert image.shape[1] > 1200 and 500 < image.shape[0] < 700
    assert _plot_logs().main([str(tmp_path / 'nothing')]) == 1
