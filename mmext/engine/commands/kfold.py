"""What ``tools/kfold.py`` does: K-fold cross-validation, each fold a real training through ``tools/train.py``'s path.

Design (why it looks like this):

* The folds are ``tools/split_coco.py --kfold``'s files (``train{k}.json`` / ``val{k}.json``), made with the same
  function when the folder does not hold them yet. Each fold is the config with its training set on
  ``train{k}`` and its validation (and test) set and metric on ``val{k}``, trained in ``<work_dir>/fold_{k}``; the
  fold's config is saved there as ``config.py``, so ``tools/train.py <fold>/config.py`` reruns one fold by hand.
* A fold is one independent job (:func:`fold_config` then :func:`run_fold`): run one after another here; a
  scheduler with parallel slots can run them side by side, each ``tools/train.py <fold>/config.py`` in its slot.
* A fold is finished when ``fold_{k}/metrics.json`` exists (written last, atomically). ``--resume`` skips the
  finished folds and continues a started one from its latest checkpoint; ``<work_dir>/kfold.json`` holds the
  settings, and resuming with other settings is refused, as is starting over a work dir that has a run.
"""
from __future__ import annotations

import json
import os
import os.path as osp
import time
import uuid
from dataclasses import asdict, dataclass, field
from typing import Callable

from mmext.datasets.paths import dataset_leaves, leaf_files
from mmext.errors import ConfigError

STATE_FILE = 'kfold.json'
METRICS_FILE = 'metrics.json'


@dataclass
class KFoldPlan:
    """The settings of one K-fold run (what ``kfold.json`` holds).

    Args:
        config: The config file.
        folds: K.
        work_dir: The run's folder; fold k trains in ``<work_dir>/fold_{k}``.
        folds_dir: Where ``train{k}.json`` / ``val{k}.json`` are.
        ann_file: The annotation file the folds split (every image in exactly one ``val{k}``).
        seed: The split's seed (when the folds are made here).
        cfg_options: ``--cfg-options`` applied to every fold.
    """
    config: str
    folds: int
    work_dir: str
    folds_dir: str
    ann_file: str
    seed: int = 0
    cfg_options: dict = field(default_factory=dict)

    def fold_files(self, k: int) -> tuple[str, str]:
        return (osp.abspath(osp.join(self.folds_dir, f'train{k}.json')),
                osp.abspath(osp.join(self.folds_dir, f'val{k}.json')))

    def fold_dir(self, k: int) -> str:
        return osp.join(self.work_dir, f'fold_{k}')


def plan_kfold(config: str, folds: int, work_dir: str | None = None, cfg_options: dict | None = None,
               ann_file: str | None = None, folds_dir: str | None = None, seed: int = 0, resume: bool = False,
               log: Callable[[str], None] = print) -> KFoldPlan:
    """Settle a run's settings, make the fold files when missing, and record the settings in ``kfold.json``.

    Args:
        config: The config file.
        folds: K (at least 2).
        work_dir: Defaults to ``work_dirs/<config name>_kfold``.
        cfg_options: ``--cfg-options`` for every fold.
        ann_file: The file to split. Defaults to the config's training annotation file.
        folds_dir: Where the fold files are, or are written. Defaults to ``<work_dir>/folds``.
        seed: The split's seed.
        resume: Continue the run in ``work_dir`` (its settings must be these).
        log: Where progress lines go.

    Returns:
        The plan.

    Raises:
        ConfigError: Bad K, a work dir holding another run (or this one without ``resume``), fold files that
            are partly there or do not match K.
        DatasetError: The file to split is not COCO, or has fewer images than K.
    """
    from mmext.engine.config.prepare import load_config
    if folds < 2:
        raise ConfigError(f'--folds {folds}: K-fold needs at least 2 folds')
    cfg = load_config(config, cfg_options)
    work_dir = work_dir or osp.join('work_dirs', osp.splitext(osp.basename(config))[0] + '_kfold')
    plan = KFoldPlan(config=config, folds=folds, work_dir=work_dir,
                     folds_dir=folds_dir or osp.join(work_dir, 'folds'),
                     ann_file=ann_file or _training_file(cfg), seed=seed, cfg_options=dict(cfg_options or {}))
    _check_against_state(plan, resume)
    ensure_fold_files(plan, log)
    os.makedirs(work_dir, exist_ok=True)
    _write_json(osp.join(work_dir, STATE_FILE), settings(plan))
    return plan


