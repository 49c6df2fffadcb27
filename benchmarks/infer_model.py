"""A demo detector trained once for the inference benchmarks, kept in the benchmark cache between runs."""
from __future__ import annotations

import hashlib
import json
import os.path as osp
import subprocess
import sys

from benchmarks.common import ROOT, cache_dir, child_env

DEMO_CONFIG = ROOT / 'configs' / 'demo' / 'retinanet_r18_fpn_10e_demo.py'


def trained_demo(num_train: int, epochs: int) -> tuple[str, dict]:
    """The work dir of the demo config trained ``epochs`` epochs on ``num_train`` synthetic images (trained
    now when the cache has none), and the synthetic data's paths (``train``, ``val``, ``img_dir``, ``root``).

    Quick mode uses a few images and one epoch: seconds, a weak model, enough to run the code.
    """
    from mmext.datasets.synthetic import SyntheticSpec, make_synthetic_coco
    spec = SyntheticSpec(num_train=num_train, num_val=160)
    key = hashlib.sha1(json.dumps([num_train, epochs, DEMO_CONFIG.read_text()]).encode()).hexdigest()[:10]
    root = osp.join(cache_dir(), f'infer-demo-{key}')
    data = dict(make_synthetic_coco(osp.join(root, 'data'), spec), root=osp.join(root, 'data'))
    work = osp.join(root, 'work')
    if osp.isfile(osp.join(work, f'epoch_{epochs}.pth')):
        return work, data
    prefix = data['root'].rstrip('/') + '/'
    options = [f'{s}_dataloader.dataset.data_root={prefix}' for s in ('train', 'val', 'test')] + [
        f'val_evaluator.ann_file={data["val"]}', f'test_evaluator.ann_file={data["val"]}',
        f'train_cfg.max_epochs={epochs}', f'train_cfg.val_interval={epochs}', 'custom_hooks=[]']
    proc = subprocess.run([sys.executable, str(ROOT / 'tools' / 'train.py'), str(DEMO_CONFIG), '--work-dir', work,
                           '--cfg-options', *options], capture_output=True, text=True, env=child_env(), cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f'training the benchmark detector failed:\n{proc.stderr[-3000:]}')
    return work, data
