"""One generated case: a seed file, one to three mutations (structure, token or byte level), and how it is read.

A case is a function of ``(seed, index)`` alone (and of the image folder's path, which an absolute
``file_name`` holds), so any case of a run can be made again by its index.
"""
from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field

from tests.datasets.fuzz.mutations import IMG_DIR_MARK, RAW_MARK, STRUCTURE
from tests.datasets.fuzz.seeds import SEEDS, seed as seed_file
from tests.datasets.fuzz.text_mutations import TEXT

_SEED_WEIGHTS = dict(base=5, string_ids=1, rle_string=2, many=2, int_numbers=1, extras=2, images_only=1)
_LEVELS = dict(none=70, exists=10, header=15, decode=5)
_RAW_STRING = re.compile(r'"\\u0000raw:(?:[^"\\]|\\.)*"')
_DUP_PAIR = re.compile(r'"\\u0000raw:dup\\u0000"\s*:\s*("\\u0000raw:(?:[^"\\]|\\.)*")')


@dataclass
class Case:
    """A generated file and how the fuzzer reads it.

    Attributes:
        index: Its number in the run.
        name: The seed and the mutations, e.g. ``base+edge_number+token_edit``.
        content: The file's bytes.
        level: The ``image_check`` level both readers get.
        with_img_dir: Whether they get the image folder (else None).
        small_chunks: Whether the fast reader decodes a few annotations at a time (chunk and piece edges).
        limits: Read limits for both readers, small enough to be reached (None: the defaults).
        build: Also build ``CustomCocoDataset`` (and with ``pipeline``, run its pipeline on every image).
    """
    index: int
    name: str
    content: bytes
    level: str = 'none'
    with_img_dir: bool = True
    small_chunks: bool = False
    build: bool = False
    pipeline: bool = False
    policy: str = 'warn'
    limits: dict | None = None
    mutations: list = field(default_factory=list)


def make_case(seed: int, index: int, img_dir: str, build_every: int = 20, pipeline_every: int = 100) -> Case:
    """Case ``index`` of the run with ``seed`` (``img_dir``: the image folder, for absolute file names)."""
    rng = random.Random(f'fuzz-{seed}-{index}')
    seed_name = rng.choices(list(_SEED_WEIGHTS), list(_SEED_WEIGHTS.values()))[0]
    data = seed_file(seed_name)
    names, text = [seed_name], None
    num = rng.choices((1, 2, 3), (6, 3, 1))[0]
    kinds = rng.choices(('structure', 'token', 'byte'), (65, 27, 8), k=num)
    for kind in sorted(kinds, key=lambda k: k != 'structure'):  # structure first: it needs the dict
        if kind == 'structure' and text is None:
            name = rng.choice(list(STRUCTURE))
            try:
                whole = STRUCTURE[name](data, rng)
            except (TypeError, KeyError, IndexError, ValueError, AttributeError):
                whole = None  # an earlier mutation broke what this one changes
            if whole is not None:
                text = whole.encode('utf-8', 'surrogatepass') if isinstance(whole, str) else whole
        else:
            if text is None:
                text = write(data, rng, img_dir)
            name = rng.choice([n for n in TEXT if (n == 'byte_edit') == (kind == 'byte')])
            text = TEXT[name](text, rng)
        names.append(name)
    if text is None:
        text = write(data, rng, img_dir)
    level = rng.choices(list(_LEVELS), list(_LEVELS.values()))[0]
    build = rng.randrange(build_every) == 0 if build_every else False
    return Case(index, '+'.join(names), text, level=level, with_img_dir=rng.random() < 0.9,
                small_chunks=rng.random() < 0.25, build=build,
                pipeline=build and pipeline_every and rng.randrange(max(1, pipeline_every // build_every)) == 0,
                policy=rng.choice(('warn', 'strict')), limits=_limits(rng) if rng.random() < 0.1 else None,
                mutations=names[1:])


def _limits(rng: random.Random) -> dict:
    """One or two read limits, at sizes the seed files reach."""
    choices = dict(max_file_bytes=(100, 1000, 3000, 10000), max_values=(50, 300, 1000, 5000),
                   max_entries=(1, 3, 5, 10, 100), max_problems=(1, 2, 5, 20), max_polygon_points=(2, 3, 4, 50, 1000))
    return {name: rng.choice(choices[name]) for name in rng.sample(sorted(choices), rng.choice((1, 1, 2)))}


def write(data: dict, rng: random.Random, img_dir: str) -> bytes:
    """The dict as JSON text in one of several layouts, with the raw placeholders put in."""
    text = json.dumps(data, indent=rng.choice((None, None, 1, '\t')), ensure_ascii=rng.random() < 0.7,
                      separators=rng.choice(((', ', ': '), (',', ':'), (' ,', ' : '))), allow_nan=True)
    if RAW_MARK in str(data) or '\\u0000raw:' in text:
        text = _DUP_PAIR.sub(lambda m: _dup_pair(m.group(1)), text)
        text = _RAW_STRING.sub(lambda m: json.loads(m.group())[len(RAW_MARK):-1], text)
    text = text.replace(IMG_DIR_MARK, img_dir.replace('\\', '\\\\'))
    return text.encode('utf-8', 'surrogatepass')  # a lone surrogate written unescaped: bytes no UTF-8 reader takes


def _dup_pair(value_token: str) -> str:
    text = json.loads(value_token)[len(RAW_MARK):-1]
    key, other = text.split('\x01', 1) if '\x01' in text else ('dup', text)  # (a later mutation changed it)
    return f'{json.dumps(key)}: {other}'


def corpus_name(case: Case) -> str:
    return f'{case.index}:{case.name}'


__all__ = ['Case', 'make_case', 'write', 'SEEDS']
