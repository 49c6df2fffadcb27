"""Merge several COCO annotation files into one, matching categories by name.

    python tools/merge_datasets.py A.json B.json ... --out merged.json [--map OLD=NEW ...]
                                   [--img-dir DIR_A DIR_B ... [--root ROOT]] [--same-images]

Categories are matched by name (case, spaces, ``_`` and ``-`` ignored) after the ``--map`` renames; image and
annotation ids are renumbered so none collide. With ``--img-dir`` (one folder per input) the merged file names
are relative to ``--root`` (default: the folder holding all of them); without it every input's file names are
kept (one shared image folder). Prints the inputs, a table of categories per input, and what was written.
"""
from __future__ import annotations

import argparse
import sys


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description='Merge COCO annotation files.')
    parser.add_argument('inputs', nargs='+', help='COCO annotation files, in order')
    parser.add_argument('--out', required=True, help='the merged json to write')
    parser.add_argument('--map', nargs='+', default=[], metavar='OLD=NEW',
                        help="rename categories before matching, e.g. --map car=vehicle truck=vehicle")
    parser.add_argument('--img-dir', nargs='+', metavar='DIR', help='the image folder of each input, in order')
    parser.add_argument('--root', help='with --img-dir: the folder the merged file names are relative to')
    parser.add_argument('--same-images', action='store_true',
                        help='inputs naming the same image file annotate the same picture: combine them')
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.root and not args.img_dir:
        print('error: --root needs --img-dir (one image folder per input)', file=sys.stderr)
        return 1
    from mmext.datasets.convert.merge import format_merge, merge_coco
    from mmext.errors import MmextError
    try:
        result = merge_coco(args.inputs, args.out, args.map, args.img_dir, args.root, args.same_images)
    except MmextError as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    print(format_merge(result, args.inputs))
    return 0


if __name__ == '__main__':
    sys.exit(main())
