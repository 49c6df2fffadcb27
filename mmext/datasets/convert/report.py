"""The report of a conversion or merge: what was read, and every file, image or object that was skipped or changed."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

UNITS = ('file', 'image', 'annotation')


@dataclass
class Entry:
    """One thing that was skipped or changed, with where to find it in the source.

    Attributes:
        unit: ``'file'``, ``'image'`` or ``'annotation'`` for what was skipped; ``'note'`` for a change that kept it.
        source: The source file (label file, xml, json).
        where: Where in it (``'line 3'``, ``"object 2 ('dog')"``); empty for the whole file.
        what: What is wrong, and what was done about it.
        reason: A short key that groups entries in the counts (``'class index out of range'``).
    """
    unit: str
    source: str
    where: str
    what: str
    reason: str

    def line(self) -> str:
        place = f'{self.source}: {self.where}' if self.where else self.source
        return f'{place}: {self.what}'


@dataclass
class ConvertReport:
    """Everything a conversion did not take as it was, and the counts of what it did take.

    Attributes:
        source: What was converted (the folder or file given).
        files: Source files read.
        entries: Every skip and note, in the order found.
    """
    source: str
    files: int = 0
    entries: list[Entry] = field(default_factory=list)

    def skip(self, unit: str, source: str, where: str, what: str, reason: str) -> None:
        """Record that a file, image or annotation was left out (``what`` says why)."""
        if unit not in UNITS:
            raise ValueError(f'unit must be one of {UNITS}, got {unit!r}')
        self.entries.append(Entry(unit, source, where, what, reason))

    def note(self, source: str, where: str, what: str, reason: str) -> None:
        """Record a change that kept the thing (a clipped box, a size taken from the file)."""
        self.entries.append(Entry('note', source, where, what, reason))

    def skipped(self, unit: str) -> int:
        return sum(e.unit == unit for e in self.entries)

    def counts(self) -> dict[str, Counter]:
        """``{unit: Counter(reason)}`` for the units that have entries."""
        out: dict[str, Counter] = {}
        for e in self.entries:
            out.setdefault(e.unit, Counter())[e.reason] += 1
        return out

    def summary(self) -> str:
        """``'skipped: 2 annotations (1 class index out of range, 1 bbox outside the image)'``, or 'nothing skipped'."""
        counts = self.counts()
        parts = []
        for unit in UNITS:
            if unit in counts:
                n = sum(counts[unit].values())
                why = ', '.join(f'{k} {r}' for r, k in counts[unit].most_common())
                parts.append(f'{n} {unit}{"s" if n != 1 else ""} ({why})')
        line = 'skipped: ' + '; '.join(parts) if parts else 'nothing skipped'
        if 'note' in counts:
            n = sum(counts['note'].values())
            line += f'; {n} change{"s" if n != 1 else ""} (' + ', '.join(
                f'{k} {r}' for r, k in counts['note'].most_common()) + ')'
        return line

    def format_lines(self, max_per_reason: int = 20) -> list[str]:
        """One line per entry (``skipped ...`` / ``note ...``), at most ``max_per_reason`` of each reason."""
        shown: Counter = Counter()
        lines = []
        for e in self.entries:
            key = (e.unit, e.reason)
            shown[key] += 1
            if shown[key] <= max_per_reason:
                head = 'note' if e.unit == 'note' else f'skipped {e.unit}'
                lines.append(f'{head}: {e.line()}')
        for (unit, reason), n in shown.items():
            if n > max_per_reason:
                lines.append(f'... and {n - max_per_reason} more {unit} entries: {reason}')
        return lines
