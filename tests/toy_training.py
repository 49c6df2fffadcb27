"""A tiny but complete training set-up for the resume, checkpoint and preemption tests.

A small network with BatchNorm and Dropout, a dataset with random augmentation from Python's, NumPy's and torch's
global generators, a stateful hook whose state changes the weights, trained by ``MMExtRunner`` through mmengine's
real loops and hooks. Every source of state that exact resume must restore changes the final weights here.

Also a command line for the tests that need separate processes::

    python -m tests.toy_training train --work-dir DIR [--launcher pytorch] [--iters N] [--sleep S] [--resume]
    python -m tests.toy_training kill-sweep --work-root DIR      # one fork per fault point, see test
"""
from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sys
import time
import uuid

import numpy as np
import torch
from mmdet.registry import DATASETS, HOOKS, METRICS, MODELS
from mmengine.config import Config
from mmengine.evaluator import BaseMetric
from mmengine.hooks import Hook
from mmengine.model import BaseModel
from torch import nn
from torch.utils.data import Dataset

import mmext  # noqa: F401  registers mmext's hooks and runner
from mmext.registry import register


@register(MODELS)
class ResumeToyModel(BaseModel):
    """Linear -> BatchNorm -> ReLU -> Dropout -> Linear, plus a little torch noise in the loss."""

    def __init__(self, dim: int = 8, sleep: float = 0.0) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(dim, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.3),
                                  nn.Linear(16, 1))
        self.sleep = sleep

    def forward(self, inputs, targets=None, mode: str = 'tensor'):
        out = self.body(torch.stack(inputs))
        if mode != 'loss':
            return list(out)
        if self.sleep:
            time.sleep(self.sleep)
        noise = torch.randn_like(out) * 0.01
        return dict(loss=((out + noise - torch.stack(targets)) ** 2).mean())


@register(DATASETS)
class ResumeToyDataset(Dataset):
    """``size`` fixed vectors, each augmented with noise from all three global generators when loaded (unless
    ``augment=False``, for validation)."""

    metainfo = dict(classes=('toy', ))
    loads = 0  # augmented samples loaded in this process (with num_workers=0: all of them)

    def __init__(self, size: int = 12, dim: int = 8, augment: bool = True) -> None:
        self.augment = augment
        gen = np.random.default_rng(123)
        self.x = gen.normal(size=(size, dim)).astype(np.float32)
        self.y = self.x.sum(1, keepdims=True).astype(np.float32)

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, idx: int) -> dict:
        if not self.augment:
            return dict(inputs=torch.from_numpy(self.x[idx]), targets=torch.from_numpy(self.y[idx]))
        ResumeToyDataset.loads += 1
        x = self.x[idx] + np.random.normal(0, 0.1, self.x.shape[1]).astype(np.float32) + random.random() * 0.1
        return dict(inputs=torch.from_numpy(x) + torch.rand(1) * 0.1, targets=torch.from_numpy(self.y[idx]))


@register(METRICS)
class ResumeToyMetric(BaseMetric):
    """Mean squared error of the predictions, as ``toy/mse``."""

    default_prefix = 'toy'

    def process(self, data_batch, data_samples) -> None:
        for pred, target in zip(data_samples, data_batch['targets']):
            self.results.append(float(((pred - target) ** 2).mean()))

    def compute_metrics(self, results: list) -> dict:
        return dict(mse=sum(results) / len(results))


@register(HOOKS)
class ResumeToyCounterHook(Hook):
    """A stateful hook: counts iterations and nudges a weight by an amount that depends on the count."""

    def __init__(self) -> None:
        self.count = 0

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        self.count += 1
        model = getattr(runner.model, 'module', runner.model)
        with torch.no_grad():
            model.body[0].bias.add_(1e-4 * self.count)

    def state_dict(self) -> dict:
        return dict(count=self.count)

    def load_state_dict(self, state: dict) -> None:
        self.count = state['count']


