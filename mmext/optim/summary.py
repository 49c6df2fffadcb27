"""One table of an optimizer's parameter groups: which parameters, how many, lr, weight decay, multipliers.

Answers "did my backbone lr multiplier apply?" from the optimizer that training really uses, whatever built it
(mmengine's default constructor with ``custom_keys``, mmdet's, or mmext's). Optimizers built with param-wise
options hold one group per parameter; groups with the same settings are merged into one row, and the row's
parameters are named by exact patterns: the shortest covering module prefixes (``backbone.layer3.*``), with
block and layer numbers turned into ``*`` where that still names exactly the row's parameters.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

import torch
import torch.nn as nn


@dataclass
class Row:
    """One row of the summary: parameter groups with identical settings."""
    lr: float
    weight_decay: float
    tags: tuple
    names: list[str] = field(default_factory=list)
    elements: int = 0


def _cover(names: list[str], all_names: list[str]) -> list[str]:
    """Exact name patterns for ``names``: the shortest covering prefixes (``a.b.*``), then globs over indices.

    A pattern is only ever shown if the parameters it matches are exactly some of ``names``: ``backbone.layer2.*``
    means all of stage 2, and ``backbone.layer3.*.bn*.weight`` every BatchNorm weight of stage 3 and nothing else.
    """
    wanted = set(names)
    under: dict[str, list[str]] = defaultdict(list)
    for name in all_names:
        parts = name.split('.')
        for depth in range(1, len(parts)):
            under['.'.join(parts[:depth])].append(name)
    patterns: list[str] = []
    seen: dict[str, str] = {}
    for name in names:
        parts = name.split('.')
        pattern = name
        for depth in range(1, len(parts)):
            prefix = '.'.join(parts[:depth])
            if all(n in wanted for n in under[prefix]):
                pattern = prefix + '.*' if len(under[prefix]) > 1 else name
                break
        if pattern not in seen:  # each prefix once: globbing scans every parameter name
            seen[pattern] = _widest_exact_glob(pattern, wanted, all_names)
        if seen[pattern] not in patterns:
            patterns.append(seen[pattern])
    return patterns


def _widest_exact_glob(pattern: str, wanted: set[str], all_names: list[str]) -> str:
    """Replace the pattern's numbers by ``*`` from the right while that adds parameters, all of them wanted."""
    pieces = re.split(r'(\d+)', pattern)  # odd positions are the numbers
    numbers = list(range(1, len(pieces), 2))
    best, covered = pattern, sum(1 for n in all_names if fnmatchcase(n, pattern))
    for keep in range(len(numbers) - 1, -1, -1):  # how many leading numbers stay literal
        trial = ''.join('*' if i in numbers[keep:] else piece for i, piece in enumerate(pieces))
        matched = [n for n in all_names if fnmatchcase(n, trial)]
        if not all(n in wanted for n in matched):
            break
        if len(matched) > covered:
            best, covered = trial, len(matched)
    return best


