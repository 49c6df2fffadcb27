"""Evaluate a checkpoint: ``python tools/test.py CONFIG CHECKPOINT [--out results.json] [--show-dir DIR] ...``.

COCO metrics (bbox, and segm when the model has masks) on the config's test split; ``--classwise`` adds a per-class
AP table; ``--out`` writes the predictions as a COCO results json (``.json``) or mmdet's results pickle (``.pkl``);
``--show-dir`` writes one PNG per image; ``--analysis DIR`` writes the error analysis (confusion matrix, PR curves,
AP bars, worst images); ``--tta`` tests with test-time augmentation. A test split without annotations is only
formatted (needs ``--out``). ``--gpus N`` / ``--nproc N`` as in tools/train.py.
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
    parser.add_argument('--out', help='write predictions as a COCO results json (results.json) or as mmdet\'s '
                        'results pickle (results.pkl, read by mmdet\'s analysis tools)')
    parser.add_argument('--show-dir', help='write one PNG of predictions per test image into this folder')
    parser.add_argument('--score-thr', type=float, default=0.3,
                        help='lowest score drawn with --show-dir and counted by --analysis (default 0.3)')
    parser.add_argument('--analysis', metavar='DIR', help='write the error analysis into DIR: confusion matrix '
                        '(PNG + CSV), PR curves, AP by class and by size, a gallery of the worst images')
    parser.add_argument('--iou-thr', type=float, default=0.5,
                        help='lowest IoU of a match in --analysis\'s confusion matrix and gallery (default 0.5)')
    parser.add_argument('--tta', action='store_true', help='test-time augmentation (the config\'s tta_model and '
                        'tta_pipeline, else mmdet\'s defaults: the image and its horizontal flip)')
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
                       launcher=args.launcher, analysis=args.analysis, tta=args.tta)
        result = test(cfg, out=args.out)
        summary = format_test_summary(result)
        from mmengine.dist import get_rank
        if args.analysis and get_rank() == 0:
            from mmext.analysis import analyze
            from mmext.engine.commands.evaluate import test_split_files
            ann_file, img_dir = test_split_files(cfg)
            summary += '\n' + analyze(result.analysis_results, ann_file, args.analysis, img_dirs=[img_dir],
                                       iou_thr=args.iou_thr, score_thr=args.score_thr).summary()
        return summary

    return run_job(__file__, argv, args, job)


if __name__ == '__main__':
    sys.exit(main())
