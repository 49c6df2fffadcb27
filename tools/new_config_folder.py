"""Create a personal config folder: ``python tools/new_config_folder.py NAME [--ann TRAIN_JSON --val-ann VAL_JSON
--img-dir DIR]``.

Copies ``configs/template`` to ``configs/NAME`` (its own ``_base_/`` plus one experiment). With ``--ann`` the
folder's dataset base points at your COCO files; without, it trains on the demo data.
"""
from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description='Create configs/NAME from the template config folder.')
    parser.add_argument('name', help='the folder name, e.g. your own name')
    parser.add_argument('--ann', help='training annotation file (COCO json); class names are read from it')
    parser.add_argument('--val-ann', help='validation annotation file (default: the training one)')
    parser.add_argument('--img-dir', help='folder with the images (needed with --ann)')
    parser.add_argument('--configs-dir', default='configs', help='where the folder goes (default: configs)')
    args = parser.parse_args(argv)
    from mmext.engine.config.folders import create_config_folder
    from mmext.errors import MmextError
    try:
        files = create_config_folder(args.name, args.configs_dir, ann=args.ann, val_ann=args.val_ann,
                                     img_dir=args.img_dir)
    except MmextError as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    print(f'created {len(files)} files:')
    print('\n'.join(f'  {f}' for f in files))
    experiments = [f for f in files if '_base_' not in f]
    print(f'train with: python tools/train.py {experiments[0]}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