def summarize_param_groups(model: nn.Module, optimizer: torch.optim.Optimizer) -> tuple[list[Row], list[str]]:
    """Merge the optimizer's parameter groups into rows of identical settings.

    Args:
        model: The model the optimizer trains (a DDP wrapper is looked through).
        optimizer: The optimizer (an mmengine ``OptimWrapper`` is looked through).

    Returns:
        ``(rows, overlaps)``: rows in model order; overlaps are lines saying which rule also matched parameters
        that an earlier rule took (from :class:`~mmext.optim.RuleBasedOptimWrapperConstructor`).
    """
    model = getattr(model, 'module', model)
    optimizer = getattr(optimizer, 'optimizer', optimizer)
    all_names = [n for n, _ in model.named_parameters()]
    name_of = {id(p): n for n, p in model.named_parameters()}
    order = {n: i for i, n in enumerate(all_names)}
    defaults = optimizer.defaults
    rows: dict[tuple, Row] = {}
    overlap_counts: dict[tuple[str, str], int] = defaultdict(int)
    for group in optimizer.param_groups:
        lr = float(group.get('initial_lr', group.get('lr', defaults.get('lr', 0.0))))
        wd = float(group.get('weight_decay', defaults.get('weight_decay', 0.0)))
        tags = tuple((k, group[k]) for k in ('layer_id', 'rule') if k in group)
        row = rows.setdefault((lr, wd, tags), Row(lr, wd, tags))
        for param in group['params']:
            row.names.append(name_of.get(id(param), f'<unnamed {tuple(param.shape)}>'))
            row.elements += param.numel()
        for other in group.get('also_matched', ()):
            overlap_counts[(dict(tags).get('rule', '?'), other)] += len(group['params'])
    ordered = sorted(rows.values(), key=lambda r: min(order.get(n, len(order)) for n in r.names))
    overlaps = [f'rule {other} also matches {count} parameter(s) taken by the earlier rule {first} (first match '
                'wins)' for (first, other), count in overlap_counts.items()]
    return ordered, overlaps


def _fmt(value: float) -> str:
    return f'{value:.4g}'


def format_param_group_summary(model: nn.Module, optimizer: torch.optim.Optimizer, max_patterns: int = 4) -> str:
    """The summary as a text table (see :func:`summarize_param_groups`).

    Columns: the parameters (name patterns), how many tensors and elements, lr (before warm-up and schedules), its
    multiplier against the optimizer's lr, weight decay and its multiplier, then ``layer`` / ``rule`` where a
    constructor tagged the groups. Parameters outside the optimizer (frozen when it was built) are counted below.

    Args:
        model: The model.
        optimizer: The optimizer or mmengine optim wrapper.
        max_patterns: Name patterns shown per row before "+N more".

    Returns:
        The table, several lines.
    """
    rows, overlaps = summarize_param_groups(model, optimizer)
    inner = getattr(optimizer, 'optimizer', optimizer)
    base_lr = inner.defaults.get('lr') or 0.0
    base_wd = inner.defaults.get('weight_decay') or 0.0
    tag_keys = [k for k in ('layer_id', 'rule') if any(k in dict(r.tags) for r in rows)]
    header = ['#', 'parameters', 'tensors', 'elements', 'lr', 'lr x', 'weight decay', 'wd x',
              *[{'layer_id': 'layer', 'rule': 'rule'}[k] for k in tag_keys]]
    all_names = [n for n, _ in getattr(model, 'module', model).named_parameters()]
    table = [header]
    for i, row in enumerate(rows):
        patterns = _cover(row.names, all_names)
        shown = ', '.join(patterns[:max_patterns])
        if len(patterns) > max_patterns:
            shown += f' (+{len(patterns) - max_patterns} more)'
        table.append([str(i), shown, str(len(row.names)), f'{row.elements:,}', _fmt(row.lr),
                      _fmt(row.lr / base_lr) if base_lr else '-', _fmt(row.weight_decay),
                      _fmt(row.weight_decay / base_wd) if base_wd else '-',
                      *[str(dict(row.tags).get(k, '')) for k in tag_keys]])
    widths = [max(len(r[c]) for r in table) for c in range(len(header))]
    lines = ['  '.join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in table]
    lines.insert(1, '  '.join('-' * w for w in widths))
    in_optimizer = {n for r in rows for n in r.names}
    outside = [n for n in all_names if n not in in_optimizer]
    title = (f'optimizer {type(inner).__name__}: {len(inner.param_groups)} parameter group(s) in {len(rows)} row(s); '
             f'lr x and wd x are relative to lr={_fmt(base_lr)}, weight_decay={_fmt(base_wd)}')
    tail = []
    if outside:
        tail.append(f'not in the optimizer (frozen when it was built): {len(outside)} tensor(s): '
                    f'{", ".join(_cover(outside, all_names)[:max_patterns])}')
    tail += [f'overlap: {line}' for line in overlaps]
    return '\n'.join([title, *lines, *tail])
