"""Train a detector from a config: ``python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] ...``.

Accepts mmdet's ``tools/train.py`` flags with the same names and meaning, plus ``--gpus N`` / ``--nproc N`` (and
``--nnodes``, ``--node-rank``, ``--master-addr``, ``--master-port``, ``--max-restarts``) to run on several
processes under torchrun. mmext is imported here, so configs run through this script need no ``custom_imports``.
"""
from __future__ import annotations

import argparse
import sys

from mmengine.config import DictAction


def build_parser() -> argparse.ArgumentParser:
    from mmext.engine.commands.launch import add_launch_arguments  # imports mmext: after main()'s plugin check
    parser = argparse.ArgumentParser(description='Train a detector with mmdet + mmext.')
    parser.add_argument('config', help='config file, e.g. configs/demo/retinanet_r18_fpn_10e_demo.py')
    parser.add_argument('--work-dir', help='where logs and checkpoints go (default: work_dirs/<config name>)')
    parser.add_argument('--amp', action='store_true', help='mixed precision training (needs CUDA)')
    parser.add_argument('--auto-scale-lr', action='store_true', help='scale the lr by the total batch size')
    parser.add_argument('--resume', nargs='?', type=str, const='auto',
                        help='resume from CKPT, or with no value from the latest checkpoint in the work dir')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, metavar='KEY=VALUE',
                        help='override config settings, e.g. train_cfg.max_epochs=2')
    parser.add_argument('--seed', type=int, default=None, help='random seed (randomness.seed)')
    parser.add_argument('--deterministic', action='store_true', help='deterministic algorithms (slower)')
    add_launch_arguments(parser)
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
    from mmext.engine.commands.train import check_amp_device

    def job() -> str:
        from mmext.engine.config.prepare import load_config
        from mmext.engine.commands.train import configure, format_summary, train
        cfg = load_config(args.config, args.cfg_options)
        configure(cfg, args.config, work_dir=args.work_dir, amp=args.amp, auto_scale_lr=args.auto_scale_lr,
                  resume=args.resume, launcher=args.launcher, seed=args.seed, deterministic=args.deterministic)
        return format_summary(train(cfg))

    # --amp is checked before torchrun starts workers that would each fail on it
    return run_job(__file__, argv, args, job, check_amp_device if args.amp else None)


if __name__ == '__main__':
    sys.exit(main())
