"""What ``tools/test.py`` does: evaluate a checkpoint, dump COCO results json or mmdet's pkl, draw predictions."""
from __future__ import annotations

import json
import os
import os.path as osp
import time
import warnings
from copy import deepcopy
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
    analysis_results: str | None = None  # the COCO results json that --analysis reads


def _metrics_of(cfg: Config) -> list:
    """The test evaluator's metrics, without the results dump ``--out x.pkl`` adds."""
    evaluator = cfg.test_evaluator
    if isinstance(evaluator, dict) and 'metrics' in evaluator:
        evaluator = evaluator['metrics']
    metrics = list(evaluator) if isinstance(evaluator, (list, tuple)) else [evaluator]
    return [m for m in metrics if m.get('type') != 'DumpDetResults']


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
                   classwise: bool = False, launcher: str = 'none', analysis: str | None = None,
                   tta: bool = False) -> Config:
    """Apply ``tools/test.py``'s flags to a config.

    Args:
        cfg: The loaded config; changed in place.
        config_path: The config file (for the default work dir).
        checkpoint: The checkpoint to evaluate.
        work_dir: ``--work-dir``.
        out: ``--out``: COCO results json (``X.json``; masks go to ``X.segm.json``), or ``X.pkl``: mmdet's
            results pickle (``DumpDetResults``), which mmdet's ``analyze_results.py`` / ``confusion_matrix.py`` read.
        show_dir: ``--show-dir``: one PNG of predictions per test image.
        score_thr: ``--score-thr`` for the PNGs.
        classwise: ``--classwise``: per-class AP table.
        launcher: ``--launcher``.
        analysis: ``--analysis DIR``: the COCO results json is also written there (``DIR/results.json``) for
            :func:`mmext.analysis.analyze`.
        tta: ``--tta``: the model is wrapped in ``cfg.tta_model`` and the test pipeline replaced by
            ``cfg.tta_pipeline``, as mmdet's ``tools/test.py --tta`` does (defaults: ``DetTTAModel`` with NMS 0.5,
            horizontal flip).

    Returns:
        The same config.

    Raises:
        ConfigError: The checkpoint is missing, a split without annotations is tested without ``--out`` or with
            ``--analysis``, or ``--out`` is neither ``.json`` nor ``.pkl``.
    """
    if not osp.isfile(checkpoint):
        raise ConfigError(f'checkpoint {checkpoint} does not exist')
    cfg.launcher = launcher
    cfg.load_from = checkpoint
    cfg.resume = False
    cfg.work_dir = work_dir or cfg.get('work_dir') or osp.join(
        'work_dirs', osp.splitext(osp.basename(config_path))[0])
    cfg.setdefault('runner_type', 'MMExtRunner')
    pickle = bool(out) and out.endswith(('.pkl', '.pickle'))
    if out and not pickle and not out.endswith('.json'):
        raise ConfigError(f'--out {out}: write predictions to a .json (COCO results) or a .pkl (mmdet\'s results '
                          'pickle) file')
    format_only = not split_has_annotations(cfg)
    if format_only and not out:
        raise ConfigError('the test split has no annotations, so there is nothing to evaluate: pass '
                          '--out results.json to write the predictions (COCO results format) for submission')
    if format_only and analysis:
        raise ConfigError('--analysis compares predictions with the ground truth, but the test split has no '
                          'annotations; point test_dataloader.dataset.ann_file at an annotated json')
    json_prefix = _out_prefix(out) if out and not pickle else (osp.join(analysis, 'results') if analysis else None)
    for metric in _metrics_of(cfg):
        if classwise:
            metric['classwise'] = True
        if json_prefix:
            metric['outfile_prefix'] = json_prefix
        if format_only:
            metric['format_only'] = True
    if pickle:
        metrics = _metrics_of(cfg)
        cfg.test_evaluator = metrics + [dict(type='DumpDetResults', out_file_path=out)]
    if analysis:
        cfg._mmext_analysis_json = json_prefix + '.json'
    if tta:
        _use_tta(cfg)
    if show_dir:
        cfg.custom_hooks = [h for h in cfg.get('custom_hooks', []) if h.get('type') != 'PredictionGridHook']
        cfg.custom_hooks.append(dict(type='SavePredictionsHook', out_dir=show_dir, score_thr=score_thr))
    cfg.default_hooks.pop('visualization', None)  # mmdet's would draw again with matplotlib
    return cfg


def _use_tta(cfg: Config) -> None:
    """mmdet's ``tools/test.py --tta``: wrap the model in ``tta_model``, test with ``tta_pipeline`` (mmdet's
    defaults when the config has none: DetTTAModel merging with NMS 0.5, the image and its horizontal flip)."""
    if 'tta_model' not in cfg:
        warnings.warn('--tta: the config has no tta_model; using DetTTAModel with NMS 0.5 (mmdet\'s default)')
        cfg.tta_model = dict(type='DetTTAModel', tta_cfg=dict(nms=dict(type='nms', iou_threshold=0.5),
                                                              max_per_img=100))
    if 'tta_pipeline' not in cfg:
        warnings.warn('--tta: the config has no tta_pipeline; testing each image and its horizontal flip '
                      '(mmdet\'s default)')
        leaf = cfg.test_dataloader.dataset
        while 'dataset' in leaf:
            leaf = leaf['dataset']
        cfg.tta_pipeline = deepcopy(leaf.pipeline)
        cfg.tta_pipeline[-1] = dict(type='TestTimeAug', transforms=[
            [dict(type='RandomFlip', prob=1.), dict(type='RandomFlip', prob=0.)],
            [dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor',
                                                   'flip', 'flip_direction'))]])
    cfg.model = dict(**cfg.tta_model, module=cfg.model)
    cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline


def test_split_files(cfg: Config) -> tuple[str, str]:
    """The test split's annotation file and image folder (what ``--analysis`` compares with and draws)."""
    leaf = next(iter(dataset_leaves(cfg.test_dataloader.dataset)))
    ann_file, img_dir = leaf_files(leaf)
    return ann_file, img_dir if img_dir is not None else (leaf.get('data_root') or '')


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
    analysis_json = cfg.get('_mmext_analysis_json')
    prefixes = [_out_prefix(out)] if out and out.endswith('.json') else []
    if analysis_json and _out_prefix(analysis_json) not in prefixes:
        prefixes.append(_out_prefix(analysis_json))
    for prefix in prefixes:
        bbox = f'{prefix}.bbox.json'
        if osp.isfile(bbox):
            os.replace(bbox, prefix + '.json')
            files.append(prefix + '.json')
        files += [f'{prefix}.{kind}.json' for kind in ('segm', 'proposal') if osp.isfile(f'{prefix}.{kind}.json')]
    if out and not out.endswith('.json') and osp.isfile(out):
        files.append(out)
    show = next((h['out_dir'] for h in cfg.get('custom_hooks', []) if h.get('type') == 'SavePredictionsHook'),
                None)
    return TestResult(seconds=time.time() - start, metrics=dict(metrics or {}), result_files=files,
                      show_dir=show, format_only=any(m.get('format_only') for m in _metrics_of(cfg)),
                      analysis_results=analysis_json)


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
