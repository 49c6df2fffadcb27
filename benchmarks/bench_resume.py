"""Time to resume an iteration-based run at iteration 10,000: mmext's skip by index against mmengine's replay.

mmengine's ``IterBasedTrainLoop`` resumes by calling ``next()`` on the dataloader once per finished iteration: every
image is read, decoded and augmented again before training continues. mmext's ``ExactIterBasedTrainLoop`` skips
the finished batches by their indices and loads only what it trains on. Both resume the same checkpoint of the
demo config (RetinaNet-R18, demo pipeline, batch 4, 2 dataloader workers, ``InfiniteSampler`` as mmdet's
iteration-based configs use) on a synthetic dataset; the time is from ``runner.train()`` to the start of the first
iteration after the resume (runner construction excluded).

    python benchmarks/bench_resume.py [--quick]     # --quick: iteration 1,000
"""
from __future__ import annotations

import argparse
import os.path as osp
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO_CONFIG = ROOT / 'configs' / 'demo' / 'retinanet_r18_fpn_10e_demo.py'


class _Resumed(Exception):
    """Raised by the timing hook at the first iteration after the resume: the measurement is complete."""


def _timing_hook():
    from mmengine.hooks import Hook

    class FirstIterationAfterResume(Hook):
        priority = 'HIGHEST'

        def before_train_iter(self, runner, batch_idx, data_batch=None):
            raise _Resumed(time.perf_counter())

    return FirstIterationAfterResume()


def _config(data_root: str, work_dir: str, max_iters: int, workers: int):
    from mmext.engine.config.prepare import load_config
    root = data_root.rstrip('/') + '/'
    cfg = load_config(str(DEMO_CONFIG), {
        'train_dataloader.dataset.data_root': root, 'train_dataloader.num_workers': workers,
        'train_dataloader.persistent_workers': workers > 0, 'train_dataloader.sampler': dict(type='InfiniteSampler'),
        'val_dataloader.dataset.data_root': root, 'test_dataloader.dataset.data_root': root,
        'val_evaluator.ann_file': root + 'annotations/val.json',
        'test_evaluator.ann_file': root + 'annotations/val.json'})
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=10**9)
    cfg.param_scheduler = []
    cfg.default_hooks.checkpoint = dict(type='AtomicCheckpointHook', interval=1, by_epoch=False)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=10**6)
    cfg.custom_hooks = []
    cfg.work_dir = work_dir
    cfg.log_level = 'WARNING'
    return cfg


def _checkpoint_at(data_root: str, tmp: str, iteration: int, workers: int) -> str:
    """A real checkpoint of iteration 1, relabelled as iteration ``iteration`` (what a long run would leave)."""
    import torch
    from mmext.engine import MMExtRunner
    work = osp.join(tmp, 'first')
    MMExtRunner.from_cfg(_config(data_root, work, 1, workers)).train()
    ckpt = torch.load(osp.join(work, 'iter_1.pth'), weights_only=False)
    ckpt['meta']['iter'] = iteration
    ckpt['mmext_resume']['position'] = dict(epoch=0, batch=iteration)
    path = osp.join(tmp, f'iter_{iteration}.pth')
    torch.save(ckpt, path)
    return path


def _time_resume(runner_cls, cfg) -> float:
    runner = runner_cls.from_cfg(cfg)
    runner.register_hook(_timing_hook())
    start = time.perf_counter()
    try:
        runner.train()
    except _Resumed as done:
        return done.args[0] - start
    raise RuntimeError('the run ended without reaching an iteration after the resume')


def rows(quick: bool = False, iteration: int | None = None, workers: int = 2) -> list[dict]:
    """Rows for the benchmark suite: resume time with mmengine's replay, with mmext's skip, and their ratio.

    Args:
        quick: Resume at iteration 1,000 instead of 10,000.
        iteration: Resume at this iteration instead.
        workers: Dataloader workers.

    Returns:
        One dict per row: ``benchmark``, ``case``, ``value``, ``unit``, ``limit`` (or None) and ``ok``.
    """
    sys.path.insert(0, str(ROOT))
    import mmext  # noqa: F401
    from mmengine.runner import Runner

    from mmext.datasets.synthetic import SyntheticSpec, make_synthetic_coco
    from mmext.engine import MMExtRunner
    from mmext.engine.config.num_classes import fill_num_classes
    iteration = iteration or (1000 if quick else 10000)
    with tempfile.TemporaryDirectory() as tmp:
        data = osp.join(tmp, 'data')
        make_synthetic_coco(data, SyntheticSpec(num_train=64, num_val=8))
        ckpt = _checkpoint_at(data, tmp, iteration, workers)
        timed = {}
        for name, runner_cls in (('mmext', MMExtRunner), ('mmengine', Runner)):
            cfg = _config(data, osp.join(tmp, name), iteration + 1, workers)
            cfg.resume, cfg.load_from = True, ckpt
            if runner_cls is Runner:  # a plain Runner leaves num_classes='auto' to the model, which needs a number
                fill_num_classes(cfg)
            timed[name] = _time_resume(runner_cls, cfg)
    where = f'at iteration {iteration:,} (batch 4, {workers} workers)'
    return [
        dict(benchmark='resume', case=f'mmengine IterBasedTrainLoop, replay {where}', value=timed['mmengine'],
             unit='s', limit=None, ok=None),
        dict(benchmark='resume', case=f'mmext ExactIterBasedTrainLoop, skip by index {where}', value=timed['mmext'],
             unit='s', limit=None, ok=None),
        dict(benchmark='resume', case='speed-up (mmengine / mmext)', value=timed['mmengine'] / timed['mmext'],
             unit='x', limit=None, ok=None),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--quick', action='store_true', help='resume at iteration 1,000 instead of 10,000')
    parser.add_argument('--iteration', type=int, default=None, help='resume at this iteration')
    parser.add_argument('--workers', type=int, default=2, help='dataloader workers (default 2)')
    args = parser.parse_args(argv)
    for row in rows(quick=args.quick, iteration=args.iteration, workers=args.workers):
        print(f'{row["case"]:<80} {row["value"]:9.3f} {row["unit"]}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
