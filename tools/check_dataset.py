"""Check a COCO annotation file (and its images) against mmext's annotation rules; optionally write a fix.

    python tools/check_dataset.py ANN_JSON [--img-dir DIR] [--decode] [--fix OUT_JSON] [--format text|json]

The rules are the ones ``CustomCocoDataset`` applies at load. Exit code 0 when clean (nothing but notes), 1 when
not. ``--fix`` writes a corrected copy (what the dataset trains on under ``policy='warn'``); the input is never
overwritten.
"""
from __future__ import annotations

import argparse
import json
import sys


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description='Check a COCO annotation file against the annotation rules.')
    parser.add_argument('ann_file', help='COCO annotation json')
    parser.add_argument('--img-dir', help='image folder (file_name is relative to it): also check the image files')
    parser.add_argument('--decode', action='store_true', help='decode every image (slow) instead of reading headers')
    parser.add_argument('--fix', metavar='OUT_JSON', help='write a corrected copy here (never the input)')
    parser.add_argument('--format', choices=['text', 'json'], default='text', help='report format')
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from mmext.datasets.loading.annotation_file import load_checked, write_fixed
    from mmext.errors import MmextError

    level = 'none' if not args.img_dir else 'decode' if args.decode else 'header'
    try:
        checked = load_checked(args.ann_file, args.img_dir, level)
    except MmextError as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    report = checked.report
    if args.format == 'json':
        print(json.dumps(report.to_dict(), indent=1, default=str))
    else:
        print(report.format_text())
    if args.fix:
        try:
            summary = write_fixed(checked, args.fix, args.ann_file)
        except MmextError as err:
            print(f'error: nothing written: {err}', file=sys.stderr)
            return 1
        print(summary, file=sys.stderr if args.format == 'json' else sys.stdout)
    return 0 if report.clean else 1


if __name__ == '__main__':
    sys.exit(main())
