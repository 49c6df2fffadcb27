"""The demo detector (RetinaNet, RandomFlip, 2 dataloader workers) through tools/train.py: SIGTERM in the middle of
epoch 2, exit code 75, then ``--resume``: the final weights are bitwise those of an uninterrupted run."""
import pytest
import torch

from mmext.runtime.preemption import PREEMPTED_EXIT_CODE
from tests.conftest import DEMO_CONFIG, ROOT, demo_data_options, quick_options, run_tool

pytestmark = pytest.mark.e2e

# 16 images, batch 4: 4 iterations per epoch; the signal arrives during iteration 6 (epoch 2, batch 2)
_WORKERS = ['train_dataloader.num_workers=2', 'train_dataloader.persistent_workers=True']


def _train(config, work, tiny_coco, *extra):
    return run_tool(['tools/train.py', str(config), '--work-dir', str(work), '--seed', '0', '--deterministic',
                     *extra, '--cfg-options', *demo_data_options(tiny_coco), *quick_options(work, epochs=2),
                     *_WORKERS], env={'PYTHONPATH': str(ROOT), 'OMP_NUM_THREADS': '1'})


def test_sigterm_mid_epoch_then_resume_gives_the_same_weights(tiny_coco, tmp_path):
    reference = _train(ROOT / DEMO_CONFIG, tmp_path / 'reference', tiny_coco)
    assert reference.returncode == 0, reference.stderr[-3000:]

    config = tmp_path / 'preempted.py'
    config.write_text(
        f"_base_ = ['{ROOT / DEMO_CONFIG}']\n"
        "custom_imports = dict(imports=['mmext', 'tests.toy_training'], allow_failed_imports=False)\n"
        "default_hooks = dict(stop=dict(type='ResumeToyStopHook', before_iter=6, signal='SIGTERM'))\n")
    work = tmp_path / 'work'
    stopped = _train(config, work, tiny_coco)
    assert stopped.returncode == PREEMPTED_EXIT_CODE, stopped.stderr[-3000:]
    assert 'preempted (SIGTERM) after iteration 6' in stopped.stdout + stopped.stderr
    assert (work / 'last_checkpoint').read_text() == str(work / 'iter_6.pth')

    resumed = _train(ROOT / DEMO_CONFIG, work, tiny_coco, '--resume')
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert 'resumed epoch: 1, iter: 6' in resumed.stdout
    assert not (work / 'iter_6.pth').exists()  # a regular checkpoint replaced the preemption one
    expected = torch.load(tmp_path / 'reference' / 'epoch_2.pth', weights_only=False)['state_dict']
    got = torch.load(work / 'epoch_2.pth', weights_only=False)['state_dict']
    assert got.keys() == expected.keys()
    assert [k for k in expected if not torch.equal(expected[k], got[k])] == []
