"""The search space of a sweep: a small YAML file mapping config keys to distributions.

One line per hyperparameter, keys dotted as in ``--cfg-options``::

    optim_wrapper.optimizer.lr: {type: float, low: 0.0005, high: 0.01, log: true}
    train_dataloader.batch_size: {type: categorical, choices: [2, 4]}
    train_cfg.max_epochs: {type: int, low: 2, high: 8, step: 2}

A key the config does not have is an error that names the closest existing keys, so a typo never starts a sweep
that tunes nothing.
"""
from __future__ import annotations

import difflib
import os.path as osp
from dataclasses import dataclass
from typing import Any, Iterator

from mmext.errors import SpaceError

_FIELDS = {'float': {'low', 'high', 'log', 'step'}, 'int': {'low', 'high', 'log', 'step'},
           'categorical': {'choices'}}


@dataclass(frozen=True)
class Param:
    """One hyperparameter: a dotted config key and its distribution."""
    key: str
    type: str  # 'float', 'int' or 'categorical'
    low: float | None = None
    high: float | None = None
    log: bool = False
    step: float | None = None
    choices: tuple = ()

    def suggest(self, trial) -> Any:
        """Draw this parameter's value for an Optuna trial."""
        if self.type == 'categorical':
            return trial.suggest_categorical(self.key, list(self.choices))
        if self.type == 'int':
            return trial.suggest_int(self.key, int(self.low), int(self.high), step=int(self.step or 1), log=self.log)
        return trial.suggest_float(self.key, self.low, self.high, step=self.step, log=self.log)

    def grid_values(self) -> list:
        """Every value of this parameter for the grid sampler.

        Raises:
            SpaceError: A float range without ``step`` (a grid needs a finite set of values).
        """
        if self.type == 'categorical':
            return list(self.choices)
        if self.type == 'int':
            return list(range(int(self.low), int(self.high) + 1, int(self.step or 1)))
        if self.step is None:
            raise SpaceError(f"{self.key}: the grid sampler needs a finite set of values; give this float range a "
                             "'step' or make it {type: categorical, choices: [...]}")
        count = int(round((self.high - self.low) / self.step)) + 1
        return [round(self.low + i * self.step, 12) for i in range(count)]


def load_space(path: str) -> list[Param]:
    """Read and check a search-space YAML file.

    Args:
        path: The YAML file.

    Returns:
        The parameters, in file order.

    Raises:
        SpaceError: The file is missing, not a mapping, or a distribution is malformed.
    """
    import yaml
    if not osp.isfile(path):
        raise SpaceError(f'search space file {path} does not exist')
    try:
        with open(path) as f:
            raw = yaml.safe_load(f)
    except yaml.YAMLError as err:
        raise SpaceError(f'search space file {path} is not valid YAML: {" ".join(str(err).split())}') from None
    if not isinstance(raw, dict) or not raw:
        raise SpaceError(f'search space file {path} must map config keys to distributions, e.g. '
                         '"optim_wrapper.optimizer.lr: {type: float, low: 0.001, high: 0.02, log: true}"')
    return [parse_param(str(key), spec, path) for key, spec in raw.items()]


def parse_param(key: str, spec: Any, where: str = 'search space') -> Param:
    """Check one ``key: {type: ..., ...}`` entry and turn it into a :class:`Param`.

    Raises:
        SpaceError: Unknown type or field, missing bounds, low > high, non-positive bounds with ``log``.
    """
    if not isinstance(spec, dict) or 'type' not in spec:
        raise SpaceError(f'{where}: {key}: expected a mapping with a type, e.g. {{type: float, low: 0.001, '
                         f'high: 0.02}}, got {spec!r}')
    kind = spec['type']
    if kind not in _FIELDS:
        raise SpaceError(f"{where}: {key}: type '{kind}' is not one of {', '.join(_FIELDS)}")
    unknown = set(spec) - _FIELDS[kind] - {'type'}
    if unknown:
        raise SpaceError(f"{where}: {key}: unknown field(s) {', '.join(sorted(unknown))} for type {kind}; "
                         f"allowed: {', '.join(sorted(_FIELDS[kind]))}")
    if kind == 'categorical':
        choices = spec.get('choices')
        if not isinstance(choices, list) or not choices:
            raise SpaceError(f'{where}: {key}: categorical needs a non-empty list, e.g. choices: [1, 2]')
        return Param(key, kind, choices=tuple(choices))
    if 'low' not in spec or 'high' not in spec:
        raise SpaceError(f'{where}: {key}: type {kind} needs both low and high')
    low, high = spec['low'], spec['high']
    number = int if kind == 'int' else (int, float)
    if not all(isinstance(v, number) and not isinstance(v, bool) for v in (low, high)):
        raise SpaceError(f'{where}: {key}: low and high must be {"integers" if kind == "int" else "numbers"}, '
                         f'got low={low!r}, high={high!r}')
    if low > high:
        raise SpaceError(f'{where}: {key}: low ({low}) is greater than high ({high})')
    log = bool(spec.get('log', False))
    if log and low <= 0:
        raise SpaceError(f'{where}: {key}: log: true needs low > 0, got low={low}')
    step = spec.get('step')
    if step is not None and log:
        raise SpaceError(f'{where}: {key}: step and log: true cannot be combined (Optuna refuses it)')
    return Param(key, kind, low=float(low) if kind == 'float' else low,
                 high=float(high) if kind == 'float' else high, log=log, step=step)


def config_keys(cfg: Any, prefix: str = '') -> Iterator[str]:
    """Every dotted key of a config, list items by index (``param_scheduler.1.T_max``), as ``--cfg-options``
    addresses them."""
    items = cfg.items() if isinstance(cfg, dict) else enumerate(cfg) if isinstance(cfg, (list, tuple)) else ()
    for name, value in items:
        key = f'{prefix}{name}'
        yield key
        yield from config_keys(value, key + '.')


def check_keys(params: list[Param], cfg: Any) -> None:
    """Make sure every parameter names a key the config has.

    Args:
        params: The search space.
        cfg: The loaded config (after ``--cfg-options``).

    Raises:
        SpaceError: A key does not exist; the message lists the closest existing keys.
    """
    known = list(config_keys(cfg._cfg_dict.to_dict() if hasattr(cfg, '_cfg_dict') else cfg))
    for param in params:
        if param.key in known:
            continue
        near = difflib.get_close_matches(param.key, known, n=3, cutoff=0.6)
        if not near:  # the same last part under another parent, e.g. 'optimizer.lr' for 'optim_wrapper.lr'
            leaf = param.key.rsplit('.', 1)[-1]
            near = [k for k in known if k.rsplit('.', 1)[-1] == leaf][:3]
        hint = f' Closest existing keys: {", ".join(near)}.' if near else ''
        raise SpaceError(f"search space key '{param.key}' is not in the config.{hint} Keys are dotted as in "
                         '--cfg-options (list items by index, e.g. param_scheduler.1.T_max); '
                         'tools/print_config.py CONFIG shows them all.')


def grid_space(params: list[Param]) -> dict[str, list]:
    """The search space as Optuna's GridSampler wants it: every value of every parameter."""
    return {p.key: p.grid_values() for p in params}
