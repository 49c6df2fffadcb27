"""Where a sweep's trials run at the same time: a slice of the GPUs (or a share of the CPUs) and a master port each."""
from __future__ import annotations

import os
import queue
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

from mmext.engine.commands.launch import find_free_port
from mmext.errors import SweepError


@dataclass(frozen=True)
class Slot:
    """One place where a trial runs while others run elsewhere.

    Args:
        index: The slot's number (0 ...), as the progress lines say it.
        processes: Processes per trial (``tools/train.py --gpus K`` / ``--nproc K`` above 1).
        devices: The GPUs of the slot (entries of ``CUDA_VISIBLE_DEVICES``); None on the CPU.
        threads: ``OMP_NUM_THREADS`` of each process on the CPU (the machine's cores shared out); None on GPUs.
    """
    index: int
    processes: int
    devices: tuple[str, ...] | None = None
    threads: int | None = None

    def env(self) -> dict[str, str]:
        """The environment variables a trial in this slot runs with (its GPUs, or its share of the cores)."""
        if self.devices is not None:
            return {'CUDA_VISIBLE_DEVICES': ','.join(self.devices)}
        return {'OMP_NUM_THREADS': str(self.threads)} if self.threads else {}

    def describe(self) -> str:
        """``slot 1 (GPUs 2,3)`` or ``slot 0 (1 CPU process, 4 threads)``."""
        if self.devices is not None:
            return f"slot {self.index} (GPU{'s' if len(self.devices) > 1 else ''} {','.join(self.devices)})"
        plural = 'es' if self.processes > 1 else ''
        return f'slot {self.index} ({self.processes} CPU process{plural}, {self.threads} thread(s) each)'


def visible_gpus(environ: dict | None = None, count: int | None = None) -> list[str]:
    """The GPUs this process may hand out: ``CUDA_VISIBLE_DEVICES``'s entries (ids, UUIDs or MIG names) when it is
    set, else ``0 .. N-1``; empty without CUDA.

    Args:
        environ: The environment to read (defaults to ``os.environ``).
        count: The number of visible CUDA devices (defaults to torch's count).
    """
    environ = os.environ if environ is None else environ
    if count is None:
        import torch
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    listed = environ.get('CUDA_VISIBLE_DEVICES')
    if listed is not None and listed.strip():
        return [d.strip() for d in listed.split(',') if d.strip()][:count]
    return [str(i) for i in range(count)]


def plan_slots(gpus_per_trial: int, parallel: int | None, gpus: list[str], cpus: int) -> list[Slot]:
    """Share the machine out among trials that run at once.

    With GPUs, N visible and K per trial, N // K trials run at once (or ``parallel`` of them), each on its own K
    GPUs. On the CPU, ``parallel`` trials (default 1) run at once, each with K processes, the cores shared out.

    Args:
        gpus_per_trial: K, processes (GPUs) per trial.
        parallel: How many trials at once; None for as many as the GPUs allow (1 on the CPU).
        gpus: The visible GPUs (see :func:`visible_gpus`); empty on a machine without CUDA.
        cpus: The machine's cores.

    Returns:
        One slot per trial that runs at the same time.

    Raises:
        SweepError: K or ``parallel`` below 1, more GPUs per trial than visible, K not dividing the GPUs, or
            ``parallel`` above what the GPUs allow.
    """
    if gpus_per_trial < 1:
        raise SweepError(f'--gpus-per-trial must be >= 1, got {gpus_per_trial}')
    if parallel is not None and parallel < 1:
        raise SweepError(f'--parallel must be >= 1, got {parallel}')
    if not gpus:
        count = parallel or 1
        threads = max(1, cpus // (count * gpus_per_trial))
        return [Slot(i, gpus_per_trial, None, threads) for i in range(count)]
    n, k = len(gpus), gpus_per_trial
    if k > n:
        raise SweepError(f'--gpus-per-trial {k}: only {n} CUDA GPU(s) are visible here; use --gpus-per-trial {n} '
                         'or fewer')
    if n % k:
        fits = [d for d in range(1, n + 1) if n % d == 0]
        raise SweepError(f'--gpus-per-trial {k} leaves {n % k} of the {n} visible GPUs idle; use one of '
                         f"{', '.join(map(str, fits))}, or make {n - n % k} GPUs visible with CUDA_VISIBLE_DEVICES")
    count = n // k
    if parallel is not None:
        if parallel > count:
            raise SweepError(f'--parallel {parallel} with --gpus-per-trial {k} needs {parallel * k} GPUs; {n} are '
                             f'visible here, enough for {count} trial(s) at once')
        count = parallel
    return [Slot(i, k, tuple(gpus[i * k:(i + 1) * k])) for i in range(count)]


class SlotPool:
    """Lends each running trial a free slot and a master port that no other running trial of the sweep holds.

    The ports are picked free from the operating system when a trial starts and checked against the ones in use,
    so two trials that start together never meet in one rendezvous.
    """

    def __init__(self, slots: list[Slot]) -> None:
        self.slots = list(slots)
        self._free: queue.Queue[Slot] = queue.Queue()
        for slot in self.slots:
            self._free.put(slot)
        self._ports: set[int] = set()
        self._lock = threading.Lock()

    @property
    def in_process(self) -> bool:
        """Whether trials train inside the sweep's process: one slot of one process, no GPU slice to set."""
        return len(self.slots) == 1 and self.slots[0].processes == 1

    @contextmanager
    def take(self) -> Iterator[tuple[Slot, int]]:
        """Wait for a free slot; yield it with a master port; give both back afterwards."""
        slot = self._free.get()
        with self._lock:
            port = find_free_port()
            while port in self._ports:
                port = find_free_port()
            self._ports.add(port)
        try:
            yield slot, port
        finally:
            with self._lock:
                self._ports.discard(port)
            self._free.put(slot)
