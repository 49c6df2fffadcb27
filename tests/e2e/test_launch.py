"""tools/train.py on several processes through torchrun (gloo on CPU), restarts, and launch errors."""
import math
import os
import re
import socket
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import torch

from mmext.engine.commands.launch import find_free_port
from tests.conftest import DEMO_CONFIG, ROOT, demo_data_options, quick_options, run_tool

pytestmark = pytest.mark.e2e


def _losses(log: str) -> list[float]:
    return [float(v) for v in re.findall(r'\bloss: (\S+)', log)]


def test_nproc_2_trains_through_torchrun(tiny_coco, tmp_path):
    work = tmp_path / 'work'
    result = run_tool(['tools/train.py', DEMO_CONFIG, '--nproc', '2', '--work-dir', str(work), '--cfg-options',
                       *demo_data_options(tiny_coco), *quick_options(work, epochs=1)], env={'OMP_NUM_THREADS': '1'})
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-4000:]
    assert 'under torchrun' in out and '--nproc_per_node=2' in out
    assert 'effective total batch size: 2 process(es) x 4 = 8' in out
    assert _losses(out) and all(math.isfinite(v) for v in _losses(out))
    assert sorted(p.name for p in work.glob('*.pth')) == ['epoch_1.pth']  # written once, by rank 0
    assert out.count('mmext: training finished') == 1


def test_max_restarts_resumes_from_the_latest_checkpoint(tiny_coco, tmp_path):
    """Rank 1 dies in epoch 2; torchrun restarts the group, which resumes from epoch_1 and ends at iteration 4.

    One restart is allowed and one is used: the restarted gloo group must connect at its first try (it used to
    read the dead workers' addresses from the store torchrun keeps across restarts, see launch.py).
    """
    config = tmp_path / 'faulty.py'
    config.write_text(
        f"_base_ = ['{ROOT / DEMO_CONFIG}']\n"
        "custom_imports = dict(imports=['mmext', 'tests.e2e.fault_hook'], allow_failed_imports=False)\n"
        "custom_hooks = [dict(type='KillRankOnceHook', rank=1, at_iter=3)]\n")
    work = tmp_path / 'work'
    result = run_tool(['tools/train.py', str(config), '--nproc', '2', '--max-restarts', '1', '--work-dir', str(work),
                       '--cfg-options', *demo_data_options(tiny_coco), *quick_options(work, epochs=2)],
                      env={'OMP_NUM_THREADS': '1', 'PYTHONPATH': str(ROOT)}, timeout=240)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-4000:]
    stores = re.findall(r'KillRankOnceHook: attempt (\d) store (\S+)', out)
    assert [attempt for attempt, _ in stores] == ['0', '1'], out[-4000:]
    assert stores[0][1] != stores[1][1]  # a fresh store: none of the dead workers' addresses to connect to
    assert 'resumed epoch: 1, iter: 2' in out  # 8 images per rank, batch 4: 2 iterations per epoch
    final = torch.load(work / 'epoch_2.pth', weights_only=False)
    assert (final['meta']['epoch'], final['meta']['iter']) == (2, 4)
    assert out.count('mmext: training finished') == 1


def test_two_nodes_on_one_machine(tiny_coco, tmp_path):
    """--nnodes 2: two tools/train.py on this machine, node 0 and node 1 with one process each, train as one group."""
    port = find_free_port()
    work = tmp_path / 'work'

    def node(rank: int):
        return run_tool(['tools/train.py', DEMO_CONFIG, '--nproc', '1', '--nnodes', '2', '--node-rank', str(rank),
                         '--master-port', str(port), '--work-dir', str(work), '--cfg-options',
                         *demo_data_options(tiny_coco), *quick_options(work, epochs=1)],
                        env={'OMP_NUM_THREADS': '1'}, timeout=240)

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(node, (0, 1)))
    first, second = (result.stdout + result.stderr for result in results)
    for rank, (result, out) in enumerate(zip(results, (first, second))):
        assert result.returncode == 0, out[-4000:]
        assert f'--nnodes=2 --node_rank={rank}' in out
    # Node 0 holds global rank 0 (the log, the summary and the checkpoint); the batch is summed over both nodes.
    assert 'effective total batch size: 2 process(es) x 4 = 8' in first
    assert first.count('mmext: training finished') == 1 and 'training finished' not in second
    assert sorted(p.name for p in work.glob('*.pth')) == ['epoch_1.pth']


