"""Draw a dataset's ground truth into PNG grids, and a PNG bar chart of annotations per class.

    python tools/browse_dataset.py CONFIG --out-dir DIR [--split train] [--num 16]      # after the train pipeline
    python tools/browse_dataset.py ANN_JSON --img-dir DIR --out-dir DIR [--num 16]      # the file as it is

Writes ``gt_grid_000.png``, ... and ``class_counts.png`` into ``--out-dir``. Prints the repeat factors of
repeat factor sampling: those of the config's ``ClassBalancedDataset``, or those one with ``--oversample-thr T``
would use.
"""
from __future__ import annotations

import argparse
import os.path as osp
import sys

from mmengine.config import DictAction


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description='Draw ground truth and class counts as PNG files.')
    parser.add_argument('source', help='a config (.py) or a COCO annotation file (.json)')
    parser.add_argument('--img-dir', help='image folder (with an annotation file)')
    parser.add_argument('--out-dir', required=True, help='where the PNG files go')
    parser.add_argument('--split', choices=['train', 'val', 'test'], default='train', help='dataloader of a config')
    parser.add_argument('--num', type=int, default=16, help='how many images to draw (random, seeded)')
    parser.add_argument('--per-grid', type=int, default=16, help='images per PNG grid')
    parser.add_argument('--cols', type=int, default=4, help='columns of a grid')
    parser.add_argument('--scale', type=float, default=1.0, help='enlarge each image by this factor')
    parser.add_argument('--seed', type=int, default=0, help='which images are drawn')
    parser.add_argument('--oversample-thr', type=float, metavar='T',
                        help="print the repeat factors a ClassBalancedDataset with this threshold would use "
                             "(a config's own ClassBalancedDataset is shown with its threshold)")
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, metavar='KEY=VALUE',
                        help='override config settings')
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    import mmext  # noqa: F401  registers CustomCocoDataset
    from mmext.engine.config.prepare import load_config
    from mmext.errors import MmextError
    from mmext.datasets.browse import (dataset_from_annotations, dataset_from_config, repeat_factor_table,
                                       write_class_chart, write_grids)
    try:
        if args.source.endswith('.py'):
            dataset = dataset_from_config(load_config(args.source, args.cfg_options), args.split)
        elif args.img_dir is None:
            print('error: an annotation file needs --img-dir (the folder file_name is relative to)', file=sys.stderr)
            return 1
        else:
            dataset = dataset_from_annotations(args.source, args.img_dir)
        table = repeat_factor_table(dataset, args.oversample_thr)
        grids = write_grids(dataset, args.out_dir, args.num, args.per_grid, args.cols, args.scale, args.seed)
        chart = write_class_chart(dataset, osp.join(args.out_dir, 'class_counts.png'))
    except MmextError as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    images = len(getattr(dataset, 'dataset', dataset))  # a ClassBalancedDataset's length counts the repeats
    print(f'{images} images, {len(dataset.metainfo.get("classes", ()))} classes')
    if table:
        print(table)
    for path in grids + [chart]:
        print(f'wrote {path}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
