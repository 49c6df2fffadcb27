"""Run one of mmdet's tools with mmext imported first: ``python tools/with_mmext.py TOOL [ARGS...]``.

TOOL is a script path or a tool name inside mmdet (``train.py``, ``test.py``, ``misc/print_config.py``, ...).
Needed when a config's ``_base_`` says ``'mmext::...'`` or ``'<plugin>::...'``: mmdet's scripts parse the config
before its ``custom_imports`` would import mmext.
"""
from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ('-h', '--help'):
        print(__doc__.strip())
        return 0 if argv else 2
    from mmext.engine.commands.mmdet_tools import find_mmdet_tool, run_script
    from mmext.errors import MmextError
    try:
        script = find_mmdet_tool(argv[0])
    except MmextError as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    run_script(script, argv[1:])
    return 0


if __name__ == '__main__':
    sys.exit(main())
