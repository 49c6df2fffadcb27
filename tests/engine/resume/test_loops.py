"""Exact resume: interrupted + resumed runs end with bitwise the same weights as uninterrupted ones.

The toy set-up (tests/toy_training.py) draws from Python's, NumPy's and torch's generators in the data pipeline
and in the model (Dropout, noise), has BatchNorm buffers, a per-iteration lr schedule and a stateful hook that
changes the weights: leaving out any part of the resume state changes the final weights.
"""
import pytest
import torch

from tests.toy_training import ResumeToyDataset, run, toy_cfg, weights

EPOCHS, ITERS, BATCH = 3, 15, 2  # 10 samples, batch 2: 5 iterations per epoch (or per pass), 15 in all

_references: dict = {}


def _reference(tmp_path_factory, by_epoch: bool, workers: int) -> dict:
    key = (by_epoch, workers)
    if key not in _references:
        work = tmp_path_factory.mktemp('reference')
        _references[key] = weights(run(toy_cfg(work, by_epoch=by_epoch, max_epochs=EPOCHS, max_iters=ITERS,
                                               workers=workers)))
    return _references[key]


def _stop_at(k: int, how: str, by_epoch: bool, boundary: bool) -> tuple[dict, dict]:
    """(checkpoint hook arguments, stop hook arguments) that interrupt the run right after iteration k."""
    if how == 'crash':  # a regular checkpoint at k, then the process dies (in-process: an exception)
        if by_epoch and boundary:
            return dict(interval=1), dict(after_epoch=k // 5)
        return dict(by_epoch=False, interval=k), dict(after_iter=k)
    # a signal arrives during iteration k: the preemption path saves after it
    return dict(interval=100), dict(before_iter=k, signal=how)


@pytest.mark.parametrize('by_epoch, workers, k, how', [
    (True, 0, 7, 'SIGTERM'),     # mid-epoch (epoch 2, batch 2), preemption
    (True, 0, 5, 'crash'),       # epoch boundary, regular epoch checkpoint then a crash
    (True, 2, 7, 'crash'),       # mid-epoch, iteration checkpoint then a crash, 2 dataloader workers
    (True, 2, 5, 'SIGINT'),      # last batch of epoch 1 (its after_train_epoch not yet run), Ctrl-C
    (False, 0, 7, 'SIGUSR1'),    # iteration-based, mid-pass, Slurm's --signal
    (False, 0, 10, 'crash'),     # iteration-based, end of a pass over the data
    (False, 2, 7, 'SIGTERM'),    # iteration-based, mid-pass, 2 workers
], ids=lambda v: str(v))
def test_resumed_run_ends_bitwise_equal(tmp_path, tmp_path_factory, by_epoch, workers, k, how):
    expected = _reference(tmp_path_factory, by_epoch, workers)
    boundary = k % 5 == 0
    ckpt, stop = _stop_at(k, how, by_epoch, boundary)
    common = dict(by_epoch=by_epoch, max_epochs=EPOCHS, max_iters=ITERS, workers=workers)
    if how == 'crash':
        with pytest.raises(RuntimeError, match='simulated crash'):
            run(toy_cfg(tmp_path, ckpt=ckpt, stop=stop, **common))
    else:
        with pytest.raises(SystemExit) as stopped:
            run(toy_cfg(tmp_path, ckpt=ckpt, stop=stop, **common))
        assert stopped.value.code == 75
        assert (tmp_path / f'iter_{k}.pth').is_file()
    pointer = (tmp_path / 'last_checkpoint').read_text()
    saved = torch.load(pointer, weights_only=False)
    assert saved['meta']['iter'] == k and saved['mmext_resume']['world_size'] == 1

    ResumeToyDataset.loads = 0
    resumed = weights(run(toy_cfg(tmp_path, ckpt=ckpt, resume=True, **common)))
    if workers == 0:  # skipped by index: only the remaining iterations' samples were loaded
        assert ResumeToyDataset.loads == (ITERS - k) * BATCH
    assert resumed.keys() == expected.keys()
    different = [name for name in expected if not torch.equal(expected[name], resumed[name])]
    assert not different, f'weights differ after resuming at iteration {k}: {different}'


def test_a_plain_load_does_not_apply_the_resume_state(tmp_path):
    """load_from without resume starts at iteration 0: the saved data position and random state are not used."""
    run(toy_cfg(tmp_path / 'a', max_epochs=1, ckpt=dict(by_epoch=False, interval=3)))
    cfg = toy_cfg(tmp_path / 'b', max_epochs=1)
    cfg.load_from = str(tmp_path / 'a' / 'iter_3.pth')
    ResumeToyDataset.loads = 0
    runner = run(cfg)
    assert runner.iter == 5 and ResumeToyDataset.loads == 5 * BATCH


@pytest.mark.parametrize('train_cfg, expected', [
    (dict(type='EpochBasedTrainLoop', max_epochs=2), 'ExactEpochBasedTrainLoop'),
    (dict(type='mmengine.IterBasedTrainLoop', max_iters=9), 'ExactIterBasedTrainLoop'),
    (dict(by_epoch=False, max_iters=9), 'ExactIterBasedTrainLoop'),
    (dict(type='ExactEpochBasedTrainLoop', max_epochs=2), 'ExactEpochBasedTrainLoop'),
    (dict(type='MyOwnTrainLoop', max_epochs=2), 'MyOwnTrainLoop'),
])
def test_mmengines_standard_loops_become_the_exact_ones(train_cfg, expected):
    from mmext.engine.resume.loops import exact_loop_cfg
    built = exact_loop_cfg(train_cfg, dict(batch_size=2))
    kind = built['type']
    assert (kind if isinstance(kind, str) else kind.__name__) == expected
    assert exact_loop_cfg(train_cfg, object()) is train_cfg  # a ready DataLoader: left to mmengine
