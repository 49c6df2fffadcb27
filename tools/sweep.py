"""Tune hyperparameters with Optuna: ``python tools/sweep.py CONFIG --space SPACE --trials N --study NAME``.

Every trial is a real training (as ``tools/train.py`` does it) in ``<work-dir>/trial_<n>``; the study lives in a
SQLite file in the work dir unless ``--storage URL`` names a shared database, and a second invocation with the same
study name continues it. See README, "Hyperparameter sweeps".
"""
from __future__ import annotations

import argparse
import sys

from mmengine.config import DictAction


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description='Hyperparameter sweep on Optuna over real mmdet trainings.')
    parser.add_argument('config', help='config file every trial starts from')
    parser.add_argument('--space', required=True, help='search space YAML: config key -> distribution')
    parser.add_argument('--trials', type=int, required=True, help='trials to run in this invocation')
    parser.add_argument('--study', required=True, help='study name; an existing study is continued')
    parser.add_argument('--storage', help='database URL shared by several workers, e.g. postgresql://host/db '
                                          '(default: sqlite:///<work-dir>/study.db)')
    parser.add_argument('--work-dir', help='sweep folder (default: work_dirs/sweeps/<study>)')
    parser.add_argument('--gpus-per-trial', type=int, default=1,
                        help='GPUs (processes) per trial; with N GPUs, N/K trials run at once, each on its own K '
                             '(K > 1 runs tools/train.py --gpus K, --nproc K on CPU)')
    parser.add_argument('--parallel', type=int, default=None,
                        help='trials at once: on CPU (default 1), or fewer than N/K with GPUs')
    parser.add_argument('--metric', default='coco/bbox_mAP', help='validation metric to optimise')
    parser.add_argument('--direction', choices=['maximize', 'minimize'], default='maximize')
    parser.add_argument('--sampler', choices=['tpe', 'random', 'grid'], default='tpe')
    parser.add_argument('--pruner', choices=['median', 'none'], default='median')
    parser.add_argument('--seed', type=int, default=None, help="the sampler's random seed")
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, metavar='KEY=VALUE',
                        help='fixed overrides for every trial, e.g. train_cfg.max_epochs=4')
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    import mmext  # noqa: F401  registers mmext's modules (the trial hook among them) and loads plugins
    from mmext.errors import MmextError
    from mmext.sweep import run_sweep
    try:
        result = run_sweep(args.config, args.space, args.trials, args.study, storage=args.storage,
                           work_dir=args.work_dir, gpus_per_trial=args.gpus_per_trial,
                           parallel=args.parallel, metric=args.metric,
                           direction=args.direction, sampler=args.sampler, pruner=args.pruner, seed=args.seed,
                           cfg_options=args.cfg_options)
    except MmextError as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    print(result.report, flush=True)
    return 0 if result.summary is not None else 2


if __name__ == '__main__':
    sys.exit(main())
