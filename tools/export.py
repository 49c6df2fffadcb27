"""Export a trained detector: ``python tools/export.py CONFIG_OR_WORK_DIR [CHECKPOINT] --format onnx --out m.onnx``.

``--input-size H W`` fixes the input (default: the test Resize scale, padded); ``--dynamic`` makes batch, height and
width dynamic. Then onnxruntime is checked against torch on sample images (``--images``, default: the first images
of the config's test split): the largest box and score differences, and the CPU latency of both.
"""
from __future__ import annotations

import argparse
import sys


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description='Export a trained mmdet detector to ONNX and check it.')
    parser.add_argument('source', help='config file, or a training work dir (its config and latest checkpoint)')
    parser.add_argument('checkpoint', nargs='?', help='checkpoint (default with a work dir: its latest)')
    parser.add_argument('--format', choices=['onnx'], default='onnx', help='export format (default onnx)')
    parser.add_argument('--out', required=True, help='the .onnx file to write')
    size = parser.add_mutually_exclusive_group()
    size.add_argument('--input-size', type=int, nargs=2, metavar=('H', 'W'), help='fixed input height and width')
    size.add_argument('--dynamic', action='store_true', help='dynamic batch, height and width')
    parser.add_argument('--images', nargs='+', metavar='IMG', help='sample images for the check')
    parser.add_argument('--num-images', type=int, default=8, help='test-split images checked without --images')
    parser.add_argument('--no-check', action='store_true', help='skip the onnxruntime check')
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    from mmext.errors import MmextError
    from mmext.export.tool import run_export
    try:
        print(run_export(args.source, args.checkpoint, args.out, input_size=args.input_size, dynamic=args.dynamic,
                         images=args.images, num_images=args.num_images, check=not args.no_check))
    except MmextError as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
