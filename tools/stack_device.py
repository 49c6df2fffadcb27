"""Which stack the set-up installs on this machine (CPU or CUDA), and the checks a CUDA set-up makes first.

Standard library only: it runs before anything is installed (tools/install_stack.sh, tools/check_stack.py).

Usage (each prints its answer on one line, or ``error: ...`` on stderr and exits 1):
    python tools/stack_device.py choose [--venv VENV]         # cpu | cuda
    python tools/stack_device.py arch-list                    # TORCH_CUDA_ARCH_LIST for the mmcv build
    python tools/stack_device.py check-gpus --cuda 13.0 [--torch-archs "sm_75 sm_80 ..."]
    python tools/stack_device.py disk PATH --need-gb 12       # enough free space for the CUDA wheels?
    python tools/stack_device.py cuda-packages                # the installed CUDA-only distributions
    python tools/stack_device.py recorded VENV                # the stack VENV's set-up recorded (or nothing)
    python tools/stack_device.py require-gpu                  # exit 1 with one line when nvidia-smi lists none
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Callable, Mapping

from cuda_kernels import runs_on

DEVICES = ('cpu', 'cuda')
# Covers A100 (8.0; 8.6/8.9 run sm_80 code too) and H100/H200 (9.0) when no GPU is visible at build time.
DEFAULT_ARCH_LIST = '8.0;9.0'
# Oldest compute capability and driver each CUDA major release supports (CUDA 13 dropped Maxwell to Volta).
MIN_CAPABILITY = {12: (5, 0), 13: (7, 5)}
MIN_DRIVER = {12: 525, 13: 580}
DRIVER_FILE = Path('/proc/driver/nvidia/version')
# Distributions that come with the CUDA build of torch only (its nvidia-* libraries, cuda-bindings, triton).
CUDA_ONLY_PREFIXES = ('nvidia-', 'nvidia_', 'cuda-', 'cuda_')

Runner = Callable[[list], str]


class StackError(Exception):
    """The machine cannot get the stack it asks for; the message says what to do."""


def run_command(cmd: list) -> str:
    """stdout and then stderr of ``cmd``; raises OSError or CalledProcessError when it cannot run or fails."""
    done = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=60)
    return done.stdout + done.stderr


def driver_present(driver_file: Path = DRIVER_FILE, which: Callable = shutil.which, run: Runner = run_command
                   ) -> bool:
    """Whether an NVIDIA driver is loaded: its /proc file, or an ``nvidia-smi`` that lists a GPU."""
    if driver_file.exists():
        return True
    if which('nvidia-smi') is None:
        return False
    try:
        return 'GPU' in run(['nvidia-smi', '-L'])
    except (OSError, subprocess.SubprocessError):
        return False  # nvidia-smi without a working driver (a container without the GPU passed in)


def recorded_device(venv: str | Path) -> str | None:
    """The stack a finished set-up of ``venv`` recorded in its stamp (tools/check_stack.py); None before one."""
    stamp = Path(venv) / '.mmext-stack'
    words = stamp.read_text().split() if stamp.exists() else []
    return words[1] if len(words) > 1 and words[1] in DEVICES else None  # a stamp of before the choice: none


def choose_device(env: Mapping[str, str] = os.environ, detect: Callable[[], bool] = driver_present,
                  recorded: str | None = None) -> str:
    """``cpu`` or ``cuda``: ``MMEXT_DEVICE`` when set, else the stack the venv was set up with (``recorded``), else
    ``cuda`` exactly when an NVIDIA driver is found.

    Keeping a venv's stack unless asked lets ``make test VENV=.venv-cuda`` use the CUDA stack on a machine
    without a GPU, and keeps a GPU machine's CPU venv (``MMEXT_DEVICE=cpu`` once) as it is.

    Raises:
        StackError: ``MMEXT_DEVICE`` holds something else.
    """
    wanted = env.get('MMEXT_DEVICE', '').strip().lower()
    if wanted:
        if wanted not in DEVICES:
            raise StackError(f'MMEXT_DEVICE={env["MMEXT_DEVICE"]!r} is not one of cpu, cuda: set MMEXT_DEVICE=cpu '
                             'or MMEXT_DEVICE=cuda, or unset it to detect the NVIDIA driver')
        return wanted
    if recorded:
        return recorded
    return 'cuda' if detect() else 'cpu'


def list_gpus(run: Runner = run_command) -> list[dict]:
    """The visible GPUs as ``dict(index, name, capability=(major, minor), driver)``; empty when none is."""
    try:
        out = run(['nvidia-smi', '--query-gpu=index,name,compute_cap,driver_version', '--format=csv,noheader'])
    except (OSError, subprocess.SubprocessError):
        return []
    gpus = []
    for line in out.strip().splitlines():
        found = re.fullmatch(r'\s*(\d+),\s*(.+?),\s*(\d+)\.(\d+),\s*([\d.]+)\s*', line)
        if found:  # anything else is a warning nvidia-smi printed
            index, name, major, minor, driver = found.groups()
            gpus.append(dict(index=int(index), name=name, capability=(int(major), int(minor)), driver=driver))
    return gpus


def require_gpu(gpus: list[dict]) -> None:
    """Raises StackError (what to do) when no GPU is visible."""
    if not gpus:
        raise StackError('no NVIDIA GPU visible (nvidia-smi lists none): the GPU check needs a machine with one; '
                         'on this machine, make check-cuda-stack checks the CUDA stack without a GPU')


def arch_list(env: Mapping[str, str], gpus: list[dict]) -> str:
    """``TORCH_CUDA_ARCH_LIST`` for the build: the user's, else the visible GPUs', else :data:`DEFAULT_ARCH_LIST`."""
    if env.get('TORCH_CUDA_ARCH_LIST', '').strip():
        return env['TORCH_CUDA_ARCH_LIST'].strip()
    caps = sorted({gpu['capability'] for gpu in gpus})
    return ';'.join(f'{major}.{minor}' for major, minor in caps) or DEFAULT_ARCH_LIST


def parse_version(text: str) -> tuple[int, int]:
    """``'13.0'`` (or ``'580.95.05'``) -> ``(13, 0)``."""
    major, minor = (text.strip().split('.') + ['0'])[:2]
    return int(major), int(minor)


def check_gpus(gpus: list[dict], cuda: str, torch_archs: str | None = None) -> None:
    """Refuse a GPU or driver that torch's CUDA build cannot use, before gigabytes are downloaded for it.

    Args:
        gpus: from :func:`list_gpus`.
        cuda: torch's CUDA version, e.g. ``'13.0'``.
        torch_archs: torch's compiled architectures (``torch._C._cuda_getArchFlags()``, e.g. ``'sm_75 sm_80'``),
            once torch is installed; before that only CUDA's own lower bound is checked.

    Raises:
        StackError: naming the GPU, what it lacks and what to do.
    """
    major = parse_version(cuda)[0]
    fix = 'or set MMEXT_DEVICE=cpu for the CPU stack'
    for gpu in gpus:
        driver = parse_version(gpu['driver'])[0]
        if driver < MIN_DRIVER.get(major, 0):
            raise StackError(f'NVIDIA driver {gpu["driver"]} is too old for torch 2.13.0 built with CUDA {cuda} '
                             f'(it needs driver {MIN_DRIVER[major]} or newer): update the driver, {fix}')
        cap = gpu['capability']
        label = f'GPU {gpu["index"]} ({gpu["name"]}) has compute capability {cap[0]}.{cap[1]}'
        if cap < MIN_CAPABILITY.get(major, (0, 0)):
            low = MIN_CAPABILITY[major]
            raise StackError(f'{label}; CUDA {cuda} (torch 2.13.0) supports {low[0]}.{low[1]} and newer: use a '
                             f'newer GPU, {fix}')
        if torch_archs and not runs_on(torch_archs.split(), cap):
            raise StackError(f'{label}; torch 2.13.0 (CUDA {cuda}) has kernels for {torch_archs} only: use a GPU '
                             f'it supports, {fix}')


def cuda_packages(distributions: Callable = metadata.distributions) -> list[str]:
    """Names of the installed distributions that only the CUDA stack has (``nvidia-*``, ``cuda-*``, triton)."""
    names = {(dist.metadata['Name'] or '') for dist in distributions()}
    return sorted(n for n in names if n.lower().startswith(CUDA_ONLY_PREFIXES) or n.lower() == 'triton')


def check_disk(path: str, need_gb: float, usage: Callable = shutil.disk_usage) -> None:
    """Raises StackError when the file system of ``path`` has less than ``need_gb`` GB free."""
    probe = Path(path)
    while not probe.exists():
        probe = probe.parent
    free = usage(probe).free / 1e9
    if free < need_gb:
        raise StackError(f'only {free:.1f} GB free on the disk of {path}; the CUDA stack (torch and its nvidia-* '
                         f'wheels) needs about {need_gb:g} GB there: free some space, or set MMEXT_DEVICE=cpu')


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest='command', required=True)
    sub.add_parser('choose').add_argument('--venv', help='keep the stack this venv was set up with')
    sub.add_parser('arch-list')
    gpus_cmd = sub.add_parser('check-gpus')
    gpus_cmd.add_argument('--cuda', required=True)
    gpus_cmd.add_argument('--torch-archs')
    disk_cmd = sub.add_parser('disk')
    disk_cmd.add_argument('path')
    disk_cmd.add_argument('--need-gb', type=float, required=True)
    sub.add_parser('cuda-packages')
    sub.add_parser('require-gpu')
    sub.add_parser('recorded').add_argument('venv')
    args = parser.parse_args(argv)
    try:
        if args.command == 'choose':
            print(choose_device(recorded=recorded_device(args.venv) if args.venv else None))
        elif args.command == 'arch-list':
            print(arch_list(os.environ, list_gpus()))
        elif args.command == 'check-gpus':
            check_gpus(list_gpus(), args.cuda, args.torch_archs)
        elif args.command == 'recorded':
            print(recorded_device(args.venv) or '')
        elif args.command == 'require-gpu':
            require_gpu(list_gpus())
        elif args.command == 'cuda-packages':
            print(' '.join(cuda_packages()))
        else:
            check_disk(args.path, args.need_gb)
    except StackError as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
