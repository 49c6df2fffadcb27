"""K-fold cross-validation: train and evaluate a config on each of K folds, then report every metric per fold.

    python tools/kfold.py CONFIG --folds 5 [--work-dir DIR] [--cfg-options K=V ...] [--resume]
                          [--ann-file ALL.json] [--folds-dir DIR] [--seed 0]

The folds are ``tools/split_coco.py --kfold``'s ``train{k}.json`` / ``val{k}.json`` in ``--folds-dir`` (default
``<work-dir>/folds``), made there from ``--ann-file`` (default: the config's training file) when missing. Fold k
trains in ``<work-dir>/fold_{k}``. At the end: a table of every validation metric per fold with mean and
standard deviation, saved as ``kfold_results.csv``, ``.json`` and ``.png`` in the work dir. ``--resume``
continues an interrupted run: finished folds are not trained again, a started one resumes from its checkpoint.
"""
from __future__ import annotations

import argparse
import os.path as osp
import sys

from mmengine.config import DictAction


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description='K-fold cross-validation of a config.')
    parser.add_argument('config', help='config file')
    parser.add_argument('--folds', type=int, default=5, help='K (default 5)')
    parser.add_argument('--work-dir', help='default: work_dirs/<config name>_kfold')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, metavar='KEY=VALUE',
                        help='override config settings for every fold, e.g. train_cfg.max_epochs=2')
    parser.add_argument('--resume', action='store_true', help='continue the K-fold run in the work dir')
    parser.add_argument('--ann-file', help='the annotation file to split (default: the config\'s training file)')
    parser.add_argument('--folds-dir', help='where train{k}.json/val{k}.json are (default: <work-dir>/folds)')
    parser.add_argument('--seed', type=int, default=0, help='the split\'s seed, when the folds are made here')
    return parser


def main(argv: list[str] | None = None) -> int:
    import mmext  # noqa: F401  registers mmext's modules
    args = build_parser().parse_args(argv)
    from mmext.engine.commands.kfold import plan_kfold, run_kfold
    from mmext.engine.commands.kfold_report import build_table, format_table, write_results
    from mmext.errors import MmextError
    try:
        plan = plan_kfold(args.config, args.folds, args.work_dir, args.cfg_options, args.ann_file, args.folds_dir,
                          args.seed, args.resume)
        records = run_kfold(plan)
    except MmextError as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    except SystemExit as stop:  # PreemptionHook: the fold saved a checkpoint and stopped
        print(f'kfold: stopped (code {stop.code}); continue with: python tools/kfold.py {args.config} --folds '
              f'{args.folds} --work-dir {plan.work_dir} --resume', file=sys.stderr)
        return stop.code if isinstance(stop.code, int) else 1
    table = build_table(records)
    files = write_results(table, records, plan.work_dir,
                          f'{plan.folds}-fold cross-validation of {osp.basename(plan.config)}')
    print(f'{plan.folds}-fold cross-validation of {plan.config} (std: sample, n - 1)')
    print(format_table(table))
    print('wrote ' + ', '.join(files))
    return 0


if __name__ == '__main__':
    sys.exit(main())