@register(HOOKS)
class ResumeToyStopHook(Hook):
    """Interrupts a run the way the tests need: at ``after_iter`` (1-based, after that iteration) or at the end
    of epoch ``after_epoch``, either by sending itself ``signal`` or by raising ``RuntimeError`` (a crash)."""

    priority = 'LOWEST'

    def __init__(self, after_iter: int | None = None, after_epoch: int | None = None,
                 signal: str | None = None, before_iter: int | None = None) -> None:
        self.after_iter, self.after_epoch, self.signal, self.before_iter = after_iter, after_epoch, signal, before_iter

    def _stop(self) -> None:
        if self.signal:
            os.kill(os.getpid(), getattr(signal, self.signal))
        else:
            raise RuntimeError('ResumeToyStopHook: simulated crash')

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        if self.before_iter is not None and runner.iter + 1 == self.before_iter:
            self._stop()

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        if self.after_iter is not None and runner.iter + 1 == self.after_iter:
            self._stop()

    def after_train_epoch(self, runner) -> None:
        if self.after_epoch is not None and runner.epoch + 1 == self.after_epoch:
            self._stop()


def toy_cfg(work_dir, *, by_epoch: bool = True, max_epochs: int = 3, max_iters: int = 15, size: int = 10,
            batch_size: int = 2, workers: int = 0, ckpt: dict | None = None, stop: dict | None = None,
            resume: bool = False, launcher: str = 'none', sleep: float = 0.0, infinite: bool = False) -> Config:
    """The config of a toy run (``size`` samples, batch 2: 5 iterations per epoch).

    ``ckpt`` overrides the AtomicCheckpointHook's arguments, ``stop`` adds a :class:`ResumeToyStopHook` with these
    arguments, ``infinite`` uses mmengine's InfiniteSampler (iteration-based runs) instead of the DefaultSampler.
    """
    # validation after every epoch (every 5 iterations): it draws random numbers, which must not move training's
    train_cfg = (dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=1) if by_epoch
                 else dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=5))
    hooks = [dict(type='ResumeToyCounterHook')] + ([dict(type='ResumeToyStopHook', **stop)] if stop else [])
    return Config(dict(
        default_scope='mmdet',
        experiment_name=f'toy_{uuid.uuid4().hex[:8]}',  # mmengine keys its message hub by it: keep runs apart
        work_dir=str(work_dir),
        model=dict(type='ResumeToyModel', sleep=sleep),
        train_dataloader=dict(
            batch_size=batch_size, num_workers=workers, persistent_workers=workers > 0,
            sampler=dict(type='InfiniteSampler') if infinite else dict(type='DefaultSampler', shuffle=True),
            dataset=dict(type='ResumeToyDataset', size=size)),
        train_cfg=train_cfg,
        val_dataloader=dict(batch_size=5, num_workers=0, sampler=dict(type='DefaultSampler', shuffle=False),
                            dataset=dict(type='ResumeToyDataset', size=size, augment=False)),
        val_evaluator=dict(type='ResumeToyMetric'),
        val_cfg=dict(type='ValLoop'),
        optim_wrapper=dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=0.01)),
        param_scheduler=[dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=7)],
        default_hooks=dict(
            logger=dict(type='LoggerHook', interval=1),
            checkpoint=dict(dict(type='AtomicCheckpointHook', interval=1, by_epoch=by_epoch, save_best='toy/mse',
                                 rule='less'), **(ckpt or {})),
            preemption=dict(type='PreemptionHook')),
        custom_hooks=hooks,
        randomness=dict(seed=2024, deterministic=True),
        env_cfg=dict(dist_cfg=dict(backend='gloo')),
        launcher=launcher,
        resume=resume,
        log_level='WARNING'))


_format_config = Config.pretty_text.fget


def _formatted_once(cfg: Config) -> str:
    if '_toy_pretty_text' not in cfg.__dict__:
        cfg.__dict__['_toy_pretty_text'] = _format_config(cfg)
    return cfg.__dict__['_toy_pretty_text']


def format_configs_once() -> None:
    """Format each config's text once per runner (mmengine does it with yapf at every checkpoint and at start-up,
    0.13 s each: most of a toy run's time). The tests never read that text."""
    Config.pretty_text = property(_formatted_once)


