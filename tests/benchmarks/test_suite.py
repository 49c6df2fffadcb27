"""The benchmark suite runs (quick mode) and prints its table, so that it cannot rot."""
from __future__ import annotations

import json

from benchmarks.common import Measure, overhead_row, ratio_row, speedup_row
from benchmarks.run import as_row, discover, format_table
from tests.conftest import run_tool


def test_quick_suite_prints_one_row_per_comparison(tmp_path):
    out = tmp_path / 'rows.json'
    # every module but bench_plugins and bench_resume, whose quick modes alone take longer than all of these
    proc = run_tool(['benchmarks/run.py', '--quick', '--only', 'bifpn', 'class_balance', 'dataset', 'eval', 'import',
                     'overhead', '--json', str(out)], timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    table = proc.stdout.splitlines()
    assert table[0].startswith('| benchmark') and 'mmext' in table[0] and 'goal' in table[0]
    rows = json.loads(out.read_text())['rows']
    names = [r['benchmark'] for r in rows]
    for expected in ('BiFPN fwd+bwd time vs mmdet FPN', 'COCO eval bbox', 'COCO eval segm', 'import mmext over import mmdet',
                     'training: time per iteration', 'dataset build: time', 'dataset build: peak RSS',
                     'dataloader workers: summed USS growth', 'ClassBalancedDataset build: time'):
        assert any(n.startswith(expected) for n in names), (expected, names)
    assert not any('FAILED' in r['note'] for r in rows)
    measured = [r for r in rows if isinstance(r['anchor'], dict)]
    assert measured and all(r['anchor']['median'] > 0 for r in measured)
    assert all(r['met'] in (True, False) for r in rows if r['ratio'] is not None and r['goal'] != 'informative')


def test_discovery_finds_every_bench_module():
    names = discover()
    assert {'benchmarks.bench_eval', 'benchmarks.bench_import', 'benchmarks.bench_overhead',
            'benchmarks.bench_dataset'} <= set(names)
    assert discover(['eval']) == ['benchmarks.bench_eval']


def test_rows_judge_their_goals():
    fast, slow = Measure([1.0, 1.2, 0.9]), Measure([7.0, 6.5, 8.0])
    assert fast.median == 1.0 and str(fast) == '1 s [0.9-1.2]'
    assert speedup_row('x', fast, slow, 6).met is True
    assert speedup_row('x', fast, Measure([5.0]), 6).met is False
    assert speedup_row('x', None, slow, 6).met is None
    assert ratio_row('x', Measure([1.01]), Measure([1.0]), 1.02, 'time').met is True
    assert ratio_row('x', Measure([1.03]), Measure([1.0]), 1.02, 'time').met is False
    row = overhead_row('x', Measure([400.0], 'ms'), Measure([200.0], 'ms'), 150)
    assert row.met is False and row.note.startswith('+200 ms')
    # a module returning plain dicts is accepted too
    row = as_row(dict(benchmark='b', mmext=None, anchor=None, ratio=None, goal='g', met=None))
    assert 'n/a' in format_table([row])
