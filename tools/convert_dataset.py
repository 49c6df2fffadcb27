"""Convert a YOLO, Pascal VOC, LabelMe or CVAT (for images 1.1) dataset into one COCO annotation file.

    python tools/convert_dataset.py --from yolo|voc|labelme|cvat-xml SRC --out ann.json [--img-dir DIR]
                                    [--classes FILE]

Image sizes come from the image files' headers. The result passes the checks of ``tools/check_dataset.py``
before it is written. Every file, image or object that cannot be converted is named on its own line, with a count
at the end; the rest is converted. Nothing converted is an error (exit 1), never an empty file.
"""
from __future__ import annotations

import argparse
import sys

FORMATS = ('yolo', 'voc', 'labelme', 'cvat-xml')


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description='Convert another labelling format into COCO.')
    parser.add_argument('src', help='the dataset folder (cvat-xml: annotations.xml or its folder)')
    parser.add_argument('--from', dest='fmt', required=True, choices=FORMATS, help='the format of SRC')
    parser.add_argument('--out', required=True, help='the COCO json to write')
    parser.add_argument('--img-dir', help='the folder the written file names are relative to (default: yolo and '
                                          'labelme SRC, voc SRC/JPEGImages, cvat-xml images/ beside the xml)')
    parser.add_argument('--classes', help='class list (data.yaml or one name a line): for yolo instead of the '
                                          'data.yaml found; for the others it fixes the class order')
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from mmext.datasets.convert import convert_dataset, format_result
    from mmext.errors import MmextError
    try:
        result = convert_dataset(args.fmt, args.src, args.out, args.img_dir, args.classes)
    except MmextError as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    print(format_result(result))
    return 0


if __name__ == '__main__':
    sys.exit(main())
