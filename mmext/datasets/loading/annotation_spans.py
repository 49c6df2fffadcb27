"""A COCO file's annotations array found in its bytes, and decoded (and counted) a piece at a time in one pass.

To decode the annotations a chunk at a time (so that they are never all in memory as Python objects), the loader
used to decode the file once with each annotation left as ``msgspec.Raw`` and then join and decode each chunk:
two scans of the largest part of the file. Here the array is found by a text search and cut, every
:data:`PIECE_BYTES` or so, where one annotation object ends and the next begins (``},{``, white space allowed),
so that each piece is decoded once.

A text search can be fooled (a key name inside a string, ``},{`` inside a string or inside a nested list of
objects), so nothing is taken on trust:

* the file with the array replaced by ``[]`` must decode, and its top-level ``annotations`` value must be exactly
  those two bytes at the array's position (a zero-copy ``msgspec.Raw`` tells where it is), so the array is the
  top-level one and everything around it is valid JSON;
* each piece, bracketed, must decode as a list of annotation objects; a piece that ends inside a string or a
  nested value cannot (its brackets or quotes do not balance), so a cut that decodes is a cut between two
  entries of the array, and the pieces together are its whole content.

When a check fails, :class:`CutFailed` tells the caller to take the two-scan way instead (same result).
"""
from __future__ import annotations

import re
from typing import Any, Callable, Iterator

import msgspec
import numpy as np

from mmext.datasets.checks.file_rules import check_entries
from mmext.datasets.checks.limits import ReadLimits
from mmext.datasets.loading.mapped_file import release

PIECE_BYTES = 1 << 23  # about 22,000 COCO annotations with polygons (smaller pieces: less memory at once)
_KEY = re.compile(rb'"annotations"\s*:\s*\[')
_CUT = re.compile(rb'\}\s*,\s*\{')
_SPACE = b' \t\r\n'
_NEEDED = (b'"images"', b'"categories"')
_MAX_ENDS = 4  # candidate array ends whose surroundings are decoded before giving up
_MAX_KEYS = 4  # "annotations" keys tried
_MAX_RETRIES = 4  # further cuts tried after a cut that did not decode


class CutFailed(Exception):
    """The annotations array could not be found or cut as described above."""


def locate(raw: bytes, rest_type: Any, guard: Callable[[bytes], None] | None = None
           ) -> tuple[Any, int, int] | None:
    """Find the top-level annotations array and decode the rest of the file.

    Args:
        raw: The file's bytes.
        rest_type: A msgspec type for the whole file whose ``annotations`` field is ``msgspec.Raw``.
        guard: Called with the rest of the file before it is decoded (it raises to refuse it).

    Returns:
        ``(rest, start, end)``: the decoded rest (``annotations`` is ``b'[]'``; images and categories are
        there) and the array's bytes ``raw[start:end]`` (from ``[`` to ``]``), or None when no candidate checks
        out. An end found here can still be too far (a key after the array whose value ends like it, such as
        a list of licenses): then a piece does not decode, and the caller takes the two-scan way.
    """
    for key_number, found in enumerate(_KEY.finditer(raw)):
        if key_number == _MAX_KEYS:  # an "annotations" key nested in some value comes before the real one
            break
        located = _located_at(raw, found.end() - 1, rest_type, guard)
        if located is not None:
            return located
    return None


def _located_at(raw: bytes, start: int, rest_type: Any, guard: Callable[[bytes], None] | None
                ) -> tuple[Any, int, int] | None:
    """:func:`locate` for the array that starts at ``start``."""
    in_head: dict[bytes, bool] = {}
    for end in _ends(raw, start):
        tail = raw[end:]
        # the file must have images and categories: an end that would swallow them into the array is not it
        if any(key not in tail and not _in_head(in_head, raw, key, start) for key in _NEEDED):
            continue
        rest_bytes = raw[:start] + b'[]' + tail
        if guard is not None:
            guard(rest_bytes)
        try:
            rest = msgspec.json.decode(rest_bytes, type=rest_type)
        except (msgspec.DecodeError, msgspec.ValidationError):
            continue
        value = rest.annotations
        if isinstance(value, msgspec.Raw) and len(value) == 2 and _offset(value, rest_bytes) == start and \
                msgspec.UNSET not in (rest.images, rest.categories):
            return rest, start, end
    return None


