"""Print a fully resolved config: ``python tools/print_config.py CONFIG [--cfg-options ...] [--diff]``.

Shows the config after ``_base_`` inheritance and mmext's preparation (what the Runner is built from). ``--diff``
shows only what this config (with ``--cfg-options``) changes relative to its ``_base_`` chain.
"""
from __future__ import annotations

import argparse
import sys

from mmengine.config import DictAction


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, metavar='KEY=VALUE')
    parser.add_argument('--diff', action='store_true',
                        help='only what this file (with --cfg-options) changes vs its _base_ chain')
    args = parser.parse_args(argv)
    import mmext  # noqa: F401
    from mmext.engine.config.prepare import load_config, prepare_config
    from mmext.engine.config.diff import config_diff
    from mmext.errors import MmextError
    try:
        if args.diff:
            print('\n'.join(config_diff(args.config, args.cfg_options))
                  or '(nothing differs from the _base_ files: this config only lists them)')
        else:
            print(prepare_config(load_config(args.config, args.cfg_options)).pretty_text)
    except MmextError as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
