"""Stopping on SIGTERM / SIGINT / SIGUSR1 at an iteration every rank agrees on.

Slurm sends SIGTERM (or, with ``--signal``, SIGUSR1) some time before it kills a job; a person presses Ctrl-C.
The first such signal only raises a flag. After each iteration the ranks combine their flags (a max all-reduce,
gloo or NCCL), so if any rank was signalled, all of them stop after that same iteration, save one checkpoint and
exit with :data:`PREEMPTED_EXIT_CODE`. After the first signal, SIGINT gets the operating system's default action
back: a second Ctrl-C ends the process at once, even inside a long C call. A SIGTERM after the first signal is not
a second request: torchrun's agent forwards SIGTERM to workers that the terminal has already sent SIGINT.
Dataloader workers forked after :meth:`PreemptionWatcher.install` inherit the handler; in them it does nothing
(the main process decides, and a worker that stopped on Ctrl-C would fail the iteration being finished).
"""
from __future__ import annotations

import os
import signal
import threading

import torch
from mmengine.dist import all_reduce, get_world_size

# EX_TEMPFAIL from sysexits.h: "a temporary failure; the user is invited to retry": the run stopped on a signal
# after saving a checkpoint, and the same command with --resume continues it exactly.
PREEMPTED_EXIT_CODE = 75
# A file that rank 0 creates when it exits for a preemption, so that a parent which started torchrun (whose own
# exit code is 1 for any worker failure) can still exit with PREEMPTED_EXIT_CODE.
PREEMPTED_MARKER_ENV = 'MMEXT_PREEMPTED_MARKER'

SIGNALS = ('SIGTERM', 'SIGINT', 'SIGUSR1')


class PreemptionWatcher:
    """Catches the stop signals of one process and tells, collectively, whether the run must stop."""

    def __init__(self) -> None:
        self.received: str | None = None
        self._previous: dict = {}
        self._pid = os.getpid()

    def install(self) -> bool:
        """Catch the signals; False (nothing changed) outside the main thread, where Python cannot."""
        if threading.current_thread() is not threading.main_thread():
            return False
        self._pid = os.getpid()
        for name in SIGNALS:
            if hasattr(signal, name):
                self._previous[name] = signal.signal(getattr(signal, name), self._on_signal)
        return True

    def uninstall(self) -> None:
        """Give the signals back to the handlers they had before :meth:`install`."""
        for name, handler in self._previous.items():
            signal.signal(getattr(signal, name), handler)
        self._previous = {}

    def _on_signal(self, signum: int, frame) -> None:
        if self.received is not None or os.getpid() != self._pid:
            return  # already stopping, or a dataloader worker
        self.received = signal.Signals(signum).name
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        # os.write, not print: a signal handler may interrupt a print on the same stream.
        os.write(2, f'\nmmext: {self.received} received (pid {os.getpid()}): finishing the current iteration, '
                    'then saving a checkpoint. Press Ctrl-C again to exit at once.\n'.encode())

    def should_stop(self) -> bool:
        """Whether any rank was signalled; with several ranks a collective call that every rank must make."""
        flag = torch.tensor([1 if self.received else 0], dtype=torch.int32)
        if get_world_size() > 1:
            all_reduce(flag, op='max')
        return bool(flag.item())
