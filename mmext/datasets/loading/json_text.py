"""JSON values kept as text: one decoded on demand, and lists of numbers parsed together by simdjson."""
from __future__ import annotations

import json
from typing import Any

import msgspec
import numpy as np
import simdjson


def decode_json(text: bytes) -> Any:
    """``json.loads`` of one stored JSON value; msgspec when it can (same values for valid JSON, 3x faster)."""
    try:
        return msgspec.json.decode(text)
    except (msgspec.DecodeError, msgspec.ValidationError):  # NaN, 1e400: only the stdlib reads them
        return json.loads(text)


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
