"""PreemptionWatcher: the first stop signal only raises a flag, a second Ctrl-C gets the default action back, and
forked dataloader workers ignore the signal."""
import os
import signal
import threading

import pytest

from mmext.runtime.preemption import SIGNALS, PreemptionWatcher


@pytest.fixture
def watcher():
    before = {name: signal.getsignal(getattr(signal, name)) for name in SIGNALS}
    watcher = PreemptionWatcher()
    assert watcher.install()
    yield watcher
    watcher.uninstall()
    for name, handler in before.items():  # SIGINT may have been set to its default by the watcher
        signal.signal(getattr(signal, name), handler)


@pytest.mark.parametrize('name', SIGNALS)
def test_the_first_signal_only_raises_the_flag(watcher, name, capfd):
    assert not watcher.should_stop()
    os.kill(os.getpid(), getattr(signal, name))
    assert watcher.received == name and watcher.should_stop()
    assert signal.getsignal(signal.SIGINT) is signal.SIG_DFL  # a second Ctrl-C ends the process at once
    err = capfd.readouterr().err
    assert f'mmext: {name} received (pid {os.getpid()}): finishing the current iteration' in err


def test_a_later_sigterm_is_not_a_second_request(watcher):
    os.kill(os.getpid(), signal.SIGINT)
    os.kill(os.getpid(), signal.SIGTERM)  # torchrun forwards SIGTERM to workers the terminal sent SIGINT
    assert watcher.received == 'SIGINT'


def test_a_forked_worker_ignores_the_signal(watcher):
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            os.write(write, b'stopping' if watcher.received else b'ignored')
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    assert os.read(read, 100) == b'ignored' and watcher.received is None
    os.close(read)
    os.close(write)


def test_uninstall_gives_the_previous_handlers_back():
    def mine(signum, frame):
        pass
    previous = signal.signal(signal.SIGUSR1, mine)
    try:
        watcher = PreemptionWatcher()
        watcher.install()
        assert signal.getsignal(signal.SIGUSR1) == watcher._on_signal
        watcher.uninstall()
        assert signal.getsignal(signal.SIGUSR1) is mine
    finally:
        signal.signal(signal.SIGUSR1, previous)


def test_outside_the_main_thread_nothing_is_installed():
    before = signal.getsignal(signal.SIGTERM)
    result = []
    thread = threading.Thread(target=lambda: result.append(PreemptionWatcher().install()))
    thread.start()
    thread.join()
    assert result == [False] and signal.getsignal(signal.SIGTERM) is before
