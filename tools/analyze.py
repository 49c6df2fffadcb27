"""Error analysis of saved predictions: ``python tools/analyze.py RESULTS GT.json --out DIR [--img-dir DIR]``.

RESULTS is a COCO results json, tools/infer.py's json (matched to GT.json by file name and class name), or mmdet's
results pkl (``tools/test.py --out results.pkl``). Writes the confusion matrix (PNG + CSV), PR curves, AP by class
and by size, and a gallery of the worst images into DIR.
"""
from __future__ import annotations

import argparse
import sys


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description='Compare predictions with ground truth: pictures and tables.')
    parser.add_argument('results', help='COCO results json, tools/infer.py json, or mmdet results pkl')
    parser.add_argument('ann_file', help='COCO annotation json of the same images')
    parser.add_argument('--out', required=True, metavar='DIR', help='folder for the pictures and tables')
    parser.add_argument('--img-dir', action='append', default=[], metavar='DIR',
                        help='folder the images\' file names are relative to (repeatable; for the gallery)')
    parser.add_argument('--iou-thr', type=float, default=0.5, help='lowest IoU of a match (default 0.5)')
    parser.add_argument('--score-thr', type=float, default=0.3,
                        help='lowest score counted in the confusion matrix and drawn (default 0.3)')
    parser.add_argument('--num-worst', type=int, default=8, help='images in the gallery (default 8)')
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    from mmext.analysis import analyze
    from mmext.errors import MmextError
    try:
        report = analyze(args.results, args.ann_file, args.out, img_dirs=args.img_dir, iou_thr=args.iou_thr,
                         score_thr=args.score_thr, num_worst=args.num_worst)
    except MmextError as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    print('mmext: analysis finished\n' + report.summary())
    return 0


if __name__ == '__main__':
    sys.exit(main())
