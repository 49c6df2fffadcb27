"""``tools/sweep.py`` as a function: open (or continue) the study, run N trials, report."""
from __future__ import annotations

import logging
import os
import os.path as osp
from dataclasses import dataclass

from mmext.sweep.report import format_report, write_plots, write_summary
from mmext.sweep.slots import SlotPool, plan_slots, visible_gpus
from mmext.sweep.space import check_keys, grid_space, load_space
from mmext.errors import SweepError
from mmext.sweep.study import (check_concurrent_storage, create_or_load_study, default_storage, make_pruner,
                               make_sampler)
from mmext.sweep.trial import SweepSettings, run_trial


def print_trial_end(study, trial) -> None:
    """One line when a trial that ran in its own process ends (its training log is in its work dir)."""
    seconds = trial.user_attrs.get('seconds')
    attrs = trial.user_attrs
    how = {'COMPLETE': f'complete, value {trial.value}', 'PRUNED': f"pruned at step {attrs.get('pruned_at')}",
           'FAIL': f"failed: {attrs.get('fail_reason')}"}.get(trial.state.name, trial.state.name.lower())
    print(f"mmext: trial #{trial.number} {how} ({seconds} s)", flush=True)


@dataclass
class SweepResult:
    """What a sweep invocation ends with."""
    study: object  # optuna.Study
    summary: dict | None
    plots: list[str]
    skipped_plots: dict[str, str]
    report: str


def run_sweep(config: str, space: str, trials: int, study_name: str, *, storage: str | None = None,
              work_dir: str | None = None, gpus_per_trial: int = 1, parallel: int | None = None,
              metric: str = 'coco/bbox_mAP', direction: str = 'maximize', sampler: str = 'tpe',
              pruner: str | dict = 'median', seed: int | None = None, cfg_options: dict | None = None,
              gpus: list[str] | None = None) -> SweepResult:
    """Run ``trials`` more trials of the study ``study_name`` and report on the whole study.

    Args:
        config: The config file every trial starts from.
        space: The search-space YAML file (see :mod:`mmext.sweep.space`).
        trials: How many trials this invocation runs (a second invocation adds as many again).
        study_name: The study; an existing one is continued.
        storage: A database URL; defaults to ``sqlite:///<work_dir>/study.db``.
        work_dir: The sweep folder (trials, plots, summary). Defaults to ``work_dirs/sweeps/<study_name>``.
        gpus_per_trial: Processes (GPUs) per trial (torchrun in a subprocess above 1). With N GPUs visible,
            N // K trials run at once, each on its own GPUs (see :func:`mmext.sweep.slots.plan_slots`).
        parallel: Trials at once: on the CPU (default 1); with GPUs at most N // K (default N // K).
        metric: The validation metric to optimise.
        direction: ``'maximize'`` or ``'minimize'``.
        sampler: ``'tpe'``, ``'random'`` or ``'grid'``.
        pruner: ``'median'``, ``'none'`` or ``dict(type='<optuna pruner>', ...)``.
        seed: The sampler's seed.
        cfg_options: Fixed ``--cfg-options`` for every trial.
        gpus: The GPUs to share out; defaults to the visible ones (``CUDA_VISIBLE_DEVICES``, or all).

    Returns:
        The study, the best-trial summary, the plots and the printed report.

    Raises:
        MmextError: A bad space, config, storage or option, or trials at once that the machine or the storage
            cannot hold (before any trial runs).
    """
    import optuna
    from mmext.engine.config.prepare import load_config
    if trials < 1:
        raise SweepError(f'--trials must be >= 1, got {trials}')
    pool = SlotPool(plan_slots(gpus_per_trial, parallel, visible_gpus() if gpus is None else gpus,
                               os.cpu_count() or 1))
    params = load_space(space)
    check_keys(params, load_config(config, cfg_options))
    work_dir = work_dir or osp.join('work_dirs', 'sweeps', study_name)
    os.makedirs(work_dir, exist_ok=True)
    storage = storage or default_storage(work_dir)
    check_concurrent_storage(storage, len(pool.slots), pool.in_process)
    study = create_or_load_study(study_name, storage, direction,
                                 make_sampler(sampler, grid_space(params) if sampler == 'grid' else None, seed),
                                 make_pruner(pruner))
    settings = SweepSettings(config=config, params=params, work_dir=work_dir, storage=storage,
                             study_name=study_name, metric=metric, direction=direction,
                             cfg_options=dict(cfg_options or {}), pruner=pruner)
    optuna.logging.set_verbosity(logging.WARNING)
    if not pool.in_process:
        print(f"mmext: {len(pool.slots)} trial(s) at once: {', '.join(s.describe() for s in pool.slots)}",
              flush=True)
    # catch: a failed trial is recorded as failed (with its reason) and the next one starts. One thread per slot:
    # each waits on its trial's process, and Optuna's storage is shared by the threads.
    study.optimize(lambda trial: run_trial(trial, settings, pool), n_trials=trials, n_jobs=len(pool.slots),
                   catch=(Exception,), callbacks=[] if pool.in_process else [print_trial_end])
    summary = write_summary(study, metric, work_dir)
    plots, skipped = write_plots(study, metric, work_dir)
    return SweepResult(study, summary, plots, skipped, format_report(study, summary, plots, skipped))
