"""Shared fixtures: a tiny copy of the synthetic demo dataset and helpers to run the tools."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEMO_CONFIG = 'configs/demo/retinanet_r18_fpn_10e_demo.py'


@pytest.fixture(scope='session')
def tiny_coco(tmp_path_factory) -> dict:
    """16 train and 8 val images of the synthetic shapes (generated once per test session)."""
    from mmext.datasets.synthetic import SyntheticSpec, make_synthetic_coco
    out = tmp_path_factory.mktemp('tiny_coco')
    paths = make_synthetic_coco(str(out), SyntheticSpec(num_train=16, num_val=8))
    return dict(paths, root=str(out))


def demo_data_options(data: dict) -> list[str]:
    """``--cfg-options`` that point the demo config at another copy of the synthetic data."""
    root = data['root'].rstrip('/') + '/'
    return [f'{split}_dataloader.dataset.data_root={root}' for split in ('train', 'val', 'test')] + [
        f'val_evaluator.ann_file={data["val"]}', f'test_evaluator.ann_file={data["val"]}']


def quick_options(work_dir: Path, epochs: int = 1) -> list[str]:
    """Options that make a demo run take seconds: few epochs, no workers, batch 4.

    A model trained for a few iterations scores below mmdet's 0.05 threshold, and CocoMetric returns no metrics at
    all for empty results; a zero threshold keeps the evaluation (and what the tests check) running.
    """
    return [f'train_cfg.max_epochs={epochs}', 'model.test_cfg.score_thr=0.0', 'train_dataloader.num_workers=0',
            'train_dataloader.persistent_workers=False', 'val_dataloader.num_workers=0',
            'val_dataloader.persistent_workers=False', 'test_dataloader.num_workers=0',
            'test_dataloader.persistent_workers=False', 'default_hooks.logger.interval=1']


def run_tool(args: list[str], timeout: int = 600, env: dict | None = None, cwd: Path = ROOT
             ) -> subprocess.CompletedProcess:
    """Run a Python command (``tools/x.py ...`` or ``-m ...``) in a fresh interpreter; output captured.

    The command runs in its own process group, killed as a whole on a timeout: a hung ``--nproc`` run would
    otherwise leave torchrun and its workers running after the test.
    """
    full_env = dict(os.environ, PYTHONUNBUFFERED='1', **(env or {}))
    with subprocess.Popen([sys.executable, *args], cwd=cwd, env=full_env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, start_new_session=True) as proc:
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except BaseException:
            os.killpg(proc.pid, signal.SIGKILL)
            raise
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)


@pytest.fixture
def lazy_tree(tmp_path, monkeypatch):
    """A registry tree like mmdet's, fresh for every test: ``CHILD`` (scope 'lazytree') below ``ROOT``. The
    child's location ``lazytree_location`` registers ``Known`` at its first lookup, as mmdet's do;
    ``lazytree_announced`` registers ``Announced`` with mmext's ``register``."""
    (tmp_path / 'lazytree_registries.py').write_text(textwrap.dedent('''
        from mmengine.registry import Registry
        ROOT = Registry('thing', scope='lazytree_root')
        CHILD = Registry('thing', parent=ROOT, scope='lazytree', locations=['lazytree_location'])
        '''))
    (tmp_path / 'lazytree_location.py').write_text(textwrap.dedent('''
        from lazytree_registries import CHILD

        @CHILD.register_module()
        class Known:
            pass
        '''))
    (tmp_path / 'lazytree_announced.py').write_text(textwrap.dedent('''
        from lazytree_registries import CHILD
        from mmext.registry import register

        @register(CHILD)
        class Announced:
            pass
        '''))
    monkeypatch.syspath_prepend(str(tmp_path))
    import lazytree_registries
    yield lazytree_registries
    from mmext import registry
    for tree in (lazytree_registries.ROOT, lazytree_registries.CHILD):
        registry._PENDING.pop(tree, None)
        registry._ANNOUNCED.pop(tree, None)
    for name in ('lazytree_registries', 'lazytree_location', 'lazytree_announced'):
        sys.modules.pop(name, None)


@pytest.fixture
def clashes():
    """mmext.registry.CLASHES: the clashes found at first lookups during the test (forgotten after it)."""
    from mmext import registry
    before = list(registry.CLASHES)
    yield registry.CLASHES
    registry.CLASHES[:] = before


@pytest.fixture(scope='session')
def trained_work_dir(tiny_coco, tmp_path_factory) -> Path:
    """A work dir of the demo detector trained for one epoch on ``tiny_coco`` (a few seconds): its dumped config,
    ``epoch_1.pth`` and ``last_checkpoint``."""
    work = tmp_path_factory.mktemp('trained_demo')
    result = run_tool(['tools/train.py', DEMO_CONFIG, '--work-dir', str(work), '--cfg-options',
                       *demo_data_options(tiny_coco), *quick_options(work, epochs=1)])
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return work