def _in_head(known: dict, raw: bytes, key: bytes, start: int) -> bool:
    """Whether ``key`` occurs before ``start`` (remembered in ``known``)."""
    if key not in known:
        known[key] = raw.find(key, 0, start) >= 0
    return known[key]


def _ends(raw: bytes, start: int) -> Iterator[int]:
    """Candidate ends of the array that starts at ``start``, from the end of the file backwards: a ``]`` after
    ``}`` (or right after the ``[``) and before ``,`` or ``}`` (white space allowed)."""
    hi, tried = len(raw), 0
    while tried < _MAX_ENDS:
        p = raw.rfind(b']', start + 1, hi)
        if p < 0:
            return
        hi = p
        before, after = p - 1, p + 1
        while raw[before] in _SPACE:
            before -= 1
        while after < len(raw) and raw[after] in _SPACE:
            after += 1
        if (raw[before] == ord('}') or before == start) and raw[after:after + 1] in (b',', b'}'):
            tried += 1
            yield p + 1


def _offset(view: msgspec.Raw, buffer: bytes) -> int:
    """Where ``view`` (a zero-copy ``msgspec.Raw``) lies in ``buffer``; -1 when it is a copy."""
    offset = np.frombuffer(view, np.uint8).ctypes.data - np.frombuffer(buffer, np.uint8).ctypes.data
    return offset if 0 <= offset <= len(buffer) - len(view) else -1


def decode_pieces(raw: bytes, start: int, end: int, decoder: msgspec.json.Decoder) -> Iterator[list]:
    """Decode the array ``raw[start:end]`` a piece at a time.

    Args:
        raw: The file's bytes.
        start, end: The array, from :func:`locate`.
        decoder: A decoder of a list of annotation structs.

    Yields:
        Each piece's annotations, in file order.

    Raises:
        CutFailed: A piece did not decode with any of the cuts tried.
    """
    view, pos, last = memoryview(raw), start + 1, end - 1
    while pos < last:
        cut, retries = _CUT.search(raw, pos + PIECE_BYTES, last), 0
        while True:
            stop = cut.start() + 1 if cut is not None else last
            try:
                anns = decoder.decode(b''.join((b'[', view[pos:stop], b']')))
            except (msgspec.DecodeError, msgspec.ValidationError) as err:
                if cut is None or retries == _MAX_RETRIES:
                    raise CutFailed(f'annotations[{pos}:{stop}] of the file: {err}') from None
                cut, retries = _CUT.search(raw, cut.end(), last), retries + 1
                continue
            break
        release(raw, pos, stop)  # (a mapped file: this piece is not read again)
        yield anns
        pos = cut.end() - 1 if cut is not None else last


class CountedPieces:
    """The pieces, counting their annotations against the read limit ``max_entries`` as they come (before their
    columns are made).

    Args:
        pieces: The pieces (from :func:`decode_pieces`).
        limits: The read limits.
        source: The file, for messages.
    """

    def __init__(self, pieces: Iterator[list], limits: ReadLimits, source: str) -> None:
        self.pieces, self.limits, self.source, self.total = pieces, limits, source, 0

    def __iter__(self) -> CountedPieces:
        return self

    def __next__(self) -> list:
        piece = next(self.pieces)
        self.total += len(piece)
        check_entries(self.limits, self.source, 'annotations', self.total)
        return piece

    def drain(self, annotations: memoryview | int) -> None:
        """After a limit, what the reference would find first: whether the annotations array is valid JSON, and
        how many annotations it holds (as far as ``max_entries``; ``annotations``: its text, or the number).

        Raises:
            CutFailed: The array is not valid JSON (the reference says so).
        """
        if isinstance(annotations, int):
            self.total = annotations
            return
        try:
            msgspec.json.decode(annotations, type=msgspec.Raw)  # its syntax, without building anything
        except (msgspec.DecodeError, msgspec.ValidationError) as err:
            raise CutFailed(str(err)) from None
        limit = self.limits.max_entries
        while not (limit and self.total > limit):
            piece = next(self.pieces, None)  # (one at a time, dropped at once)
            if piece is None:
                break
            self.total += len(piece)
