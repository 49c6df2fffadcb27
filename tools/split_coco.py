"""Split a COCO annotation file into train/val/test, or K folds (only the json; images stay where they are).

    python tools/split_coco.py ANN_JSON --out-dir DIR [--ratios 0.8 0.1 0.1] [--seed 0] [--stratify]
    python tools/split_coco.py ANN_JSON --out-dir DIR --kfold 5 [--seed 0]

Writes ``train.json``, ``val.json`` (, ``test.json``), or ``train{k}.json`` / ``val{k}.json`` for k in 0..K-1
(every image in exactly one val fold; folds are class-stratified). ``file_name`` stays relative to the same
image folder. Prints the images per split and the annotations per class and split.
"""
from __future__ import annotations

import argparse
import json
import os
import os.path as osp
import sys


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description='Split a COCO annotation file by image.')
    parser.add_argument('ann_file', help='COCO annotation json')
    parser.add_argument('--out-dir', required=True, help='where the split files go')
    parser.add_argument('--ratios', type=float, nargs='+', default=[0.8, 0.2], metavar='R',
                        help='train val [test] fractions adding up to 1 (default: 0.8 0.2)')
    parser.add_argument('--seed', type=int, default=0, help='shuffle seed: the same seed gives the same split')
    parser.add_argument('--stratify', action='store_true', help='keep every class near the ratios')
    parser.add_argument('--kfold', type=int, metavar='K', help='write K train/val folds instead')
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from mmext.datasets.loading.annotation_file import read_json
    from mmext.datasets.split import kfold_coco, split_coco, split_summary
    from mmext.errors import MmextError

    try:
        data, failed = read_json(args.ann_file) if osp.isfile(args.ann_file) else (None, None)
    except MmextError as err:  # past a read limit
        print(f'error: {err}', file=sys.stderr)
        return 1
    if data is None:
        why = failed.problems[0].detail if failed else 'no such file'
        print(f'error: {args.ann_file}: {why}', file=sys.stderr)
        return 1
    try:
        if args.kfold:
            parts = kfold_coco(data, args.kfold, args.seed, stratify=True, source=args.ann_file)
        else:
            parts = split_coco(data, args.ratios, args.seed, args.stratify, source=args.ann_file)
    except MmextError as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    os.makedirs(args.out_dir, exist_ok=True)
    for name, content in parts.items():
        with open(osp.join(args.out_dir, f'{name}.json'), 'w') as f:
            json.dump(content, f)
    print(f'wrote {", ".join(f"{n}.json" for n in parts)} to {args.out_dir}')
    shown = {n: p for n, p in parts.items() if not n.startswith('train')} if args.kfold else parts
    print(split_summary(shown, data['categories']))
    return 0


if __name__ == '__main__':
    sys.exit(main())
