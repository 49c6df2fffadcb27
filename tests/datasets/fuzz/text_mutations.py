"""Token- and byte-level mutations of a COCO file's text (after it is written), and the tokenizer they use."""
from __future__ import annotations

import random
import re
from typing import Callable

from tests.datasets.fuzz.mutations import EDGE_NUMBERS, WEIRD_STRINGS

TextMutation = Callable[[bytes, random.Random], bytes]
TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null|NaN|-?Infinity|[\[\]{}:,]')
STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
NUMBER = re.compile(rb'-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?')
BAD_BYTES = (b'\xff', b'\xc0\x80', b'\xed\xa0\x80', b'\xe2\x82', b'\xf4\x90\x80\x80', b'\x00', b'\x80', b'\xfe\xff',
             b'\xef\xbb\xbf', b'\r', b'\t', b'\xa0', b'\\', b'\\u', b'\\ud800', b'\\x41')


def _pick(pattern: re.Pattern, text: bytes, rng: random.Random) -> re.Match | None:
    found = list(pattern.finditer(text))
    return rng.choice(found) if found else None


def _replace(text: bytes, match: re.Match, new: bytes) -> bytes:
    return text[:match.start()] + new + text[match.end():]


def number_token(text, rng):
    m = _pick(NUMBER, text, rng)
    return _replace(text, m, rng.choice(EDGE_NUMBERS + ('01', '1.', '.5', '-', '1e', '+1', '0x10', '1_0')).encode()) \
        if m else text


def string_token(text, rng):
    m = _pick(STRING, text, rng)
    if m is None:
        return text
    inner = m.group()[1:-1]
    if rng.random() < 0.5:
        new = rng.choice(WEIRD_STRINGS).encode('utf-8', 'surrogatepass')  # raw: lone surrogates as CESU bytes
        new = new.replace(b'\\', b'\\\\').replace(b'"', b'\\"')
    else:
        k = rng.randrange(len(inner) + 1)
        new = inner[:k] + rng.choice(BAD_BYTES) + inner[k:]
    return _replace(text, m, b'"' + new + b'"')


def duplicate_pair(text, rng):
    """``"key": value`` repeated in its object (value: the next token only, or a scalar that follows it)."""
    pairs = list(re.finditer(rb'("(?:[^"\\]|\\.)*")\s*:\s*(' + TOKEN.pattern + rb')', text))
    if not pairs:
        return text
    m = rng.choice(pairs)
    value = m.group(2) if m.group(2) not in (b'[', b'{') else rng.choice((b'null', b'[]', b'{}', b'[1, 2, 3, 4]'))
    pair = m.group(1) + b': ' + value + b', '
    return text[:m.start()] + pair + text[m.start():]


def token_edit(text, rng):
    tokens = list(TOKEN.finditer(text))
    if not tokens:
        return text
    m = rng.choice(tokens)
    choice = rng.randrange(5)
    if choice == 0:  # delete
        return _replace(text, m, b'')
    if choice == 1:  # duplicate
        return _replace(text, m, m.group() * 2)
    if choice == 2:  # swap with the next token
        nxt = next((t for t in tokens if t.start() >= m.end()), None)
        if nxt is None:
            return text
        return text[:m.start()] + nxt.group() + text[m.end():nxt.start()] + m.group() + text[nxt.end():]
    if choice == 3:  # another literal or punctuation
        return _replace(text, m, rng.choice((b'true', b'false', b'null', b'[', b']', b'{', b'}', b',', b':', b'""')))
    return _replace(text, m, m.group() + rng.choice((b' ', b'\n', b'\t', b'\r\n', b'\xc2\xa0', b'\x0b', b'\x0c')))


def byte_edit(text, rng):
    if not text:
        return rng.choice(BAD_BYTES)
    k = rng.randrange(len(text))
    choice = rng.randrange(6)
    if choice == 0:
        return text[:k] + bytes([text[k] ^ (1 << rng.randrange(8))]) + text[k + 1:]
    if choice == 1:
        return text[:k] + rng.choice(BAD_BYTES) + text[k:]
    if choice == 2:
        return text[:k] + text[k + rng.randint(1, 64):]
    if choice == 3:
        return text[:k]
    if choice == 4:
        n = rng.randint(1, 200)
        return text[:k] + text[k:k + n] * 2 + text[k + n:]
    return rng.choice((b'\xef\xbb\xbf', b'\xff\xfe', b' \n', b'\x00')) + text


TEXT: dict[str, TextMutation] = {f.__name__: f for f in (number_token, string_token, duplicate_pair, token_edit,
                                                          byte_edit)}
