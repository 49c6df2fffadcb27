"""An annotation file mapped into memory and read a part at a time, its pages given back once read.

``f.read()`` keeps the whole file (356 MB for COCO train) in the process until the columns are made. Mapped,
the file's bytes stay in the operating system's page cache: each part the loader reads is faulted in, and
:func:`release` drops it from the process again (``MADV_DONTNEED``; a later read of it faults it in again from
the cache, or from the disk), so the process holds only the part being read. Where mapping is not available
(an empty file, a system without ``madvise``), the file is read as bytes and :func:`release` does nothing.
"""
from __future__ import annotations

import mmap
from typing import BinaryIO, Union

Buffer = Union[bytes, mmap.mmap]
BLOCK = 1 << 24  # bytes copied at a time by a whole-file scan


def read_mapped(f: BinaryIO, size: int) -> Buffer:
    """The content of the open file ``f`` (``size`` bytes): a read-only mapping, or bytes where a mapping
    cannot give its pages back."""
    if size == 0 or not hasattr(mmap, 'MADV_DONTNEED'):
        return f.read()
    try:
        return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError):  # not a regular file (a pipe, a special file system)
        return f.read()


def release(buffer: Buffer, start: int = 0, end: int | None = None) -> None:
    """Give back the pages of ``buffer[start:end]`` that lie wholly inside it (a mapping; bytes: nothing)."""
    if not isinstance(buffer, mmap.mmap):
        return
    end = len(buffer) if end is None else end
    first = -(-start // mmap.PAGESIZE) * mmap.PAGESIZE
    last = end if end == len(buffer) else end // mmap.PAGESIZE * mmap.PAGESIZE
    if last > first:
        buffer.madvise(mmap.MADV_DONTNEED, first, last - first)


def as_bytes(buffer: Buffer) -> bytes:
    """``buffer`` as bytes (for readers that take nothing else: the json module)."""
    return buffer if isinstance(buffer, bytes) else buffer[:]


def is_ascii(buffer: Buffer) -> bool:
    """``bytes.isascii`` of ``buffer`` (a mapping: a block at a time, never copied whole)."""
    if isinstance(buffer, bytes):
        return buffer.isascii()
    return all(buffer[start:start + BLOCK].isascii() for start in range(0, len(buffer), BLOCK))