def run(cfg: Config):
    """Build an ``MMExtRunner`` from ``cfg`` and train (on one thread: faster for a toy); returns the runner."""
    from mmext.engine import MMExtRunner
    format_configs_once()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        runner = MMExtRunner.from_cfg(cfg)
        runner.train()
    finally:
        torch.set_num_threads(threads)
    return runner


def weights(runner) -> dict:
    """The model's state dict (parameters and buffers), detached copies."""
    model = getattr(runner.model, 'module', runner.model)
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


class _PrintProgress(Hook):
    """Prints ``rank R iteration N`` after every iteration (mmengine's logger is quiet on ranks > 0)."""

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        print(f'rank {runner.rank} iteration {runner.iter + 1}', flush=True)


def _train_cli(args) -> int:
    cfg = toy_cfg(args.work_dir, by_epoch=False, max_iters=args.iters, launcher=args.launcher, sleep=args.sleep,
                  resume=args.resume, ckpt=dict(interval=10**9), infinite=True)
    from mmext.engine import MMExtRunner
    format_configs_once()
    torch.set_num_threads(1)
    runner = MMExtRunner.from_cfg(cfg)
    runner.register_hook(_PrintProgress())
    try:
        runner.train()
    except SystemExit as stop:
        print(f'rank {runner.rank} stopped after iteration {runner.iter + 1} with code {stop.code}', flush=True)
        raise
    print(f'rank {runner.rank} finished at iteration {runner.iter}', flush=True)
    return 0


def _kill_sweep_cli(args) -> int:
    """Train 3 iterations with a checkpoint after each (max_keep_ckpts=1) and a best checkpoint after the
    validation at the end, once per fault point of the checkpoint writes (``--stride``), SIGKILLed there; then
    resume ``--resume-every``-th killed run to the end.

    Forks one child per run from this already-imported process (an import costs seconds, a fork nothing).
    Prints a JSON list of {point, work_dir, status, resumed}; statuses are wait statuses.
    """
    os.makedirs(args.work_root, exist_ok=True)

    def child(work_dir: str, point: int | None, resume: bool = False) -> int:
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                torch.set_num_threads(1)
                if point is None:
                    os.environ.pop('MMEXT_TEST_CRASH_AT', None)
                else:
                    os.environ['MMEXT_TEST_CRASH_AT'] = str(point)
                run(toy_cfg(work_dir, by_epoch=False, max_iters=3, ckpt=dict(max_keep_ckpts=1), resume=resume))
                from mmext.runtime.crash_points import crash_points_passed
                with open(os.path.join(work_dir, 'points.txt'), 'w') as f:
                    f.write(str(crash_points_passed()))
                code = 0
            finally:
                os._exit(code)
        return os.waitpid(pid, 0)[1]

    first = os.path.join(args.work_root, 'uninterrupted')
    status = child(first, None)
    total = int(open(os.path.join(first, 'points.txt')).read()) if status == 0 else 0
    results = [dict(point=None, work_dir=first, status=status, total=total)]
    for n, point in enumerate(range(1, total + 1, args.stride)):
        work_dir = os.path.join(args.work_root, f'point_{point:03d}')
        entry = dict(point=point, work_dir=work_dir, status=child(work_dir, point))
        if n % args.resume_every == args.resume_every - 1:
            entry['resumed'] = child(work_dir, None, resume=True)
        results.append(entry)
    print(json.dumps(results))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest='command', required=True)
    train = sub.add_parser('train')
    train.add_argument('--work-dir', required=True)
    train.add_argument('--launcher', default='none')
    train.add_argument('--iters', type=int, default=20)
    train.add_argument('--sleep', type=float, default=0.0)
    train.add_argument('--resume', action='store_true')
    sweep = sub.add_parser('kill-sweep')
    sweep.add_argument('--work-root', required=True)
    sweep.add_argument('--stride', type=int, default=1)
    sweep.add_argument('--resume-every', type=int, default=10**9)
    args = parser.parse_args(argv)
    return _train_cli(args) if args.command == 'train' else _kill_sweep_cli(args)


if __name__ == '__main__':
    sys.exit(main())
