"""List what mmext and each loaded plugin registered: ``python tools/list_modules.py [--check]``.

Rows are grouped by source (mmext, then each plugin with its distribution and version) and by registry
(``mmdet.model``, ``mmdet.hook``, ...). ``--check`` exits 1 when a name hides another module or a plugin was
skipped as broken. Every registry looks a name up first (importing mmdet's and mmext's modules), so a clash
that a training would only meet at a registry's first lookup is found here too.
"""
from __future__ import annotations

import argparse
import os.path as osp
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description='List the modules mmext and its plugins registered.')
    parser.add_argument('--check', action='store_true', help='exit 1 on a name clash or a broken plugin')
    args = parser.parse_args(argv)
    try:
        import mmext
    except Exception as err:  # by name: no part of mmext (mmext.errors included) stays imported after this
        if type(err).__name__ != 'PluginError':
            raise
        print(f'error: {err}', file=sys.stderr)  # a broken plugin, MMEXT_PLUGIN_ERRORS=raise (the default)
        return 1
    from mmext.plugins import PLUGINS
    from mmext.plugins.inventory import format_inventory, inventory
    rows, problems = inventory(PLUGINS)
    print(format_inventory(rows, PLUGINS, mmext.__version__, osp.dirname(mmext.__file__)))
    if args.check:
        for problem in problems:
            print(f'clash: {problem}')
        print(f'{len(problems)} problem(s)' if problems else 'check: no name clashes, no broken plugins')
        return 1 if problems else 0
    return 0


if __name__ == '__main__':
    sys.exit(main())
