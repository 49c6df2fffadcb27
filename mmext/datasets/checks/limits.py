"""How much an annotation file may ask of the readers' memory and time before they refuse it with one line."""
from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from typing import Any

from mmext.errors import DatasetError

_ENV = 'MMEXT_READ_'  # MMEXT_READ_MAX_FILE_BYTES=4e9 and so on: one variable per field


class ReadLimitError(DatasetError):
    """A file past one of the read limits (the message says which, and how to raise it)."""


@dataclass(frozen=True)
class ReadLimits:
    """The limits of the annotation readers (``CustomCocoDataset``'s and ``tools/check_dataset.py``'s).

    Every field can be set with an environment variable (``MMEXT_READ_`` + the field's name in capitals, e.g.
    ``MMEXT_READ_MAX_FILE_BYTES=4000000000``) and, for a dataset, with its ``read_limits`` argument (which wins).
    0 turns a limit off.

    Attributes:
        max_file_bytes: The largest annotation file read (the fast reader needs about 3 times a file's size in
            memory, the json module 6 to 25 times). Defaults to 2 GiB (COCO train2017's instances file is
            448 MB, LVIS v1's 1.1 GB).
        max_values: The most JSON values a reader builds as Python objects, counted in the text before it is
            decoded (about 60 bytes each): the json module builds every value of a file, the fast reader those
            outside the annotations array (the annotations become arrays). Defaults to 100 million (COCO
            train2017 has about 40 million).
        max_entries: The most entries of the images, annotations and categories lists, each. Defaults to 10
            million.
        max_problems: The most problems one file may have before the reader stops (each is kept for the
            report). Defaults to 5 million.
        max_polygon_points: The most polygon points an annotation may have; past it its segmentation is a
            ``bad_segmentation`` (removed, box kept: rasterising it would take minutes and gigabytes).
            Defaults to 1 million.

    Example:
        >>> train_dataloader = dict(dataset=dict(type='CustomCocoDataset', ...,
        ...                                      read_limits=dict(max_file_bytes=8 << 30, max_entries=40_000_000)))
    """
    max_file_bytes: int = 2 << 30
    max_values: int = 100_000_000
    max_entries: int = 10_000_000
    max_problems: int = 5_000_000
    max_polygon_points: int = 1_000_000

    @classmethod
    def get(cls, given: ReadLimits | dict | None = None) -> ReadLimits:
        """The defaults, then the environment variables, then ``given`` (a dict of fields, or limits as they are).

        Raises:
            DatasetError: An unknown field or a value that is not a non-negative integer.
        """
        if isinstance(given, ReadLimits):
            return given
        names = {f.name for f in fields(cls)}
        values: dict[str, Any] = {}
        for name in names:
            text = os.environ.get(_ENV + name.upper())
            if text:
                values[name] = _number(text, f'{_ENV + name.upper()}={text}')
        for name, value in (given or {}).items():
            if name not in names:
                raise DatasetError(f'read_limits: {name!r} is not a read limit; the limits are {sorted(names)}')
            values[name] = _number(value, f'read_limits {name}={value!r}')
        return replace(cls(), **values)

    def exceeded(self, source: str, what: str, limit_name: str) -> ReadLimitError:
        """The error for a file past one limit: which file, what is too much, the limit, and how to raise it."""
        return ReadLimitError(f'{source}: {what} (read limit {limit_name}={getattr(self, limit_name):,}); the file '
                              'is refused before reading it could exhaust the memory. If it is what you mean to read, '
                              f'raise the limit: {_ENV + limit_name.upper()}=... in the environment, or the '
                              f"dataset's read_limits=dict({limit_name}=...) (0: no limit)")

    def check(self, source: str, value: int, limit_name: str, what: str) -> None:
        """Raise :meth:`exceeded` when ``value`` is past the limit ``limit_name`` (``what``: what is too much)."""
        limit = getattr(self, limit_name)
        if limit and value > limit:
            raise self.exceeded(source, what, limit_name)

    def check_values(self, source: str, text: bytes, part: str = '') -> None:
        """Raise when ``text`` would make more Python objects than the read limit ``max_values`` (``part``: which
        part of the file ``text`` is, for the message)."""
        values = json_values(text) if len(text) >= self.max_values > 0 else 0  # (never more than one a byte)
        self.check(source, values, 'max_values', f'about {values:,} JSON values{part} would be built as Python '
                                                 'objects')


def _number(value: Any, where: str) -> int:
    try:
        number = float(value) if isinstance(value, str) else value
        if type(number) is float and number.is_integer():
            number = int(number)
    except ValueError:
        number = None
    if type(number) is not int or number < 0:
        raise DatasetError(f'{where}: a read limit is a whole number >= 0 (0: no limit)')
    return number


def json_values(raw: bytes, start: int = 0, end: int | None = None) -> int:
    """How many JSON values ``raw[start:end]`` holds at most (commas and opening brackets, plus one)."""
    end = len(raw) if end is None else end
    return raw.count(b',', start, end) + raw.count(b'[', start, end) + raw.count(b'{', start, end) + 1
