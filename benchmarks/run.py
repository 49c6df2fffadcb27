"""Run mmext's benchmarks against their anchors and print one table: ``make bench [ARGS=--quick]``.

    python benchmarks/run.py                    # full sizes (minutes; see benchmarks/RESULTS.md)
    python benchmarks/run.py --quick            # small sizes, under a minute: checks that the suite still runs
    python benchmarks/run.py --only eval import # only bench_eval.py and bench_import.py
    python benchmarks/run.py --json rows.json   # the rows, machine-readable, as well

Every ``benchmarks/bench_*.py`` module with a ``rows(quick)`` function is run (see ``benchmarks/common.py``).
A benchmark that fails is reported as a row and makes the exit status 1; a goal that is missed is not an error
(the table says NO).
"""
from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import platform
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.common import Measure, Row, load_average  # noqa: E402

HEADERS = ['benchmark', 'mmext', 'anchor', 'ratio', 'goal', 'met', 'note']


def discover(only: list[str] | None = None) -> list[str]:
    """The benchmark module names (``benchmarks.bench_x``), sorted; ``only`` keeps those whose short name
    (``x``) is one of the given names."""
    names = sorted(p.stem for p in (ROOT / 'benchmarks').glob('bench_*.py'))
    if only:
        names = [n for n in names if n[len('bench_'):] in only]
    return [f'benchmarks.{n}' for n in names]


def as_row(item: Row | dict) -> Row:
    """Accept a :class:`Row`, a dict with Row's field names, or a dict of the older shape (``benchmark``,
    ``case``, ``value``, ``unit``, ``limit``, ``ok``)."""
    if isinstance(item, Row):
        return item
    if 'case' in item:
        value, unit, limit = item.get('value'), item.get('unit', ''), item.get('limit')
        figure = Measure([float(value)], unit) if isinstance(value, (int, float)) else value
        return Row(f"{item.get('benchmark', '')}: {item['case']}", figure, None, None,
                   '-' if limit is None else f'<= {limit} {unit}', item.get('ok'), str(item.get('note', '') or ''))
    fields = {k: item.get(k) for k in ('benchmark', 'mmext', 'anchor', 'ratio', 'met')}
    return Row(**fields, goal=str(item.get('goal') or '-'), note=str(item.get('note', '') or ''))


def run_module(name: str, quick: bool) -> tuple[list[Row], bool]:
    """Import one module and collect its rows; a failure becomes one row saying what failed."""
    start = time.perf_counter()
    try:
        # what the measured code prints (pycocotools, mmengine) goes to stderr: stdout is for the table
        with contextlib.redirect_stdout(sys.stderr):
            module = importlib.import_module(name)
            if hasattr(module, 'rows'):
                rows = [as_row(r) for r in module.rows(quick=quick)]
            else:
                rows = [Row(name.split('.')[-1], None, None, None, '-', None,
                            'skipped: no rows(quick) function yet (see benchmarks/README.md)')]
        ok = True
    except Exception as err:  # one broken benchmark must not hide the others' results
        traceback.print_exc(file=sys.stderr)
        rows = [Row(name.split('.')[-1], None, None, None, '-', None, f'FAILED: {type(err).__name__}: {err}')]
        ok = False
    print(f'  {name}: {len(rows)} row(s) in {time.perf_counter() - start:.1f} s', file=sys.stderr, flush=True)
    return rows, ok


def format_table(rows: list[Row]) -> str:
    """A Markdown table (readable in a terminal, and pasted as is into RESULTS.md)."""
    table = [HEADERS] + [r.cells() for r in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(HEADERS))]
    lines = ['| ' + ' | '.join(c.ljust(w) for c, w in zip(line, widths)) + ' |' for line in table]
    lines.insert(1, '|' + '|'.join('-' * (w + 2) for w in widths) + '|')
    return '\n'.join(lines)


def machine() -> str:
    """One line describing where the figures were measured."""
    import os
    cpu = platform.processor() or platform.machine()
    try:
        with open('/proc/cpuinfo') as f:
            cpu = next((line.split(':', 1)[1].strip() for line in f if line.startswith('model name')), cpu)
    except OSError:
        pass
    return f'{cpu}, {os.cpu_count()} CPUs, Python {platform.python_version()}, {load_average()}'


def _jsonable(value):
    if isinstance(value, Measure):
        return dict(median=value.median, low=value.low, high=value.high, unit=value.unit, samples=value.samples)
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description='mmext benchmarks against mmdet/mmengine/pycocotools.')
    parser.add_argument('--quick', action='store_true', help='small sizes and few repeats (under a minute)')
    parser.add_argument('--only', nargs='+', metavar='NAME', help='only the bench_NAME modules')
    parser.add_argument('--json', metavar='FILE', help='also write the rows to FILE as JSON')
    args = parser.parse_args(argv)
    names = discover(args.only)
    if not names:
        print(f'no benchmark matches {args.only}', file=sys.stderr)
        return 1
    print(f'mmext benchmarks ({"quick" if args.quick else "full"}): {machine()}', file=sys.stderr, flush=True)
    all_rows, all_ok = [], True
    for name in names:
        rows, ok = run_module(name, args.quick)
        all_rows += rows
        all_ok &= ok
    print(format_table(all_rows))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(machine=machine(), quick=args.quick, rows=[
                {k: _jsonable(v) for k, v in vars(r).items()} for r in all_rows]), f, indent=1)
    return 0 if all_ok else 1


if __name__ == '__main__':
    sys.exit(main())