def test_unknown_flag_and_gpus_without_gpu_are_one_line_errors(tmp_path):
    unknown = run_tool(['tools/train.py', DEMO_CONFIG, '--no-such-flag'])
    assert unknown.returncode == 2
    assert 'unrecognized arguments: --no-such-flag' in unknown.stderr and 'Traceback' not in unknown.stderr
    if not torch.cuda.is_available():
        gpus = run_tool(['tools/train.py', DEMO_CONFIG, '--gpus', '2', '--work-dir', str(tmp_path)])
        assert gpus.returncode == 1 and 'Traceback' not in gpus.stderr
        assert gpus.stderr.strip().splitlines()[-1].startswith('error: --gpus 2: no CUDA GPU is visible')


@pytest.mark.skipif(torch.cuda.is_available(), reason='--amp on a machine without CUDA')
def test_amp_without_cuda_is_one_line_before_any_worker_starts(tmp_path):
    result = run_tool(['tools/train.py', DEMO_CONFIG, '--amp', '--nproc', '2', '--work-dir', str(tmp_path)])
    assert result.returncode == 1 and 'Traceback' not in result.stderr
    assert result.stderr.strip().splitlines() == [
        "error: --amp needs a CUDA GPU (mmengine's AmpOptimWrapper) and none is visible here; drop --amp to train "
        'in full precision on the CPU']
    assert 'torchrun' not in result.stdout


def test_more_gpus_than_the_machine_has_is_one_line(monkeypatch, capsys, tmp_path):
    """--gpus 4 on a machine with 2 GPUs (faked: tools/train.py runs in this process)."""
    import runpy
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    monkeypatch.setattr(torch.cuda, 'device_count', lambda: 2)
    monkeypatch.delenv('CUDA_VISIBLE_DEVICES', raising=False)
    main = runpy.run_path(str(ROOT / 'tools' / 'train.py'))['main']
    assert main([DEMO_CONFIG, '--gpus', '4', '--work-dir', str(tmp_path)]) == 1
    assert capsys.readouterr().err.strip().splitlines() == [
        'error: --gpus 4: only 2 CUDA GPU(s) are visible here; use --gpus 2 or fewer']


def test_master_port_in_use_is_an_error_not_a_hang(tmp_path):
    with socket.socket() as busy:
        busy.bind(('', 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_tool(['tools/train.py', DEMO_CONFIG, '--nproc', '2', '--master-port', str(port),
                           '--work-dir', str(tmp_path)], timeout=60)
    assert result.returncode == 1
    assert f'error: --master-port {port} is already in use' in result.stderr


def test_a_workers_error_is_the_last_line(tiny_coco, tmp_path):
    """Both workers fail on a missing annotation file; below torchrun's report the launcher repeats why."""
    result = run_tool(['tools/train.py', DEMO_CONFIG, '--nproc', '2', '--work-dir', str(tmp_path), '--cfg-options',
                       *demo_data_options(tiny_coco), 'train_dataloader.dataset.ann_file=annotations/missing.json',
                       *quick_options(tmp_path)], env={'OMP_NUM_THREADS': '1'})
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert re.fullmatch(r"error: \(rank [01]\) train_dataloader\.dataset\.ann_file: annotation file '.*missing\.json' "
                        r'does not exist .*', last), result.stderr[-3000:]


def test_sigterm_to_the_launching_process_saves_and_exits_75(tmp_path):
    """A scheduler signals tools/train.py (which started torchrun): the workers save, and it exits with 75."""
    import os
    import signal
    import subprocess
    import sys

    from mmext.datasets.synthetic import SyntheticSpec, make_synthetic_coco
    data = dict(make_synthetic_coco(str(tmp_path / 'data'), SyntheticSpec(num_train=64, num_val=8)),
                root=str(tmp_path / 'data'))
    work = tmp_path / 'work'
    proc = subprocess.Popen(
        [sys.executable, 'tools/train.py', DEMO_CONFIG, '--nproc', '2', '--work-dir', str(work), '--cfg-options',
         *demo_data_options(data), *quick_options(work, epochs=3)], cwd=ROOT, text=True, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, env=dict(os.environ, OMP_NUM_THREADS='1', PYTHONUNBUFFERED='1'))
    for line in proc.stdout:
        if re.search(r'Epoch\(train\)\s+\[1\]\[\s*3/', line):
            proc.send_signal(signal.SIGTERM)
            break
    out = proc.communicate(timeout=300)[0]
    assert proc.returncode == 75, out[-3000:]
    assert (work / 'last_checkpoint').read_text().strip().endswith('.pth')
    ckpt = torch.load((work / 'last_checkpoint').read_text().strip(), weights_only=False)
    assert ckpt['meta']['iter'] >= 3
