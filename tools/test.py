"""Evaluate a checkpoint: ``python tools/test.py CONFIG CHECKPOINT [--out results.json] [--show-dir DIR] ...``.

COCO metrics (bbox, and segm when the model has masks) on the config's test split; ``--classwise`` adds a per-class
AP table; ``--out`` writes the predictions as a COCO results json; ``--show-dir`` writes one PNG per image. A test
split without annotations is only formatted (needs ``--out``). ``--gpus N`` / ``--nproc N`` as in tools/train.py.
"""
from __future__ import annotations

import argparse
import sys

from mmengine.config import DictAction


def build_parser() -> argparse.ArgumentParser:
    from mmext.engine.commands.launch import add_launch_arguments  # imports mmext: after main()'s plugin check
    parser = argparse.ArgumentParser(description='Evaluate a checkpoint with mmdet + mmext.')
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='where the test log goes')
    parser.add_argument('--out', help='write predictions as a COCO results json (e.g. results.json)')
    parser.add_argument('--show-dir', help='write one PNG of predictions per test image into this folder')
    parser.add_argument('--score-thr', type=float, default=0.3, help='lowest score drawn with --show-dir')
    parser.add_argument('--classwise', action='store_true', help='print a per-class AP table')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, metavar='KEY=VALUE',
                        help='override config settings')
    add_launch_arguments(parser, restarts=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        import mmext  # noqa: F401  registers mmext's modules and loads the plugins
    except Exception as err:  # by name: no part of mmext (mmext.errors included) stays imported after this
        if type(err).__name__ != 'PluginError':
            raise
        print(f'error: {err}', file=sys.stderr)  # a broken plugin: the message says how to disable it
        return 1
    args = build_parser().parse_args(argv)
    from mmext.engine.commands.job import run_job

    def job() -> str:
        from mmext.engine.config.prepare import load_config
        from mmext.engine.commands.evaluate import configure_test, format_test_summary, test
        cfg = load_config(args.config, args.cfg_options)
        configure_test(cfg, args.config, args.checkpoint, work_dir=args.work_dir, out=args.out,
                       show_dir=args.show_dir, score_thr=args.score_thr, classwise=args.classwise,
                       launcher=args.launcher)
        return format_test_summary(test(cfg, out=args.out))

    return run_job(__file__, argv, args, job)


if __name__ == '__main__':
    sys.exit(main())
