"""Import overhead: what ``import mmext`` adds to ``import mmdet``, in fresh interpreters.

Each measurement is one fresh ``python`` process timing its own imports with ``time.perf_counter`` (interpreter
start-up, common to both, is left out); anchor and mmext processes alternate. As many more processes run with
``-X importtime``: the note gives mmext's cumulative import time there (median [min-max]) and, from the median
process, what it went to (mmext's own modules, then the largest modules of other packages under it).

Rows:
- ``import mmext`` over ``import mmdet`` (the goal: at most +150 ms).
- The same over what a training process imports anyway (mmengine's Runner and the modules mmdet's registries
  load on first build: ``mmdet.models``, ``.datasets``, ``.engine``, ``.evaluation``, ``.visualization``):
  the cost mmext really adds to a training run.
- The part of ``import mmext`` spent importing registries' lazy locations (the clash check of
  :func:`mmext.registry.register` needs every mmdet name; it runs at each registry's first lookup, so
  ``import mmext`` should spend nothing here): ``import mmext`` with and without
  ``Registry.import_from_location`` (disabled in that child process only).
"""
from __future__ import annotations

import re
import subprocess
import sys

from benchmarks.common import (Measure, Row, cache_dir, child_env, interleaved, load_average, overhead_row,
                               run_python)

GOAL_MS = 150.0
TRAINING_IMPORTS = ('mmengine.runner', 'mmdet.models', 'mmdet.datasets', 'mmdet.engine', 'mmdet.evaluation',
                    'mmdet.visualization')

_TIMED = '''
import importlib, json, sys, time
before, after = sys.argv[1].split(',') if sys.argv[1] else [], sys.argv[2]
if sys.argv[3] == 'no-locations':
    from mmengine.registry import Registry
    Registry.import_from_location = lambda self: None
t0 = time.perf_counter()
for name in before:
    importlib.import_module(name)
t1 = time.perf_counter()
if after:
    importlib.import_module(after)
t2 = time.perf_counter()
print(json.dumps(dict(before=t1 - t0, after=t2 - t1, total=t2 - t0)))
'''


def _timed(before: tuple[str, ...], after: str = '', mode: str = '', part: str = 'total') -> float:
    """Milliseconds one fresh interpreter takes to import ``before`` then ``after`` (``part``: ``'total'``, or
    ``'after'`` for the second import only)."""
    return 1e3 * run_python(_TIMED, [','.join(before), after, mode])[part]


def _importtime_lines(before: tuple[str, ...]) -> list[tuple[int, int, int, str]]:
    """``python -X importtime -c 'import <before>...; import mmext'`` in a fresh process: (self us, cumulative
    us, depth, name) per module, in completion order (a module's line follows those of what it imported)."""
    code = ';'.join(f'import {m}' for m in before) + ';import mmext'
    proc = subprocess.run([sys.executable, '-X', 'importtime', '-c', code], capture_output=True, text=True,
                          cwd=cache_dir(), env=child_env())
    return [(int(m.group(1)), int(m.group(2)), len(m.group(3)), m.group(4))
            for m in re.finditer(r'import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)', proc.stderr)]


def _breakdown(lines: list[tuple[int, int, int, str]], n: int) -> tuple[float, str] | None:
    """mmext's cumulative milliseconds in one ``-X importtime`` output, and what they went to: the self time of
    mmext's own modules, then the ``n`` largest modules of other packages imported under mmext (none nested in
    another)."""
    end = next((i for i, (_, _, depth, name) in enumerate(lines) if name == 'mmext' and depth == 1), None)
    if end is None:
        return None

    def first_child(i: int) -> int:  # the lines [first_child(i), i) are what line i imported
        j = i - 1
        while j >= 0 and lines[j][2] > lines[i][2]:
            j -= 1
        return j + 1

    inside = range(first_child(end), end)
    own = sum(lines[i][0] for i in inside if lines[i][3].startswith('mmext.')) + lines[end][0]
    picked: list[int] = []
    for i in sorted(inside, key=lambda i: -lines[i][1]):
        if lines[i][1] < 1000:  # under 1 ms: not worth naming
            break
        if lines[i][3].startswith('mmext') or any(first_child(p) <= i < p for p in picked):
            continue
        picked.append(i)
        if len(picked) == n:
            break
    parts = [f"mmext's own modules {own / 1e3:.0f} ms"] + [f'{lines[i][3]} {lines[i][1] / 1e3:.0f} ms'
                                                           for i in picked]
    return lines[end][1] / 1e3, ', '.join(parts)


def importtime_note(before: tuple[str, ...] = ('mmdet',), runs: int = 10, n: int = 4) -> str:
    """``-X importtime`` over ``runs`` fresh processes: mmext's cumulative import time (median [min-max]) and,
    from the median process, what it went to (see :func:`_breakdown`)."""
    found = sorted(b for b in (_breakdown(_importtime_lines(before), n) for _ in range(runs)) if b is not None)
    if not found:
        return 'mmext not found in -X importtime output'
    times = Measure([ms for ms, _ in found], unit='ms')
    return (f'-X importtime: mmext {times} (median of {len(found)} processes), of which '
            f'{found[len(found) // 2][1]}')


def rows(quick: bool = False) -> list[Row]:
    """10 processes per case (quick: 1), alternating; the training-process and clash-check rows are left out
    in quick mode."""
    repeats = 1 if quick else 10
    times = interleaved({'anchor': lambda: _timed(('mmdet',)),
                         'mmext': lambda: _timed(('mmdet',), 'mmext')}, repeats, unit='ms')
    note = f'{importtime_note(runs=repeats, n=3)}; {load_average()}'
    found = [overhead_row('import mmext over import mmdet', times['mmext'], times['anchor'], GOAL_MS, note)]
    if quick:
        return found
    base = ('mmdet',) + TRAINING_IMPORTS
    times = interleaved({'anchor': lambda: _timed(base), 'mmext': lambda: _timed(base, 'mmext')}, repeats,
                        unit='ms')
    found.append(overhead_row('import mmext over a training process\'s imports', times['mmext'],
                              times['anchor'], GOAL_MS, 'anchor: mmdet + mmengine.runner + the modules mmdet\'s '
                              f'registries import on first build; {importtime_note(base, 3, 3)}'))
    times = interleaved({'anchor': lambda: _timed(('mmdet',), 'mmext', 'no-locations', 'after'),
                         'mmext': lambda: _timed(('mmdet',), 'mmext', '', 'after')}, repeats, unit='ms')
    extra = times['mmext'].median - times['anchor'].median
    found.append(Row('import mmext (after mmdet): with vs without the registry clash check', times['mmext'],
                     times['anchor'],
                     times['mmext'].median / times['anchor'].median, 'informative', None,
                     f'the check\'s location imports: {extra:+.0f} ms (anchor: Registry.import_from_location '
                     'disabled in that child)'))
    return found
