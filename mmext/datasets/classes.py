"""Class names from the annotation file, and the check of a class list given in the config.

One source of truth: the json's ``categories``. Category ids may be any integers (0-based, 1-based, with gaps);
labels are contiguous, in id order. A class list given in the config (``metainfo=dict(classes=...)``) is only
accepted when it agrees with the json: mmdet would silently drop every annotation of a class it leaves out.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from mmext.errors import DatasetError


@dataclass
class ClassMap:
    """Labels <-> category ids.

    Attributes:
        classes: Class names; the label is the index.
        cat_ids: The category id of each label.
        counts: Annotations per label.
    """
    classes: tuple[str, ...]
    cat_ids: list[int]
    counts: list[int]

    @property
    def cat2label(self) -> dict[int, int]:
        return {cid: label for label, cid in enumerate(self.cat_ids)}

    def format_table(self, source: str) -> str:
        """The mapping a user checks once: id -> label -> name -> number of annotations."""
        width = max([4] + [len(n) for n in self.classes])
        lines = [f'{len(self.classes)} classes from {source}:',
                 f'  {"category id":>11}  {"label":>5}  {"name":<{width}}  {"annotations":>11}']
        for label, (cid, name, n) in enumerate(zip(self.cat_ids, self.classes, self.counts)):
            lines.append(f'  {cid:>11}  {label:>5}  {name:<{width}}  {n:>11}')
        return '\n'.join(lines)


def check_given_classes(given: Any, where: str) -> tuple[str, ...]:
    """Validate a class list from a config and return it as a tuple.

    Raises:
        DatasetError: It is a bare string (``('cat')`` is the string 'cat'), not a sequence of names, or holds
            duplicates.
    """
    if isinstance(given, str):
        raise DatasetError(f"{where}: metainfo classes is the string {given!r}, not a tuple of names. A one-class "
                           f"tuple needs a trailing comma: classes=({given!r},). Or leave classes out: they are "
                           'read from the annotation file.')
    if not isinstance(given, Sequence) or not all(isinstance(n, str) for n in given) or not given:
        raise DatasetError(f'{where}: metainfo classes must be a non-empty tuple of names, got {given!r}')
    names = tuple(given)
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise DatasetError(f'{where}: metainfo classes names {twice} more than once')
    return names


def resolve_classes(categories: list[dict], counts: dict[int, int], given: Any, source: str) -> ClassMap:
    """The classes to train: all usable categories in id order, or the given list once checked against them.

    Args:
        categories: Usable categories, sorted by id (see :class:`mmext.datasets.checks.file_rules.CheckedCoco`).
        counts: Annotations per category id.
        given: ``metainfo['classes']`` from the config, or None.
        source: The annotation file, for messages.

    Returns:
        The mapping.

    Raises:
        DatasetError: The given classes name a category the json lacks, or leave out one with annotations.
    """
    by_name = {c['name']: c['id'] for c in categories}
    if given is None:
        ids = [c['id'] for c in categories]
        return ClassMap(tuple(c['name'] for c in categories), ids, [counts.get(i, 0) for i in ids])
    names = check_given_classes(given, f'{source}')
    unknown = [n for n in names if n not in by_name]
    left_out = [c['name'] for c in categories if c['name'] not in names and counts.get(c['id'], 0) > 0]
    if unknown or left_out:
        problems = []
        if unknown:
            problems.append(f'{unknown} given in metainfo classes are not categories of the file')
        if left_out:
            problems.append(f'{left_out} have annotations in the file but are not in metainfo classes (mmdet '
                            'would drop them silently)')
        raise DatasetError(f'{source}: the classes in the config do not match the file: ' + '; '.join(problems)
                           + f'. Config classes: {list(names)}. File categories: {sorted(by_name)}. Leave '
                             'metainfo classes out to use the file\'s categories, or fix the list.')
    ids = [by_name[n] for n in names]
    return ClassMap(names, ids, [counts.get(i, 0) for i in ids])
