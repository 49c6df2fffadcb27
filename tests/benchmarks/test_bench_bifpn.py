import pytest
import torch

from benchmarks.bench_bifpn import format_table, run_benchmark


@pytest.fixture
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_quick_run_returns_rows_with_ratios_against_fpn(one_thread):
    rows = run_benchmark(quick=True, rounds=1, device='cpu', reference='/no/such/dir')
    assert [r['neck'] for r in rows] == ['BiFPN', 'FPN', 'PAFPN']
    by_neck = {r['neck']: r for r in rows}
    assert by_neck['FPN']['time_vs_fpn'] == 1.0 and by_neck['FPN']['memory_vs_fpn'] == 1.0
    for row in rows:
        assert row['bench'] == 'bifpn' and row['preset'] == 'D0' and row['width'] == 64
        assert row['ms'] > 0 and row['peak_mb'] > 0
    # BiFPN (3 repeats of 8 nodes) saves more for backward than a one-pass FPN at the same width
    assert by_neck['BiFPN']['memory_vs_fpn'] > 1
    table = format_table(rows)
    assert 'fwd+bwd ms' in table and 'x FPN' in table and 'PAFPN' in table
