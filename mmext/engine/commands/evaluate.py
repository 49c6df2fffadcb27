"""What ``tools/test.py`` does: evaluate a checkpoint, dump COCO results json, draw predictions."""
from __future__ import annotations

import json
import os
import os.path as osp
import time
from dataclasses import dataclass, field

from mmengine.config import Config

from mmext.datasets.paths import dataset_leaves, leaf_files
from mmext.engine.runner import build_runner
from mmext.errors import ConfigError


@dataclass
class TestResult:
    """What a test run produced."""
    seconds: float
    metrics: dict = field(default_factory=dict)
    result_files: list = field(default_factory=list)
    show_dir: str | None = None
    format_only: bool = False


def _metrics_of(cfg: Config) -> list:
    evaluator = cfg.test_evaluator
    if isinstance(evaluator, dict) and 'metrics' in evaluator:
        evaluator = evaluator['metrics']
    return list(evaluator) if isinstance(evaluator, (list, tuple)) else [evaluator]


def split_has_annotations(cfg: Config) -> bool:
    """Whether the test split's annotation file has any annotations (False: a submission split, format only)."""
    for leaf in dataset_leaves(cfg.test_dataloader.dataset):
        path = leaf_files(leaf)[0]
        if not path:
            return False
        with open(path) as f:
            return bool(json.load(f).get('annotations'))
    return False


def configure_test(cfg: Config, config_path: str, checkpoint: str, *, work_dir: str | None = None,
                   out: str | None = None, show_dir: str | None = None, score_thr: float = 0.3,
                   classwise: bool = False, launcher: str = 'none') -> Config:
    """Apply ``tools/test.py``'s flags to a config.

    Args:
        cfg: The loaded config; changed in place.
        config_path: The config file (for the default work dir).
        checkpoint: The checkpoint to evaluate.
        work_dir: ``--work-dir``.
        out: ``--out``: COCO results json (``X.json``; masks go to ``X.segm.json``).
        show_dir: ``--show-dir``: one PNG of predictions per test image.
        score_thr: ``--score-thr`` for the PNGs.
        classwise: ``--classwise``: per-class AP table.
        launcher: ``--launcher``.

    Returns:
        The same config; ``cfg._mmext_format_only`` tells whether the split has no annotations.

    Raises:
        ConfigError: The checkpoint is missing, or a split without annotations is tested without ``--out``.
    """
    if not osp.isfile(checkpoint):
        raise ConfigError(f'checkpoint {checkpoint} does not exist')
    cfg.launcher = launcher
    cfg.load_from = checkpoint
    cfg.resume = False
    cfg.work_dir = work_dir or cfg.get('work_dir') or osp.join(
        'work_dirs', osp.splitext(osp.basename(config_path))[0])
    cfg.setdefault('runner_type', 'MMExtRunner')
    format_only = not split_has_annotations(cfg)
    if format_only and not out:
        raise ConfigError('the test split has no annotations, so there is nothing to evaluate: pass '
                          '--out results.json to write the predictions (COCO results format) for submission')
    for metric in _metrics_of(cfg):
        if classwise:
            metric['classwise'] = True
        if out:
            metric['outfile_prefix'] = _out_prefix(out)
        if format_only:
            metric['format_only'] = True
    if show_dir:
        cfg.custom_hooks = [h for h in cfg.get('custom_hooks', []) if h.get('type') != 'PredictionGridHook']
        cfg.custom_hooks.append(dict(type='SavePredictionsHook', out_dir=show_dir, score_thr=score_thr))
    cfg.default_hooks.pop('visualization', None)  # mmdet's would draw again with matplotlib
    return cfg


def _out_prefix(out: str) -> str:
    return out[:-len('.json')] if out.endswith('.json') else out


def test(cfg: Config, out: str | None = None) -> TestResult:
    """Evaluate (or only format) the test split with the config's checkpoint.

    Args:
        cfg: A config prepared by :func:`configure_test`.
        out: The ``--out`` path given to :func:`configure_test`, to name the result files.

    Returns:
        Metrics, result files and where the PNGs are.
    """
    start = time.time()
    runner = build_runner(cfg)
    metrics = runner.test()
    files = []
    if out:
        prefix = _out_prefix(out)
        bbox = f'{prefix}.bbox.json'
        if osp.isfile(bbox):
            os.replace(bbox, prefix + '.json')
            files.append(prefix + '.json')
        files += [f'{prefix}.{kind}.json' for kind in ('segm', 'proposal') if osp.isfile(f'{prefix}.{kind}.json')]
    show = next((h['out_dir'] for h in cfg.get('custom_hooks', []) if h.get('type') == 'SavePredictionsHook'),
                None)
    return TestResult(seconds=time.time() - start, metrics=dict(metrics or {}), result_files=files,
                      show_dir=show, format_only=any(m.get('format_only') for m in _metrics_of(cfg)))


def format_test_summary(result: TestResult) -> str:
    """The lines printed at the end of a test run."""
    lines = [f'mmext: test finished in {result.seconds:.0f}s']
    m = result.metrics
    if 'coco/bbox_mAP' in m:
        lines.append(f"  bbox mAP:        {m['coco/bbox_mAP']:.3f}   (mAP50 {m.get('coco/bbox_mAP_50', 0):.3f}, "
                     f"mAP75 {m.get('coco/bbox_mAP_75', 0):.3f})")
    if 'coco/segm_mAP' in m:
        lines.append(f"  segm mAP:        {m['coco/segm_mAP']:.3f}")
    if result.format_only:
        lines.append('  (test split without annotations: predictions written, nothing evaluated)')
    for path in result.result_files:
        lines.append(f'  results:         {path}')
    if result.show_dir:
        lines.append(f'  pictures:        {result.show_dir}')
    return '\n'.join(lines)
