"""tools/gpu_check.py: the parts of the GPU check that run without a GPU (the GPU runs are `make gpu-check`)."""
from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest

import gpu_check
from gpu_check import Run, check_ops, compare, execute, plan, training_speed

ROOT = Path(__file__).resolve().parents[2]


def test_plan_on_one_gpu_leaves_the_nccl_run_out_with_a_note(tmp_path):
    runs, notes = plan(1, tmp_path, epochs=3, batch_size=8)
    assert [r.name for r in runs] == ['train_1gpu', 'train_1gpu_amp', 'test_1gpu']
    assert notes == ['1 GPU visible: the two-GPU run under NCCL (--gpus 2) needs two and is left out']
    train, amp, test = runs
    assert '--amp' in amp.argv and '--amp' not in train.argv
    assert {'train_cfg.max_epochs=3', 'train_dataloader.batch_size=8'} <= set(train.argv)
    assert train.argv[:2] == ['tools/train.py', gpu_check.DEMO_CONFIG] and train.work_dir == tmp_path / 'train_1gpu'
    # the evaluation takes the first run's last checkpoint
    assert test.argv[:3] == ['tools/test.py', gpu_check.DEMO_CONFIG, str(tmp_path / 'train_1gpu' / 'epoch_3.pth')]


def test_plan_on_two_gpus_adds_the_nccl_run(tmp_path):
    runs, notes = plan(2, tmp_path, epochs=10, batch_size=4)
    nccl = [r for r in runs if r.name == 'train_2gpu_nccl']
    assert notes == [] and len(nccl) == 1
    assert nccl[0].argv[nccl[0].argv.index('--gpus') + 1] == '2' and nccl[0].processes == 2


def write_scalars(work_dir: Path, times: dict[int, list[float]]) -> None:
    """mmengine's vis_data/scalars.json: a line per logged interval (epoch, iter, time), a line per validation."""
    log = work_dir / '20261203_120000' / 'vis_data' / 'scalars.json'
    log.parent.mkdir(parents=True)
    lines, it = [], 0
    for epoch, values in times.items():
        for value in values:
            it += 10
            lines.append(json.dumps(dict(lr=1e-3, loss=0.5, time=value, data_time=0.01, epoch=epoch, iter=it, step=it)))
        lines.append(json.dumps({'coco/bbox_mAP': 0.5, 'time': 9.0, 'step': epoch}))
    log.write_text('\n'.join(lines) + '\n')


def test_training_speed_skips_the_first_epoch_and_validation_lines(tmp_path):
    write_scalars(tmp_path, {1: [2.0, 0.5], 2: [0.04, 0.05, 0.06], 3: [0.05, 0.05]})
    assert training_speed(tmp_path, batch_size=4, processes=2) == pytest.approx(8 / 0.05)
    single = tmp_path / 'single'
    write_scalars(single, {1: [0.1, 0.2, 0.3]})
    assert training_speed(single, batch_size=4, processes=1) == pytest.approx(4 / 0.2)
    assert training_speed(tmp_path / 'absent', 4, 1) is None


def test_compare_passes_within_the_tolerance_and_names_what_differs():
    import torch
    assert 'largest difference to the CPU 0' in compare('op', torch.ones(3), torch.ones(3), 0)
    with pytest.raises(AssertionError, match=r'op: differs from the CPU result by up to 0\.5 \(allowed 0\.001\)'):
        compare('op', torch.tensor([1.0, 1.5]), torch.tensor([1.0, 1.0]), 1e-3)
    with pytest.raises(AssertionError, match=r'op: shape \(2,\) on the GPU, \(3,\) on the CPU'):
        compare('op', torch.ones(2), torch.ones(3), 0)


def test_check_ops_runs_mmcvs_nms_and_roi_align_and_their_backward():
    """On the CPU against the CPU: the same code path as on a GPU, which `make gpu-check` runs."""
    lines = check_ops('cpu')
    assert [line.split(':')[0] for line in lines] == ['nms kept indices', 'RoIAlign forward', 'RoIAlign backward']
    assert all('largest difference to the CPU 0' in line for line in lines)
    assert lines[1].startswith('RoIAlign forward: (64, 16, 7, 7)')


def test_execute_times_a_run_and_reports_a_failure(tmp_path):
    ok = execute(Run('ok', ['-c', 'print("done")'], tmp_path, images=100), time.monotonic() + 60, 4)
    assert ok['ok'] and ok['tail'] == ['done'] and ok['images_per_s'] == pytest.approx(100 / ok['seconds'])
    bad = execute(Run('bad', ['-c', 'raise SystemExit(3)'], tmp_path), time.monotonic() + 60, 4)
    assert not bad['ok'] and bad['why'] == 'exit code 3'
    late = execute(Run('late', ['-c', 'pass'], tmp_path), time.monotonic() + 5, 4)
    assert not late['ok'] and late['why'] == 'left out: the time budget is spent'


def test_main_without_a_gpu_is_one_line(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(gpu_check, 'gpu_count', lambda: 0)
    assert gpu_check.main(['--work-dir', str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith('error: no GPU visible to torch') and err.count('\n') == 1


@pytest.mark.skipif(shutil.which('nvidia-smi') is not None, reason='a GPU machine runs the real check')
def test_the_shell_script_stops_before_any_import_without_a_gpu():
    done = subprocess.run(['bash', 'tools/gpu_check.sh'], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]
    assert done.stderr.startswith('error: no NVIDIA GPU visible')
