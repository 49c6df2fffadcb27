"""Generate the built-in synthetic COCO dataset: ``python tools/make_demo_data.py --out-dir data/demo``."""
from __future__ import annotations

import argparse
import sys
import time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--out-dir', default='data/demo')
    from mmext.datasets.synthetic import SyntheticSpec, make_synthetic_coco
    default = SyntheticSpec()
    parser.add_argument('--num-train', type=int, default=default.num_train)
    parser.add_argument('--num-val', type=int, default=default.num_val)
    parser.add_argument('--seed', type=int, default=default.seed)
    parser.add_argument('--force', action='store_true', help='regenerate even when a matching copy exists')
    args = parser.parse_args(argv)
    start = time.time()
    spec = SyntheticSpec(num_train=args.num_train, num_val=args.num_val, seed=args.seed)
    out = make_synthetic_coco(args.out_dir, spec, force=args.force)
    verb = 'generated' if out['generated'] else 'already there, reused'
    print(f"demo data {verb} in {time.time() - start:.1f}s: {out['train']}, {out['val']}, images in "
          f"{out['img_dir']}")
    return 0


if __name__ == '__main__':
    sys.exit(main())
