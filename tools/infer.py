"""Predict with a trained detector: ``python tools/infer.py CONFIG_OR_WORK_DIR [CHECKPOINT] INPUT... --out-dir DIR``.

INPUT: image files, folders (recursive), globs, text files of paths, videos (mp4/avi). Writes one PNG per image,
``results.json`` (COCO: images, annotations with scores, categories), and for each video an annotated copy and a
json of every frame. Class names come from the checkpoint; no dataset file is needed.
"""
from __future__ import annotations

import argparse
import sys

from mmengine.config import DictAction


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description='Predict with a trained mmdet/mmext detector.')
    parser.add_argument('model', nargs='+', metavar='CONFIG_OR_WORK_DIR [CHECKPOINT] INPUT',
                        help='a work dir (latest checkpoint + its config), a config file, or a checkpoint; then '
                             'optionally the checkpoint (*.pth); then the inputs')
    parser.add_argument('--out-dir', required=True, help='where PNGs, results.json and videos go')
    parser.add_argument('--score-thr', type=float, default=0.3, help='lowest score drawn (results.json keeps '
                        "every detection the model returns)")
    parser.add_argument('--batch-size', type=int, default=8, help='images (or tiles) per forward pass')
    parser.add_argument('--device', default='cpu', help="cpu, cuda or cuda:N")
    parser.add_argument('--gpus', type=int, default=None, help='one process per GPU, each on a share of the inputs')
    parser.add_argument('--nproc', type=int, default=None, help='CPU processes, each on a share of the inputs')
    parser.add_argument('--image-root', help="folder of a json input's file_names (default: the json's folder)")
    parser.add_argument('--classes', help='class names for a checkpoint without them: a,b,c or the dataset json')
    parser.add_argument('--slice', type=int, default=None, metavar='SIZE', help='sliced prediction: tile side')
    parser.add_argument('--overlap', type=float, default=0.2, help='tile overlap fraction (with --slice)')
    parser.add_argument('--slice-merge', choices=['nms', 'matrix_nms'], default='nms', help='merging of tiles')
    parser.add_argument('--slice-iou', type=float, default=0.5, help='NMS IoU threshold for merging tiles')
    parser.add_argument('--slice-full-image', action='store_true', help='also predict on the whole image')
    parser.add_argument('--no-png', action='store_true', help='write no PNG (results.json and videos only)')
    parser.add_argument('--overwrite', action='store_true', help='replace the outputs of an earlier run')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, metavar='KEY=VALUE',
                        help='override config settings')
    parser.add_argument('--quiet', action='store_true', help='no progress bar')
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser().parse_args(argv)
    try:
        import mmext  # noqa: F401  registers mmext's modules and loads the plugins
        from mmext.errors import MmextError
    except Exception as err:  # by name: no part of mmext (mmext.errors included) stays imported after this
        if type(err).__name__ != 'PluginError':
            raise
        print(f'error: {err}', file=sys.stderr)
        return 1
    from mmext.inference.run import InferOptions, format_summary, process_count, run_inference, split_positionals
    from mmext.inference.slicing import SliceOptions
    try:
        model, checkpoint, inputs = split_positionals(args.model)
        processes, gpus = process_count(args.gpus, args.nproc)
        sliced = None if args.slice is None else SliceOptions(
            size=args.slice, overlap=args.overlap, merge=args.slice_merge, iou_thr=args.slice_iou,
            full_image=args.slice_full_image)
        summary = run_inference(InferOptions(
            model=model, checkpoint=checkpoint, inputs=inputs, out_dir=args.out_dir, score_thr=args.score_thr,
            batch_size=args.batch_size, device='cuda' if gpus else args.device, processes=processes, gpus=gpus,
            classes=args.classes, slice=sliced, png=not args.no_png, overwrite=args.overwrite,
            cfg_options=args.cfg_options, progress=not args.quiet, image_root=args.image_root))
    except (MmextError, ValueError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    print(format_summary(summary), flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
