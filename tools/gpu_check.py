"""The GPU check (``make gpu-check``): every CUDA-only path of mmext run once on this machine's GPUs.

In order, within a time budget (8 minutes by default): mmcv's CUDA nms and RoIAlign (forward and backward)
against their CPU results; the demo trained on one GPU, then with ``--amp``; on two GPUs under NCCL
(``--gpus 2``) when there are two; the first run's checkpoint evaluated with ``tools/test.py``. Each run prints
its images/s; the end is a table of every run. Exit code 0 when everything passed, 1 otherwise (and at once,
with one line, when no GPU is visible).

Usage:
    python tools/gpu_check.py [--work-dir work_dirs/gpu_check] [--epochs 10] [--budget 480]
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO_CONFIG = 'configs/demo/retinanet_r18_fpn_10e_demo.py'
DEMO_DATA = 'data/demo'
TRAIN_IMAGES = 640  # tools/make_demo_data.py's default split


@dataclass
class Run:
    """One command of the check: its arguments (after the Python interpreter) and how to read its speed."""

    name: str
    argv: list[str]
    work_dir: Path
    processes: int = 1
    images: int = 0  # for a run without an iteration log (the evaluation): images / wall time
    result: dict = field(default_factory=dict)


def plan(num_gpus: int, work_dir: Path, epochs: int, batch_size: int) -> tuple[list[Run], list[str]]:
    """The runs for a machine with ``num_gpus`` GPUs, and notes on what it cannot run.

    Returns:
        ``(runs, notes)``: training on one GPU, with ``--amp``, on two GPUs (NCCL) when there are two, then
        ``tools/test.py`` on the first run's last checkpoint.
    """
    options = ['--cfg-options', f'train_cfg.max_epochs={epochs}', f'train_dataloader.batch_size={batch_size}']

    def train(name: str, *extra: str, processes: int = 1) -> Run:
        out = work_dir / name
        return Run(name, ['tools/train.py', DEMO_CONFIG, '--work-dir', str(out), *extra, *options], out, processes)

    runs = [train('train_1gpu'), train('train_1gpu_amp', '--amp')]
    notes = []
    if num_gpus >= 2:
        runs.append(train('train_2gpu_nccl', '--gpus', '2', processes=2))
    else:
        notes.append(f'{num_gpus} GPU visible: the two-GPU run under NCCL (--gpus 2) needs two and is left out')
    checkpoint = work_dir / 'train_1gpu' / f'epoch_{epochs}.pth'
    runs.append(Run('test_1gpu', ['tools/test.py', DEMO_CONFIG, str(checkpoint), '--work-dir',
                                  str(work_dir / 'test_1gpu')], work_dir / 'test_1gpu', images=160))
    return runs, notes


def training_speed(work_dir: Path, batch_size: int, processes: int) -> float | None:
    """Images per second of a finished training, from the iteration times in mmengine's scalars.json.

    The median over the logged intervals after the first epoch (which holds the start-up: cuDNN's algorithm
    search, the dataloader workers' start); all of them when the run had a single epoch.
    """
    logs = sorted(work_dir.glob('*/vis_data/scalars.json'))
    if not logs:
        return None
    entries = [json.loads(line) for line in logs[-1].read_text().splitlines() if line.strip()]
    train = [e for e in entries if 'iter' in e and 'time' in e]
    steady = [e['time'] for e in train if e.get('epoch', 1) > 1] or [e['time'] for e in train]
    return batch_size * processes / statistics.median(steady) if steady else None


def compare(name: str, got, want, atol: float) -> str:
    """One line saying how far ``got`` (the GPU's result) is from ``want`` (the CPU's).

    Raises:
        AssertionError: when the shapes differ or the difference is larger than ``atol``.
    """
    got, want = got.detach().float().cpu(), want.detach().float().cpu()
    assert got.shape == want.shape, f'{name}: shape {tuple(got.shape)} on the GPU, {tuple(want.shape)} on the CPU'
    diff = float((got - want).abs().max()) if got.numel() else 0.0
    assert diff <= atol, f'{name}: differs from the CPU result by up to {diff:.3g} (allowed {atol:g})'
    return f'{name}: {tuple(got.shape)}, largest difference to the CPU {diff:.2g} (allowed {atol:g})'


def check_ops(device: str, seed: int = 0) -> list[str]:
    """mmcv's nms and RoIAlign (forward and backward) on ``device`` against the same ops on the CPU."""
    import torch
    from mmcv.ops import nms, roi_align
    gen = torch.Generator().manual_seed(seed)
    xy = torch.rand(2000, 2, generator=gen) * 600
    boxes = torch.cat([xy, xy + 20 + torch.rand(2000, 2, generator=gen) * 80], dim=1)
    scores = torch.rand(2000, generator=gen)
    kept = {}
    for where in ('cpu', device):
        _dets, keep = nms(boxes.to(where), scores.to(where), iou_threshold=0.5)
        kept[where] = keep.cpu()
    lines = [compare('nms kept indices', kept[device], kept['cpu'], 0)]
    features = torch.randn(2, 16, 64, 64, generator=gen)
    corner = torch.rand(64, 2, generator=gen) * 200
    rois = torch.cat([torch.randint(0, 2, (64, 1), generator=gen).float(), corner,
                      corner + 8 + torch.rand(64, 2, generator=gen) * 48], dim=1)
    grads, outs = {}, {}
    for where in ('cpu', device):
        inp = features.to(where).requires_grad_()
        outs[where] = roi_align(inp, rois.to(where), (7, 7), 0.25, 2, 'avg', True)
        outs[where].sum().backward()
        grads[where] = inp.grad
    lines.append(compare('RoIAlign forward', outs[device], outs['cpu'], 1e-4))
    lines.append(compare('RoIAlign backward', grads[device], grads['cpu'], 1e-4))
    return lines


def gpu_count() -> int:
    """GPUs torch can use here (0 for the CPU build of torch or without a driver)."""
    import torch
    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def execute(run: Run, deadline: float, batch_size: int) -> dict:
    """Run one command with what is left of the budget; its images/s, wall time and last lines."""
    left = deadline - time.monotonic()
    if left < 30:
        return dict(ok=False, why='left out: the time budget is spent')
    start = time.monotonic()
    try:
        done = subprocess.run([sys.executable, *run.argv], cwd=ROOT, capture_output=True, text=True, timeout=left)
    except subprocess.TimeoutExpired:
        return dict(ok=False, why=f'stopped after {left:.0f} s: the time budget is spent', seconds=left)
    seconds = time.monotonic() - start
    tail = (done.stdout + done.stderr).strip().splitlines()[-6:]
    speed = run.images / seconds if run.images else training_speed(run.work_dir, batch_size, run.processes)
    return dict(ok=done.returncode == 0, seconds=seconds, images_per_s=speed, tail=tail,
                why='' if done.returncode == 0 else f'exit code {done.returncode}')


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--work-dir', type=Path, default=ROOT / 'work_dirs' / 'gpu_check')
    parser.add_argument('--epochs', type=int, default=10, help='epochs of each training (the demo: 10)')
    parser.add_argument('--batch-size', type=int, default=4, help='images per GPU (the demo: 4)')
    parser.add_argument('--budget', type=float, default=480, help='seconds for everything (default 8 minutes)')
    args = parser.parse_args(argv)
    deadline = time.monotonic() + args.budget
    gpus = gpu_count()
    if gpus == 0:
        print('error: no GPU visible to torch (torch.cuda.device_count() is 0, or torch is the CPU build): run the '
              'GPU check on a machine with an NVIDIA GPU, set up with MMEXT_DEVICE=cuda', file=sys.stderr)
        return 1
    failed = 0
    print('[gpu-check] mmcv CUDA ops against the CPU', flush=True)
    try:
        for line in check_ops('cuda'):
            print(f'  {line}', flush=True)
    except (AssertionError, RuntimeError) as err:
        print(f'  FAILED: {err}', flush=True)
        failed += 1
    subprocess.run([sys.executable, 'tools/make_demo_data.py', '--out-dir', DEMO_DATA], cwd=ROOT, check=True,
                   capture_output=True)
    runs, notes = plan(gpus, args.work_dir, args.epochs, args.batch_size)
    for note in notes:
        print(f'[gpu-check] note: {note}', flush=True)
    for run in runs:
        print(f'[gpu-check] {run.name}: python {" ".join(run.argv)}', flush=True)
        run.result = execute(run, deadline, args.batch_size)
        for line in run.result.get('tail', []):
            print(f'  | {line}', flush=True)
        failed += not run.result['ok']
    print('\n[gpu-check] run              result  wall s   images/s')
    for run in runs:
        r = run.result
        speed = f'{r["images_per_s"]:9.1f}' if r.get('images_per_s') else '        -'
        wall = f'{r["seconds"]:7.1f}' if 'seconds' in r else '      -'
        print(f'[gpu-check] {run.name:16} {"ok" if r["ok"] else "FAILED":7} {wall}  {speed}  {r["why"]}')
    print(f'[gpu-check] {"all passed" if not failed else f"{failed} FAILED"} on {gpus} GPU(s)')
    return 0 if not failed else 1


if __name__ == '__main__':
    sys.exit(main())
