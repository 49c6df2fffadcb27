"""One sweep trial: a real training through the same path as ``tools/train.py``, in its own work dir.

Design (why it looks like this):

* Each trial's config is the sweep's config with the sampled values applied as ``--cfg-options``, plus what the
  sweep needs: the work dir ``<sweep>/trial_<number>``, the best checkpoint kept by the objective metric, and
  :class:`~mmext.sweep.trial_hook.OptunaTrialHook`, which reports the per-epoch metric to the study and stops a pruned trial.
  The config is written to ``<trial>/config.py`` so a trial can be re-run by hand.
* One process per trial trains in the sweep's own process (``configure`` + ``train``, no interpreter start-up per
  trial). mmengine keys its global objects (logger, message hub, visualizer, default scope) by name, so every trial
  gets its own ``experiment_name`` and visualizer name, and its logger and visualizer are closed afterwards.
* Trials that run at the same time (``--parallel``, or several GPU slices), or need more than one process, run
  ``tools/train.py <trial>/config.py`` as a subprocess in their slot (see :mod:`mmext.sweep.slots`): its GPUs
  by ``CUDA_VISIBLE_DEVICES`` (or its share of the cores), ``--gpus K`` / ``--nproc K`` with its own
  ``--master-port`` above one process.
* Either way the hook reaches the trial through the study's storage (URL, study name, trial id), and the metric
  history is read back from what mmengine wrote (``<trial>/<timestamp>/vis_data/scalars.json``), so both paths
  give the same records.
"""
from __future__ import annotations

import glob
import json
import math
import os
import os.path as osp
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

from mmext.errors import TrialFailure
from mmext.sweep.trial_hook import PRUNED_FILE
from mmext.sweep.slots import Slot, SlotPool
from mmext.sweep.space import Param

# Trials that run at once are prepared one at a time: mmengine's config loading reads package metadata through
# pkg_resources, which is not thread-safe (two threads loading configs together failed with "Expected str,
# Requirement, or Distribution").
_PREPARING = threading.Lock()
TRAIN_TOOL = osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'tools', 'train.py')


@dataclass
class SweepSettings:
    """What every trial of one sweep shares.

    Args:
        config: The config file.
        params: The search space.
        work_dir: The sweep folder; trials go to ``<work_dir>/trial_<number>``.
        storage: The study's storage URL.
        study_name: The study.
        metric: The objective, a validation metric name.
        direction: ``'maximize'`` or ``'minimize'``.
        cfg_options: Fixed ``--cfg-options`` applied before the sampled values.
        pruner: The pruner spec, given to the trial hook (see :func:`mmext.sweep.study.make_pruner`).
    """
    config: str
    params: list[Param]
    work_dir: str
    storage: str
    study_name: str
    metric: str = 'coco/bbox_mAP'
    direction: str = 'maximize'
    cfg_options: dict = field(default_factory=dict)
    pruner: str | dict = 'median'


def trial_config(settings: SweepSettings, values: dict, trial_number: int, trial_id: int):
    """Build a trial's config: the sweep's config, the sampled ``values``, and the sweep's additions."""
    from mmext.engine.config.prepare import load_config
    cfg = load_config(settings.config, {**settings.cfg_options, **values})
    name = f'{settings.study_name}_trial_{trial_number}'
    cfg.work_dir = trial_dir(settings, trial_number)
    cfg.experiment_name = name  # mmengine appends a timestamp; unique logger / message hub / scope per trial
    if isinstance(cfg.get('visualizer'), dict):
        cfg.visualizer.name = f'visualizer_{name}'
        _name_tracking_runs(cfg.visualizer.get('vis_backends') or [], settings.study_name, name)
    checkpoint = cfg.get('default_hooks', {}).get('checkpoint')
    if isinstance(checkpoint, dict):
        checkpoint['save_best'] = settings.metric
        checkpoint['rule'] = 'greater' if settings.direction == 'maximize' else 'less'
    hooks = list(cfg.get('custom_hooks') or [])
    hooks.append(dict(type='OptunaTrialHook', storage=settings.storage, study_name=settings.study_name,
                      trial_id=trial_id, metric=settings.metric, pruner=settings.pruner))
    cfg.custom_hooks = hooks
    return cfg


def trial_dir(settings: SweepSettings, trial_number: int) -> str:
    return osp.join(settings.work_dir, f'trial_{trial_number}')


def _name_tracking_runs(backends: list, study: str, run: str) -> None:
    """Group a study's runs in the trackers: MLflow experiment = study, W&B group = study; run = trial.

    The study's name replaces the runtime's experiment name (``'mmext'`` in ``_base_/runtimes/mlflow.py``).
    """
    for backend in backends:
        if backend.get('type') == 'MLflowVisBackend':
            backend['exp_name'] = study
            backend['run_name'] = run
        elif backend.get('type') == 'WandbVisBackend':
            init = dict(backend.get('init_kwargs') or {})
            init.setdefault('group', study)
            init['name'] = run
            backend['init_kwargs'] = init


def run_in_process(cfg, config_path: str) -> None:
    """Train one trial in this process, then close what mmengine keeps open under the trial's names."""
    from mmext.engine.commands.train import configure, train
    configure(cfg, config_path, work_dir=cfg.work_dir)
    finished = False
    try:
        train(cfg)
        finished = True
    finally:
        # a finished run's visualizer was closed by LoggerHook.after_run; closing it again would open an empty
        # MLflow run (mmengine's close logs artifacts, and MLflow starts a run for them)
        _close_trial_instances(cfg.experiment_name, None if finished else cfg.get('visualizer', {}).get('name'))


