"""Where a study lives and how it chooses: storage, sampler and pruner.

The default storage is a SQLite file in the sweep's work dir; any SQLAlchemy URL (``postgresql://user@host/db``)
lets several ``tools/sweep.py`` processes, on any number of machines, share one study. The same study name with
the same storage continues the study instead of starting over.
"""
from __future__ import annotations

import os
import os.path as osp
import time

from mmext.errors import SweepError

SAMPLERS = ('tpe', 'random', 'grid')
PRUNERS = ('median', 'none')
STUDY_DB = 'study.db'


def default_storage(work_dir: str) -> str:
    """``sqlite:///<work_dir>/study.db`` (the folder is created)."""
    os.makedirs(work_dir, exist_ok=True)
    return f'sqlite:///{osp.abspath(osp.join(work_dir, STUDY_DB))}'


def open_storage(url: str):
    """An Optuna RDB storage for ``url``; SQLite waits for the file lock instead of failing at once.

    Several processes writing one SQLite file take turns on its lock; SQLite's default 5 s wait is too short
    when a trial's report and another process's new trial collide, and schema creation by two processes
    starting together can race, so opening is retried a few times.

    Raises:
        SweepError: The storage cannot be opened.
    """
    import optuna
    from sqlalchemy.exc import IntegrityError, OperationalError
    kwargs = {'connect_args': {'timeout': 60}} if url.startswith('sqlite') else {}
    for attempt in range(5):
        try:
            return optuna.storages.RDBStorage(url, engine_kwargs=kwargs)
        except (OperationalError, IntegrityError) as err:  # locked file; schema created by both at once
            last = err
            time.sleep(0.5 * (attempt + 1))
        except (ImportError, ValueError, optuna.exceptions.StorageInternalError) as err:
            raise SweepError(f'storage {url} cannot be opened: {err}') from None
    raise SweepError(f'storage {url} cannot be opened: {" ".join(str(last).split())[:300]}')


def make_sampler(name: str, grid: dict | None = None, seed: int | None = None):
    """The sampler: ``tpe`` (Bayesian, the default), ``random`` or ``grid`` (over ``grid``).

    Raises:
        SweepError: An unknown name.
    """
    import optuna
    if name == 'tpe':
        # constant_liar: workers running at the same time do not all sample the same promising point
        return optuna.samplers.TPESampler(seed=seed, constant_liar=True)
    if name == 'random':
        return optuna.samplers.RandomSampler(seed=seed)
    if name == 'grid':
        return optuna.samplers.GridSampler(grid or {}, seed=seed)
    raise SweepError(f"sampler '{name}' is not one of {', '.join(SAMPLERS)}")


def make_pruner(name: str | dict):
    """The pruner from its spec: ``'median'`` (Optuna's MedianPruner with its defaults), ``'none'``, or a dict
    naming any of Optuna's pruners with its arguments, e.g. ``dict(type='ThresholdPruner', lower=0.1)``.

    A spec, not a pruner object, because the pruner works where the metric is reported: inside the training
    (see :class:`~mmext.sweep.trial_hook.OptunaTrialHook`), possibly another process; Optuna does not store it with the study.

    Raises:
        SweepError: An unknown name or pruner type, or arguments the pruner refuses.
    """
    import optuna
    if isinstance(name, dict):
        kwargs = dict(name)
        kind = kwargs.pop('type', None)
        pruner_class = getattr(optuna.pruners, str(kind), None)
        if not isinstance(pruner_class, type) or not issubclass(pruner_class, optuna.pruners.BasePruner):
            raise SweepError(f"pruner type '{kind}' is not one of Optuna's pruners (optuna.pruners.*)")
        try:
            return pruner_class(**kwargs)
        except (TypeError, ValueError) as err:
            raise SweepError(f'pruner {name}: {err}') from None
    if name == 'median':
        return optuna.pruners.MedianPruner()
    if name == 'none':
        return optuna.pruners.NopPruner()
    raise SweepError(f"pruner '{name}' is not one of {', '.join(PRUNERS)}")


def create_or_load_study(name: str, storage_url: str, direction: str, sampler, pruner):
    """Create the study, or load it when it exists (a second invocation continues it).

    Raises:
        SweepError: ``direction`` is not maximize/minimize, or differs from the existing study's.
    """
    import optuna
    if direction not in ('maximize', 'minimize'):
        raise SweepError(f"direction '{direction}' is not one of maximize, minimize")
    storage = open_storage(storage_url)
    study = optuna.create_study(study_name=name, storage=storage, direction=direction, sampler=sampler,
                                pruner=pruner, load_if_exists=True)
    existing = study.direction.name.lower()
    if existing != direction:
        raise SweepError(f"study '{name}' in {storage_url} was created to {existing}; it cannot be continued "
                         f'with --direction {direction} (use another --study name)')
    return study