def settings(plan: KFoldPlan) -> dict:
    """What ``kfold.json`` records and ``--resume`` compares: the work dir itself may move (so the fold folder
    is kept relative to it when inside it)."""
    state = json.loads(json.dumps(asdict(plan)))  # as json holds it: tuples become lists
    del state['work_dir']
    inside = osp.relpath(osp.abspath(plan.folds_dir), osp.abspath(plan.work_dir))
    state['folds_dir'] = inside if not inside.startswith('..') else osp.abspath(plan.folds_dir)
    return state


def _training_file(cfg) -> str:
    leaves = list(dataset_leaves(cfg.train_dataloader.dataset))
    files = [leaf_files(leaf)[0] for leaf in leaves]
    if len(files) != 1 or not files[0]:
        raise ConfigError(f'the training set has {len(files)} annotation files; pass --ann-file with the one '
                          'file to split into folds')
    return files[0]


def _check_against_state(plan: KFoldPlan, resume: bool) -> None:
    path = osp.join(plan.work_dir, STATE_FILE)
    started = sorted(d for d in (os.listdir(plan.work_dir) if osp.isdir(plan.work_dir) else ())
                     if d.startswith('fold_'))
    if not osp.isfile(path):
        if started:
            raise ConfigError(f'{plan.work_dir} holds {", ".join(started)} but no {STATE_FILE}: not a K-fold run '
                              'this tool can continue; use another --work-dir')
        return
    if not resume:
        raise ConfigError(f'{plan.work_dir} already holds a K-fold run ({", ".join(started) or "no fold started"}):'
                          ' pass --resume to continue it, or another --work-dir to start a new one')
    with open(path) as f:
        before = json.load(f)
    now = settings(plan)
    differ = [k for k, v in now.items() if before.get(k) != v]
    if differ:
        what = ', '.join(f'{k}: {before.get(k)!r} then, {now[k]!r} now' for k in differ)
        raise ConfigError(f'--resume: {plan.work_dir} was started with other settings ({what}); resume with the '
                          'same ones, or use another --work-dir')


def ensure_fold_files(plan: KFoldPlan, log: Callable[[str], None] = print) -> None:
    """Use the fold files in ``plan.folds_dir``, or write them (``split_coco.py --kfold``'s split) when none are.

    Raises:
        ConfigError: Some fold files are there and some not, or there are more folds than K.
    """
    from mmext.datasets.loading.annotation_file import read_json
    from mmext.datasets.split import kfold_coco, split_summary
    wanted = [p for k in range(plan.folds) for p in plan.fold_files(k)]
    present = [p for p in wanted if osp.isfile(p)]
    if osp.isfile(osp.join(plan.folds_dir, f'val{plan.folds}.json')):
        raise ConfigError(f'{plan.folds_dir} holds more than {plan.folds} folds (val{plan.folds}.json is there): '
                          'pass the --folds they were made with, or another --folds-dir')
    if len(present) == len(wanted):
        log(f'kfold: using the {plan.folds} folds in {plan.folds_dir}')
        return
    if present:
        missing = [osp.basename(p) for p in wanted if p not in present]
        raise ConfigError(f'{plan.folds_dir} holds some fold files but not {", ".join(missing[:4])}: remake them '
                          f'with python tools/split_coco.py {plan.ann_file} --out-dir {plan.folds_dir} --kfold '
                          f'{plan.folds}, or pass another --folds-dir')
    if not osp.isfile(plan.ann_file):
        raise ConfigError(f'annotation file {plan.ann_file} (to split into {plan.folds} folds) does not exist')
    data, failed = read_json(plan.ann_file)
    if failed:
        raise failed.error_for(failed.problems[0])
    parts = kfold_coco(data, plan.folds, plan.seed, stratify=True, source=plan.ann_file)
    os.makedirs(plan.folds_dir, exist_ok=True)
    for name, content in parts.items():
        _write_json(osp.join(plan.folds_dir, f'{name}.json'), content)
    log(f'kfold: split {plan.ann_file} into {plan.folds} folds in {plan.folds_dir} (seed {plan.seed}):\n'
        + split_summary({n: p for n, p in parts.items() if n.startswith('val')}, data['categories']))


