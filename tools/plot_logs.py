"""Plot training curves: ``python tools/plot_logs.py WORK_DIR [WORK_DIR ...] [--out curves.png]``.

One PNG with a panel per loss, the learning rate and each validation metric; several work dirs are overlaid, one
colour per run, to compare them (e.g. the trials of a sweep: ``tools/plot_logs.py work_dirs/sweeps/s1/trial_*``).
"""
from __future__ import annotations

import argparse
import os.path as osp
import sys


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description='PNG curves of losses, lr and val metrics from mmengine logs.')
    parser.add_argument('work_dirs', nargs='+', metavar='WORK_DIR',
                        help='training work dirs (or their <timestamp> folders, or scalars.json files)')
    parser.add_argument('--out', help='PNG to write (default: <first WORK_DIR>/curves.png)')
    parser.add_argument('--columns', type=int, default=3, help='panels per row')
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    from mmext.errors import MmextError
    from mmext.visualization.log_curves import plot_runs, read_run, unique_labels
    try:
        runs = [read_run(path, label) for path, label in zip(args.work_dirs, unique_labels(args.work_dirs))]
        first = args.work_dirs[0]
        out = args.out or osp.join(first if osp.isdir(first) else osp.dirname(first) or '.', 'curves.png')
        plot_runs(runs, out, columns=args.columns)
    except MmextError as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    print(f'mmext: curves of {len(runs)} run(s) written to {out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
