"""Parameter groups from ordered regex rules: a serialisable version of detectron2/detrex's ``lr_factor_func``."""
from __future__ import annotations

import difflib
import logging
import re
from dataclasses import dataclass

import torch.nn as nn
from mmdet.registry import OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.logging import print_log

from mmext.errors import ConfigError
from mmext.optim.param_groups import Multiplier, NamedMultiplierConstructor, check_nonnegative
from mmext.registry import register

_RULE_KEYS = ('pattern', 'lr_mult', 'decay_mult')


@dataclass(frozen=True)
class Rule:
    """One validated rule: the regex and its multipliers."""
    index: int
    pattern: str
    regex: re.Pattern
    lr_mult: float
    decay_mult: float

    @property
    def label(self) -> str:
        return f'#{self.index} {self.pattern}'


def parse_rules(rules: object) -> list[Rule]:
    """Validate ``paramwise_cfg.rules`` from a config.

    Args:
        rules: A list of ``dict(pattern=<regex>, lr_mult=1.0, decay_mult=1.0)``.

    Returns:
        The rules, in order.

    Raises:
        ConfigError: Not a non-empty list of such dicts, an unknown key, a regex that does not compile, or a
            negative multiplier.
    """
    owner = 'RuleBasedOptimWrapperConstructor'
    if not isinstance(rules, (list, tuple)) or not rules:
        raise ConfigError(f'{owner}: paramwise_cfg.rules must be a non-empty list of '
                          f"dict(pattern=<regex>, lr_mult=..., decay_mult=...), got {rules!r}")
    parsed = []
    for i, rule in enumerate(rules):
        if not isinstance(rule, dict) or 'pattern' not in rule:
            raise ConfigError(f'{owner}: rules[{i}]={rule!r} must be a dict with a pattern')
        unknown = sorted(set(rule) - set(_RULE_KEYS))
        if unknown:
            raise ConfigError(f'{owner}: rules[{i}] has unknown key(s) {", ".join(unknown)}; a rule takes '
                              f'{", ".join(_RULE_KEYS)}')
        try:
            regex = re.compile(rule['pattern'])
        except (re.error, TypeError) as err:
            raise ConfigError(f"{owner}: rules[{i}].pattern={rule['pattern']!r} is not a valid regex: {err}") from None
        parsed.append(Rule(i, rule['pattern'], regex,
                           check_nonnegative(owner, f'rules[{i}].lr_mult', rule.get('lr_mult', 1.0)),
                           check_nonnegative(owner, f'rules[{i}].decay_mult', rule.get('decay_mult', 1.0))))
    return parsed


@register(OPTIM_WRAPPER_CONSTRUCTORS)
class RuleBasedOptimWrapperConstructor(NamedMultiplierConstructor):
    """Multiply lr and weight decay by the first rule whose regex matches the parameter's full name.

    Rules are tried in order with ``re.search`` on names such as ``backbone.layer1.0.conv1.weight``; the first match
    wins and the parameters no rule matches keep the defaults. mmengine's param-wise options (``custom_keys``,
    ``norm_decay_mult``, ...) apply first and the rule multiplies their result. Each group is tagged with its
    ``rule`` and, where later rules matched too, ``also_matched``; :class:`~mmext.hooks.ParamGroupSummaryHook`
    reports those overlaps.

    Args:
        optim_wrapper_cfg: mmengine's optim wrapper config (``optimizer.lr`` required).
        paramwise_cfg: ``rules`` (required): ``[dict(pattern=<regex>, lr_mult=1.0, decay_mult=1.0), ...]``, plus
            mmengine's param-wise options.

    Raises:
        ConfigError: A malformed rule (at build), or a rule that matches no parameter of the model (when the
            optimizer is built; the message lists the closest parameter names).

    Example:
        >>> optim_wrapper = dict(
        ...     type='OptimWrapper',
        ...     constructor='RuleBasedOptimWrapperConstructor',
        ...     optimizer=dict(type='AdamW', lr=2e-3, weight_decay=0.05),
        ...     paramwise_cfg=dict(rules=[
        ...         dict(pattern=r'^backbone\\.(conv1|bn1|layer1)\\.', lr_mult=0.0),
        ...         dict(pattern=r'^backbone\\.', lr_mult=0.1),
        ...         dict(pattern=r'(\\.bias|\\.bn\\d?\\.weight)$', decay_mult=0.0)]))
    """

    own_keys = frozenset({'rules'})

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg: dict | None = None) -> None:
        super().__init__(optim_wrapper_cfg, paramwise_cfg)
        self.rules = parse_rules(self.paramwise_cfg.get('rules'))

    def multipliers(self, model: nn.Module, names: list[str]) -> dict[str, Multiplier]:
        """The first matching rule of every parameter; raises on a rule that matches nothing."""
        hits = {rule.index: 0 for rule in self.rules}
        plan: dict[str, Multiplier] = {}
        overlaps = 0
        for name in names:
            matched = [rule for rule in self.rules if rule.regex.search(name)]
            for rule in matched:
                hits[rule.index] += 1
            if not matched:
                plan[name] = Multiplier(tags=dict(rule='default'))
                continue
            first = matched[0]
            tags: dict = dict(rule=first.label)
            if len(matched) > 1:
                tags['also_matched'] = [rule.label for rule in matched[1:]]
                overlaps += 1
            plan[name] = Multiplier(first.lr_mult, first.decay_mult, tags)
        unmatched = [rule for rule in self.rules if hits[rule.index] == 0]
        if unmatched:
            raise ConfigError('; '.join(_unmatched_message(rule, names) for rule in unmatched))
        if overlaps:
            print_log(f'RuleBasedOptimWrapperConstructor: {overlaps} parameters match more than one rule; the first '
                      'wins (see the parameter-group summary)', logger='current', level=logging.WARNING)
        return plan


def _unmatched_message(rule: Rule, names: list[str]) -> str:
    # Compare the pattern with names cut to the pattern's depth, so 'backbone.layer5' finds 'backbone.layer4'.
    depth = rule.pattern.count('.') + 1
    prefixes = sorted({'.'.join(n.split('.')[:depth]) for n in names})
    literal = re.sub(r'[\\^$()?*+\[\]{}|]', '', rule.pattern)
    near = difflib.get_close_matches(literal, prefixes, n=5, cutoff=0.4)
    near_full = [next(n for n in names if n.startswith(p)) for p in near]
    examples = ', '.join(near_full) if near_full else ', '.join(names[:5])
    return (f"RuleBasedOptimWrapperConstructor: rule #{rule.index} pattern={rule.pattern!r} matches no parameter "
            f"of the model (re.search on full names). Closest parameter names: {examples}")
