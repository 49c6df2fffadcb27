"""The interface every benchmark module follows, and the timing helpers they share.

A benchmark module is ``benchmarks/bench_<name>.py`` with one public function::

    def rows(quick: bool) -> list[Row]: ...

``benchmarks/run.py`` imports every such module, calls ``rows`` and prints one table. ``quick=True`` must finish
in seconds (small sizes, few repeats): a test runs it so that the suite cannot rot. Each module generates its own
inputs with a fixed seed; nothing is downloaded.

A :class:`Row` compares one mmext figure with one anchor figure (the real mmdet / mmengine / pycocotools code,
measured in the same run on the same inputs) against a goal. Build rows with :func:`speedup_row` (goal: the
anchor takes at least N times longer), :func:`ratio_row` (goal: mmext / anchor at most N, e.g. memory or
per-iteration time) or :func:`overhead_row` (goal: mmext minus anchor at most N units).
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Measure:
    """Repeated measurements of one quantity, summarised as median and spread (min..max).

    Args:
        samples: The individual measurements.
        unit: ``'s'``, ``'ms'``, ``'MB'``, ... (printed after the number).
    """
    samples: list[float]
    unit: str = 's'

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def low(self) -> float:
        return min(self.samples)

    @property
    def high(self) -> float:
        return max(self.samples)

    def __str__(self) -> str:
        text = f'{_num(self.median)} {self.unit}'
        if len(self.samples) > 1:
            text += f' [{_num(self.low)}-{_num(self.high)}]'
        return text


@dataclass
class Row:
    """One line of the suite's table.

    Args:
        benchmark: What is compared, with its size, e.g. ``'COCO eval bbox, 5000 img x 100 det'``.
        mmext: mmext's figure; None (printed ``n/a``) when it cannot be measured here.
        anchor: The anchor's figure.
        ratio: The number the goal is judged on (see the builders below); None when not measurable.
        goal: The goal as text, e.g. ``'>= 6x faster'``.
        met: Whether the goal is met; None when it could not be judged.
        note: Anything a reader needs (what was checked, why n/a, the machine load).
    """
    benchmark: str
    mmext: Measure | str | None
    anchor: Measure | str | None
    ratio: float | None
    goal: str
    met: bool | None
    note: str = ''
    details: dict = field(default_factory=dict)

    def cells(self) -> list[str]:
        ratio = '-' if self.ratio is None else f'{self.ratio:.3g}'
        met = {True: 'yes', False: 'NO', None: 'n/a'}[self.met]
        return [self.benchmark, _cell(self.mmext), _cell(self.anchor), ratio, self.goal, met, self.note]


def speedup_row(benchmark: str, mmext: Measure | None, anchor: Measure | None, at_least: float,
                note: str = '') -> Row:
    """A row whose goal is ``anchor / mmext >= at_least`` (mmext is that many times faster)."""
    ratio = anchor.median / mmext.median if mmext and anchor else None
    return Row(benchmark, mmext, anchor, ratio, f'>= {at_least:g}x faster', None if ratio is None else
               ratio >= at_least, note)


def ratio_row(benchmark: str, mmext: Measure | None, anchor: Measure | None, at_most: float, what: str,
              note: str = '', anchor_name: str = 'anchor') -> Row:
    """A row whose goal is ``mmext / anchor <= at_most`` (``what``: e.g. 'peak RSS', 'time per iteration')."""
    ratio = mmext.median / anchor.median if mmext and anchor else None
    return Row(benchmark, mmext, anchor, ratio, f'{what} <= {at_most:g}x {anchor_name}', None if ratio is None
               else ratio <= at_most, note)


def overhead_row(benchmark: str, mmext: Measure | None, anchor: Measure | None, at_most: float,
                 note: str = '') -> Row:
    """A row whose goal is ``mmext - anchor <= at_most`` (in the measures' unit); ``ratio`` is mmext / anchor
    and the difference is added to the note."""
    if not (mmext and anchor):
        return Row(benchmark, mmext, anchor, None, f'<= +{at_most:g} {getattr(anchor, "unit", "")}', None, note)
    extra = mmext.median - anchor.median
    note = f'{"+" if extra >= 0 else "-"}{_num(abs(extra))} {anchor.unit}' + (f'; {note}' if note else '')
    return Row(benchmark, mmext, anchor, mmext.median / anchor.median, f'<= +{at_most:g} {anchor.unit}',
               extra <= at_most, note)


def interleaved(cases: dict[str, Callable[[], float | None]], repeats: int, warmup: int = 0,
                unit: str = 's') -> dict[str, Measure]:
    """Run the cases round-robin, the order reversed every other round (A B, B A, A B, ...), so that a change in
    machine load hits all of them alike and no case always runs first (or right after another's clean-up).

    Args:
        cases: Name -> a callable. When it returns a number, that is the measurement (it timed itself, e.g. a
            subprocess reporting its own figure); when it returns None, its wall time is.
        repeats: Measured rounds.
        warmup: Rounds run first and thrown away.
        unit: The unit of what the callables return (wall time is in seconds).

    Returns:
        Name -> the measurements.
    """
    samples: dict[str, list[float]] = {name: [] for name in cases}
    names = list(cases)
    for round_index in range(warmup + repeats):
        for name in (names if round_index % 2 == 0 else names[::-1]):
            case = cases[name]
            start = time.perf_counter()
            value = case()
            elapsed = time.perf_counter() - start
            if round_index >= warmup:
                samples[name].append(elapsed if value is None else float(value))
    return {name: Measure(values, unit) for name, values in samples.items()}


def child_env() -> dict:
    """The environment of a benchmark's child interpreter: ``$PYTHONPATH`` first (when set, it wins: e.g.
    another worktree's mmext), then this repository's root."""
    return dict(os.environ, PYTHONPATH=os.pathsep.join(
        [p for p in os.environ.get('PYTHONPATH', '').split(os.pathsep) if p] + [str(ROOT)]))


def run_python(code: str, args: list[str] | None = None, env: dict | None = None, timeout: float = 600) -> dict:
    """Run ``code`` in a fresh interpreter (see :func:`child_env`) and return the JSON object it prints on its
    last stdout line.

    Raises:
        RuntimeError: The child failed; its stderr tail is in the message.
    """
    full_env = dict(child_env(), **(env or {}))
    # cwd outside the repository: ``python -c`` puts the cwd first on the path, ahead of $PYTHONPATH
    proc = subprocess.run([sys.executable, '-c', code, *(args or [])], capture_output=True, text=True,
                          env=full_env, cwd=cache_dir(), timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f'benchmark child failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}')
    return json.loads(proc.stdout.strip().splitlines()[-1])


def cache_dir() -> Path:
    """Where generated benchmark inputs are kept between runs (``$MMEXT_BENCH_CACHE`` or the temp folder);
    never inside the repository."""
    path = Path(os.environ.get('MMEXT_BENCH_CACHE') or Path(tempfile.gettempdir()) / 'mmext-bench')
    path.mkdir(parents=True, exist_ok=True)
    return path


def load_average() -> str:
    """The 1-minute load average and the CPU count, for the notes (timings on a busy machine say so)."""
    try:
        return f'load {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs'
    except OSError:
        return ''


def _num(value: float) -> str:
    return f'{value:.3g}' if abs(value) < 1000 else f'{value:.0f}'


def _cell(value: Measure | str | None) -> str:
    return 'n/a' if value is None else str(value)
