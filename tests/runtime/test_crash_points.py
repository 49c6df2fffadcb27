"""Crash points (test hooks): each call counts, and MMEXT_TEST_CRASH_AT=N kills the process or fills the disk there."""
import errno
import os
import signal

import pytest

from mmext.runtime.crash_points import CRASH_AT_ENV, crash_point, crash_points_passed


def test_without_the_variable_a_point_only_counts(monkeypatch):
    monkeypatch.delenv(CRASH_AT_ENV, raising=False)
    before = crash_points_passed()
    for _ in range(3):
        crash_point('chunk written')
    assert crash_points_passed() == before + 3


def test_the_named_point_raises_enospc_and_no_other(monkeypatch):
    monkeypatch.setenv(CRASH_AT_ENV, f'{crash_points_passed() + 2}:enospc')
    crash_point('first')
    with pytest.raises(OSError) as err:
        crash_point('before fsync of epoch_1.pth')
    assert err.value.errno == errno.ENOSPC and err.value.filename == 'before fsync of epoch_1.pth'
    crash_point('after')  # past the point: nothing


def test_the_named_point_kills_the_process_with_sigkill():
    target = crash_points_passed() + 2
    pid = os.fork()
    if pid == 0:  # the child: nothing it does may reach pytest
        try:
            os.environ[CRASH_AT_ENV] = str(target)
            crash_point('one')
            crash_point('two')
        finally:
            os._exit(3)  # reached only when the second point did not kill
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
