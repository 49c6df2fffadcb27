"""A one-line progress bar in images per second, for the terminal and for logs."""
from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """``infer [#####-----] 120/400 images  35.2 images/s  3s elapsed  ETA 8s`` on one line.

    On a terminal the line is redrawn in place (at most 10 times a second); elsewhere (a log file, CI) a line is
    printed every ``log_every`` seconds and at the end, so logs stay short.

    Args:
        total: Items expected (0 when unknown, e.g. a video's frames).
        unit: What is counted, plural (``'images'``, ``'frames'``).
        label: Printed first.
        stream: Where to write. Defaults to stderr.
        enabled: False prints nothing.
        log_every: Seconds between lines when not on a terminal.
    """

    def __init__(self, total: int, unit: str = 'images', label: str = 'infer', stream: TextIO | None = None,
                 enabled: bool = True, log_every: float = 10.0) -> None:
        self.total, self.unit, self.label = total, unit, label
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.tty = enabled and getattr(self.stream, 'isatty', lambda: False)()
        self.log_every = log_every
        self.done = 0
        self.start = time.perf_counter()
        self._last = self.start

    @property
    def rate(self) -> float:
        """Items per second so far."""
        elapsed = time.perf_counter() - self.start
        return self.done / elapsed if elapsed > 0 else 0.0

    def update(self, n: int = 1) -> None:
        self.done += n
        now = time.perf_counter()
        if self.enabled and now - self._last >= (0.1 if self.tty else self.log_every):
            self._last = now
            self._write(end='')

    def close(self) -> None:
        """The final line."""
        if self.enabled:
            self._write(end='\n')

    def line(self) -> str:
        elapsed = time.perf_counter() - self.start
        rate = self.rate
        parts = [self.label]
        if self.total:
            filled = int(20 * min(self.done, self.total) / self.total)
            parts.append(f'[{"#" * filled}{"-" * (20 - filled)}] {self.done}/{self.total} {self.unit}')
        else:
            parts.append(f'{self.done} {self.unit}')
        parts.append(f'{rate:.1f} {self.unit}/s')
        parts.append(f'{elapsed:.0f}s elapsed')
        if self.total and rate > 0 and self.done < self.total:
            parts.append(f'ETA {(self.total - self.done) / rate:.0f}s')
        return '  '.join(parts)

    def _write(self, end: str) -> None:
        if self.tty:
            self.stream.write('\r' + self.line() + '\033[K' + end)
        else:
            self.stream.write(self.line() + '\n')
        self.stream.flush()
