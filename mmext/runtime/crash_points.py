"""Test hooks: the points where the crash tests kill a process on purpose, to prove that no work is lost there.

A product path calls :func:`crash_point` at every moment a crash must be survivable (each chunk of a checkpoint
written, before fsync, after rename, before an old checkpoint is removed). Normally it only counts. With the
environment variable ``MMEXT_TEST_CRASH_AT=N`` (set only by mmext's own tests) the process SIGKILLs itself at
the N-th point, and with ``MMEXT_TEST_CRASH_AT=N:enospc`` that point raises ENOSPC (a full disk) instead.
"""
from __future__ import annotations

import errno
import os
import signal

CRASH_AT_ENV = 'MMEXT_TEST_CRASH_AT'
_passed = 0


def crash_point(name: str) -> None:
    """Count one moment at which a crash must be survivable; crash there when ``MMEXT_TEST_CRASH_AT`` asks.

    Args:
        name: What has just happened (for the message of an injected ENOSPC).

    Raises:
        OSError: ENOSPC, when the variable ends in ``:enospc`` and names this point.
    """
    global _passed
    _passed += 1
    wanted = os.environ.get(CRASH_AT_ENV)
    if not wanted:
        return
    point, _, action = wanted.partition(':')
    if int(point) != _passed:
        return
    if action == 'enospc':
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), name)
    os.kill(os.getpid(), signal.SIGKILL)


def crash_points_passed() -> int:
    """How many crash points this process has passed (tests use it to aim ``MMEXT_TEST_CRASH_AT``)."""
    return _passed
