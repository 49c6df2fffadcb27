"""Where a study lives and how it chooses: storage, sampler and pruner.

The default storage is a SQLite file in the sweep's work dir; any SQLAlchemy URL (``postgresql://user@host/db``)
lets several ``tools/sweep.py`` processes, on any number of machines, share one study, and ``journal:///path``
is Optuna's journal file (many processes on one machine, or on a network file system). The same study name with
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
JOURNAL = 'journal://'
# SQLite takes one writer at a time; each trial writes a few rows per validation, and waits up to 60 s for the
# lock (see open_storage). Past this many trials at once, Optuna's advice (no SQLite for parallel optimization)
# becomes the rule.
MAX_SQLITE_TRIALS_AT_ONCE = 8
# File systems whose fcntl() locks SQLite cannot rely on (SQLite's FAQ, question 5).
NETWORK_FILE_SYSTEMS = ('nfs', 'nfs4', 'cifs', 'smb3', 'smbfs', 'lustre', 'gpfs', 'beegfs', 'glusterfs', 'ceph',
                        'fuse.sshfs', 'fuse.glusterfs', 'fuse.ceph', '9p')
ALTERNATIVES = ('a journal file (--storage journal:///path/to/study.log) or a PostgreSQL/MySQL URL '
                '(--storage postgresql://user@host/db)')


def default_storage(work_dir: str) -> str:
    """``sqlite:///<work_dir>/study.db`` (the folder is created)."""
    os.makedirs(work_dir, exist_ok=True)
    return f'sqlite:///{osp.abspath(osp.join(work_dir, STUDY_DB))}'


def open_storage(url: str):
    """An Optuna storage for ``url``: ``journal:///path`` is a journal file, anything else a database (SQLAlchemy
    URL); SQLite waits for the file lock instead of failing at once.

    Several processes writing one SQLite file take turns on its lock; SQLite's default 5 s wait is too short
    when a trial's report and another process's new trial collide, and schema creation by two processes
    starting together can race, so opening is retried a few times.

    Raises:
        SweepError: The storage cannot be opened.
    """
    import optuna
    if url.startswith(JOURNAL):
        from optuna.storages.journal import JournalFileBackend
        path = url[len(JOURNAL):]
        try:
            os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
            return optuna.storages.JournalStorage(JournalFileBackend(path))
        except OSError as err:
            raise SweepError(f'storage {url} cannot be opened: {err}') from None
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


def check_concurrent_storage(url: str, trials_at_once: int, in_process: bool) -> None:
    """Refuse a storage that the trials running at once (each in its own process) cannot share.

    Args:
        url: The storage URL.
        trials_at_once: How many trials run at the same time.
        in_process: Whether the trials train inside the sweep's process (otherwise each is a process of its own).

    Raises:
        SweepError: An in-memory SQLite database with trials in their own processes (each would see an empty one),
            SQLite on a network file system, or more than :data:`MAX_SQLITE_TRIALS_AT_ONCE` trials at once on
            SQLite.
    """
    if not url.startswith('sqlite'):
        return
    path = url.split(':///', 1)[1].split('?', 1)[0] if ':///' in url else ''
    if (not path or path.startswith(':memory:') or 'mode=memory' in url) and not in_process:
        raise SweepError(f'storage {url} is an in-memory database, which only this process sees; the trials run '
                         'in their own processes: leave --storage out (a SQLite file in the work dir) or give a file')
    if trials_at_once < 2:
        return
    fs = filesystem_type(path)
    if fs in NETWORK_FILE_SYSTEMS:
        raise SweepError(f'storage {url}: the SQLite file is on a {fs} file system, whose file locks SQLite cannot '
                         f'rely on, and {trials_at_once} trials would write it at once; use {ALTERNATIVES}')
    if trials_at_once > MAX_SQLITE_TRIALS_AT_ONCE:
        raise SweepError(f'{trials_at_once} trials at once on SQLite ({url}): SQLite takes one writer at a time '
                         f'and Optuna advises against it for parallel optimization (mmext allows up to '
                         f'{MAX_SQLITE_TRIALS_AT_ONCE}); use {ALTERNATIVES}')


def filesystem_type(path: str, mounts: str = '/proc/mounts') -> str | None:
    """The type of the file system holding ``path`` (the longest mount point above it), or None if unknown."""
    try:
        with open(mounts) as f:
            table = [line.split()[1:3] for line in f if len(line.split()) >= 3]
    except OSError:
        return None
    target = osp.realpath(osp.dirname(osp.abspath(path)) if not osp.isdir(path) else path)
    best, kind = '', None
    for point, fs in table:
        point = point.replace('\\040', ' ')
        if (target == point or target.startswith(point.rstrip('/') + '/')) and len(point) >= len(best):
            best, kind = point, fs
    return kind


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