def fold_config(plan: KFoldPlan, k: int):
    """Fold k's config: the plan's config and options, training on ``train{k}``, validating and testing on
    ``val{k}``, in ``<work_dir>/fold_{k}``."""
    from mmext.engine.config.prepare import load_config
    cfg = load_config(plan.config, plan.cfg_options)
    train_file, val_file = plan.fold_files(k)
    for loader, path in (('train_dataloader', train_file), ('val_dataloader', val_file),
                         ('test_dataloader', val_file)):
        if cfg.get(loader):
            for leaf in dataset_leaves(cfg[loader]['dataset']):
                leaf['ann_file'] = path  # absolute: mmengine does not join it to data_root
    for key in ('val_evaluator', 'test_evaluator'):
        evaluator = cfg.get(key)
        metrics = evaluator.get('metrics', evaluator) if isinstance(evaluator, dict) else evaluator
        for metric in metrics if isinstance(metrics, (list, tuple)) else [metrics]:
            if isinstance(metric, dict) and 'ann_file' in metric:
                metric['ann_file'] = path
    cfg.work_dir = plan.fold_dir(k)
    # mmengine keys its logger, message hub and visualizer by name: each fold gets its own
    cfg.experiment_name = f'fold_{k}_{uuid.uuid4().hex[:6]}'
    if isinstance(cfg.get('visualizer'), dict):
        cfg.visualizer.name = f'visualizer_{cfg.experiment_name}'
    return cfg


def fold_metrics(k: int, plan: KFoldPlan) -> dict | None:
    """A finished fold's record (``metrics.json``), or None when the fold has not finished."""
    path = osp.join(plan.fold_dir(k), METRICS_FILE)
    if not osp.isfile(path):
        return None
    with open(path) as f:
        return json.load(f)


def run_fold(plan: KFoldPlan, k: int, log: Callable[[str], None] = print) -> dict:
    """Train fold k (from its latest checkpoint when it has one), evaluate it, and write its ``metrics.json``.

    Returns:
        The fold's record: ``fold``, ``metrics`` (every validation metric), ``seconds``, ``checkpoint``.
    """
    from mmengine.runner import find_latest_checkpoint

    from mmext.engine.commands.train import configure, evaluate_checkpoint, train_and_close
    cfg = fold_config(plan, k)
    folder = plan.fold_dir(k)
    os.makedirs(folder, exist_ok=True)
    latest = find_latest_checkpoint(folder)
    train_file, val_file = plan.fold_files(k)
    log(f'kfold: fold {k} ({k + 1} of {plan.folds}): training on {train_file}, validating on {val_file}'
        + (f' (resuming from {latest})' if latest else ''))
    cfg.dump(osp.join(folder, 'config.py'))  # before the resume flags: tools/train.py on it retrains the fold
    configure(cfg, plan.config, work_dir=folder, resume='auto' if latest else None)
    start = time.time()
    result = train_and_close(cfg)
    metrics = {k_: v for k_, v in result.metrics.items() if '/' in k_ and isinstance(v, (int, float))}
    if not metrics and result.checkpoint:  # resumed at its last epoch: nothing was left to train or validate
        metrics = evaluate_checkpoint(fold_config(plan, k), result.checkpoint)
    if not metrics:
        raise ConfigError(f'fold {k}: the training gave no validation metrics; check val_dataloader, '
                          f'val_evaluator and train_cfg.val_interval (log in {folder})')
    record = dict(fold=k, metrics={n: float(v) for n, v in metrics.items()}, seconds=round(time.time() - start, 1),
                  checkpoint=result.checkpoint, train_file=train_file, val_file=val_file)
    _write_json(osp.join(folder, METRICS_FILE), record)
    return record


def run_kfold(plan: KFoldPlan, log: Callable[[str], None] = print) -> list[dict]:
    """Every fold in turn: a finished one is read back, any other trained (resumed from its checkpoint).

    Returns:
        One record per fold (see :func:`run_fold`), with ``resumed_as_done`` True for folds not trained again.
    """
    records = []
    for k in range(plan.folds):
        done = fold_metrics(k, plan)
        if done is not None:
            log(f'kfold: fold {k} ({k + 1} of {plan.folds}): finished before '
                f'({osp.join(plan.fold_dir(k), METRICS_FILE)}), not trained again')
            records.append(dict(done, resumed_as_done=True))
            continue
        record = run_fold(plan, k, log)
        name, value = next(((n, v) for n, v in record['metrics'].items() if n.endswith('_mAP')),
                           next(iter(record['metrics'].items())))
        log(f'kfold: fold {k} ({k + 1} of {plan.folds}): {name} {value:.3f} after {record["seconds"]:.0f}s')
        records.append(dict(record, resumed_as_done=False))
    return records


def _write_json(path: str, content) -> None:
    tmp = f'{path}.tmp{os.getpid()}'
    with open(tmp, 'w') as f:
        json.dump(content, f, indent=1)
    os.replace(tmp, path)  # a crash never leaves a half-written file that would count as finished
