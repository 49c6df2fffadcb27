"""The inference benchmarks run in quick mode and give their rows (throughput vs DetInferencer, slicing)."""
import json

from tests.conftest import run_tool


def test_quick_inference_benchmarks_give_their_rows(tmp_path):
    out = tmp_path / 'rows.json'
    proc = run_tool(['benchmarks/run.py', '--quick', '--only', 'infer', 'slicing', '--json', str(out)], timeout=400)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = {r['benchmark'].split(' (')[0]: r for r in json.loads(out.read_text())['rows']}
    assert {'folder inference vs DetInferencer at its default batch 1', 'folder inference vs DetInferencer, both batch 8',
            'folder inference with outputs written vs DetInferencer, batch 8',
            'folder inference: same boxes as DetInferencer', 'sliced vs plain inference: mAP_small',
            'sliced vs plain inference: mAP', 'sliced vs plain inference: time'} <= set(rows)
    assert all(r['anchor']['median'] > 0 for r in rows.values() if isinstance(r['anchor'], dict))
    assert rows['folder inference: same boxes as DetInferencer']['met'] is True
