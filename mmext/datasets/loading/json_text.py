"""JSON values kept as text: one decoded on demand, and lists of numbers parsed together by simdjson."""
from __future__ import annotations

import json
import sys
from typing import Any

import msgspec
import numpy as np
import simdjson

from mmext.datasets.loading.mapped_file import is_ascii


def decode_json(text: bytes) -> Any:
    """``json.loads`` of one stored JSON value (bytes or a ``msgspec.Raw``); msgspec when it can (same values for
    valid JSON, 3x faster)."""
    try:
        return msgspec.json.decode(text)
    except (msgspec.DecodeError, msgspec.ValidationError):  # NaN, 1e400: only the stdlib reads them
        return json.loads(bytes(text))  # (json takes no msgspec.Raw)


def json_module_reads(raw: bytes) -> bool:
    """Whether the json module can read ``raw`` as far as msgspec's typed decoding cannot tell.

    msgspec checks what it decodes, but not a value it skips (a key no field asks for) or keeps as
    ``msgspec.Raw``: there it takes bytes that are not UTF-8 and integers longer than Python converts, both of
    which make ``json.loads`` (the reference reader) refuse the whole file. A file for which this is False goes
    to the reference reader, which says why it cannot be read.
    """
    return (is_ascii(raw) or _utf8(raw)) and not _long_digit_run(raw, sys.get_int_max_str_digits())


def _utf8(raw: bytes) -> bool:
    """Whether ``raw`` decodes as json.loads decodes bytes (UTF-8, lone surrogates allowed), by decoding only
    its bytes >= 0x80: a multi-byte sequence is made of them alone, so each run of them decodes on its own (a
    space between runs keeps one from completing another)."""
    b = np.frombuffer(raw, np.uint8)
    high = np.flatnonzero(b >= 0x80)
    starts = np.flatnonzero(np.diff(high, prepend=-2) != 1)  # where each run begins in ``high``
    out = np.full(len(high) + len(starts), ord(' '), np.uint8)
    out[np.arange(len(high)) + np.searchsorted(starts, np.arange(len(high)), side='right')] = b[high]
    try:
        out.tobytes().decode('utf-8', 'surrogatepass')
    except UnicodeDecodeError:
        return False
    return True


def _long_digit_run(raw: bytes, limit: int) -> bool:
    """Whether ``raw`` may hold more than ``limit`` digits in a row (an integer json.loads refuses to convert;
    ``limit`` 0: no limit). A run of ``limit + 1`` digits covers two consecutive points of a grid of spacing
    ``(limit + 1) // 2`` and every point between: only such stretches are looked at (a few reads per grid point);
    a stretch that is all digits (a run of about half the limit, or one in a string) says maybe."""
    step = (limit + 1) // 2
    if limit <= 0 or len(raw) <= limit:
        return False
    b = np.frombuffer(raw, np.uint8)
    candidates = np.arange((len(b) - 1) // step, dtype=np.int64) * step
    for eighth in (0, 8, 4, 2, 6, 1, 3, 5, 7):
        values = b[candidates + step * eighth // 8]
        candidates = candidates[(values >= ord('0')) & (values <= ord('9'))]
        if not len(candidates):
            return False
    return any(raw[p:p + step + 1].isdigit() for p in candidates.tolist())


def joined_lists(texts: list, separator: bytes, tail: bytes = b'') -> tuple[bytes, np.ndarray, bool]:
    """One JSON array document ``[t0<separator>t1...<separator>tn<tail>]``, made with one copy of the texts.

    Args:
        texts: The JSON texts, each meant to be a flat list of numbers (not empty; its first and last items are
            replaced).
        separator: What goes between two texts (e.g. ``b',-9e9,'``: a sentinel number).
        tail: What goes after the last one.

    Returns:
        The document; where each text starts in it (one more entry: where a next one would); whether every text
        is a list that holds no list (simdjson flattens nested lists, so that must be known before its numbers
        are read).
    """
    starts = np.ones(len(texts) + 1, np.int64)  # after the document's '['
    np.cumsum(np.fromiter(map(len, texts), np.int64, len(texts)) + len(separator), out=starts[1:])
    starts[1:] += 1
    texts[0] = b'[' + texts[0]
    texts[-1] = bytes(texts[-1]) + tail + b']'
    doc = separator.join(texts)
    flat = not np.any(np.frombuffer(doc, np.uint8)[starts[:-1]] != ord('[')) and \
        doc.count(b'[') == len(texts) + 1 + tail.count(b'[') + separator.count(b'[') * (len(texts) - 1)
    return doc, starts, flat


def parse_numbers(parser: simdjson.Parser, doc: bytes) -> np.ndarray | None:
    """Every number of ``doc`` (lists of numbers, as :func:`joined_lists` makes) as float64; None when it holds
    anything else (a string, null, true, an object) or a number out of float64's range."""
    try:
        return np.frombuffer(parser.parse(doc).as_buffer(of_type='d'), np.float64)
    except (ValueError, TypeError, RuntimeError):
        return None