def _close_trial_instances(experiment_name: str, visualizer_name: str | None) -> None:
    from mmengine.logging import MMLogger
    from mmengine.visualization import Visualizer
    if visualizer_name and Visualizer.check_instance_created(visualizer_name):
        Visualizer.get_instance(visualizer_name).close()  # a failed run never reached LoggerHook.after_run
    for name, logger in list(MMLogger._instance_dict.items()):
        if name.startswith(experiment_name):
            for handler in list(logger.handlers):
                if hasattr(handler, 'baseFilename'):  # the trial's log file; the console handler stays
                    handler.close()
                    logger.removeHandler(handler)


def run_subprocess(cfg, slot: Slot, port: int) -> None:
    """Train one trial with ``tools/train.py`` in ``slot``: its GPUs (or share of the cores), and above one process
    ``--gpus K`` (``--nproc K`` on the CPU) under torchrun at ``port``.

    Raises:
        TrialFailure: The training exited non-zero; the message holds its last error line.
    """
    config_file = osp.join(cfg.work_dir, 'config.py')
    cmd = [sys.executable, TRAIN_TOOL, config_file, '--work-dir', cfg.work_dir]
    if slot.processes > 1:
        cmd += ['--gpus' if slot.devices is not None else '--nproc', str(slot.processes), '--master-port', str(port)]
    log_path = osp.join(cfg.work_dir, 'train_stdout.log')
    env = dict(os.environ, **slot.env())
    if slot.devices is None:
        env.pop('CUDA_VISIBLE_DEVICES', None)
    with open(log_path, 'w') as log:
        code = subprocess.call(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
    if code != 0:
        raise TrialFailure(f'{" ".join(cmd[1:])} exited with {code}: {_last_error(log_path)} (log: {log_path})')


def _last_error(log_path: str) -> str:
    with open(log_path, errors='replace') as f:
        lines = [line.strip() for line in f if line.strip()]
    for line in reversed(lines):
        if line.startswith('error:') or 'Error' in line.split(':', 1)[0]:
            return line
    return lines[-1] if lines else 'no output'


def metric_history(work_dir: str, metric: str) -> list[tuple[int, float]]:
    """``[(step, value), ...]`` of ``metric`` from every ``<work_dir>/<timestamp>/vis_data/scalars.json``."""
    history = []
    for path in sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))):
        with open(path) as f:
            for line in f:
                record = json.loads(line)
                if metric in record:
                    history.append((int(record.get('step', len(history) + 1)), float(record[metric])))
    return history


def best_checkpoint(work_dir: str) -> str | None:
    """The checkpoint that CheckpointHook kept as best (``best_<metric>_epoch_N.pth``), if any."""
    found = sorted(glob.glob(osp.join(work_dir, 'best_*.pth')), key=osp.getmtime)
    return osp.abspath(found[-1]) if found else None


def run_trial(trial, settings: SweepSettings, pool: SlotPool) -> float:
    """The Optuna objective: sample, train in a free slot of ``pool``, and return the best value of the metric
    over the validations. Called from several threads at once when the pool has several slots.

    The trial's user attributes record its work dir, host, seconds, metric history and best checkpoint; a failed
    trial records ``fail_reason`` before the error reaches Optuna (which marks it failed), a pruned trial
    ``pruned_at``.

    Raises:
        optuna.TrialPruned: The pruner stopped the trial.
        TrialFailure: No finite value of the metric came out of the training.
    """
    import optuna
    values = {param.key: param.suggest(trial) for param in settings.params}
    start = time.time()
    folder = trial_dir(settings, trial.number)
    trial.set_user_attr('work_dir', osp.abspath(folder))
    trial.set_user_attr('host', socket.gethostname())
    try:
        with _PREPARING:
            cfg = trial_config(settings, values, trial.number, trial._trial_id)
            os.makedirs(folder, exist_ok=True)
            cfg.dump(osp.join(folder, 'config.py'))
        with pool.take() as (slot, port):
            if pool.in_process:
                run_in_process(cfg, settings.config)
            else:
                trial.set_user_attr('slot', slot.describe())
                print(f'mmext: trial #{trial.number} started on {slot.describe()} '
                      f"(log: {osp.join(folder, 'train_stdout.log')})", flush=True)
                run_subprocess(cfg, slot, port)
        history = metric_history(folder, settings.metric)
        trial.set_user_attr('history', history)
        trial.set_user_attr('seconds', round(time.time() - start, 1))
        if osp.isfile(osp.join(folder, PRUNED_FILE)):
            with open(osp.join(folder, PRUNED_FILE)) as f:
                trial.set_user_attr('pruned_at', json.load(f)['step'])
            raise optuna.TrialPruned(f'pruned after step {trial.user_attrs["pruned_at"]}')
        finite = [v for _, v in history if math.isfinite(v)]
        if not finite:
            raise TrialFailure(f"the validation gave no finite '{settings.metric}' (got {history or 'none'}); "
                               'check --metric and the training log')
        trial.set_user_attr('best_checkpoint', best_checkpoint(folder))
        return max(finite) if settings.direction == 'maximize' else min(finite)
    except optuna.TrialPruned:
        raise
    except Exception as err:
        reason = ' '.join(f'{type(err).__name__}: {err}'.split())[:1000]
        trial.set_user_attr('fail_reason', reason)
        trial.set_user_attr('seconds', round(time.time() - start, 1))
        raise
