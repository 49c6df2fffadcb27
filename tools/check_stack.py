"""Check that the virtual environment holds mmext's stack, without importing any of it.

Used by the Makefile so that `make demo` / `make test` start working within seconds on a machine where the
set-up already ran. Exit code 0 when everything is in place, 1 (with the reason) when the installer must run.
The stack is the CPU or the CUDA one, as tools/stack_device.py chooses (MMEXT_DEVICE, else the one the stamp
records, else the NVIDIA driver); the stamp records which one the set-up installed.

Usage:
    .venv/bin/python tools/check_stack.py [--write-stamp]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
from importlib import metadata
from pathlib import Path
from typing import Callable, Mapping

from cuda_kernels import kernel_archs, mmcv_extension, missing
from stack_device import StackError, choose_device, list_gpus, recorded_device

ROOT = Path(__file__).resolve().parent.parent
# Files whose change means the installer has something new to do.
STAMPED = ('requirements.txt', 'setup.cfg', 'pyproject.toml', 'tools/install_stack.sh', 'tools/install_cuda_stack.sh',
           'tools/stack_device.py')
STAMP = Path(sys.prefix) / '.mmext-stack'


def _stamp() -> str:
    digest = hashlib.sha256()
    for name in STAMPED:
        path = ROOT / name
        digest.update(name.encode())
        digest.update(path.read_bytes() if path.exists() else b'')
    return digest.hexdigest()


class Installed:
    """The distributions of one environment: this interpreter's by default, those under ``path`` in tests."""

    def __init__(self, path: list[str] | None = None) -> None:
        self.path = path

    def get(self, name: str) -> metadata.Distribution | None:
        return next(iter(metadata.distributions(name=name, **({'path': self.path} if self.path else {}))), None)

    def version(self, name: str) -> str | None:
        dist = self.get(name)
        return dist.version if dist else None

    def names(self) -> list[str]:
        found = metadata.distributions(**({'path': self.path} if self.path else {}))
        return sorted({d.metadata['Name'] or '' for d in found})


def torch_cuda(installed: Installed) -> str | None:
    """torch's CUDA version (``'13.0'``) as its ``torch/version.py`` states it; None for the CPU build."""
    dist = installed.get('torch')
    version_file = Path(dist.locate_file('torch/version.py')) if dist else None
    if version_file is None or not version_file.exists():
        return None
    found = re.search(r"^cuda\b[^=]*=\s*'([^']+)'", version_file.read_text(), re.MULTILINE)
    return found.group(1) if found else None


def rebuild_command(venv: str) -> str:
    return f'MMEXT_DEVICE=cuda bash tools/install_stack.sh {venv}'


def cuda_problems(installed: Installed, gpus: list[dict], venv: str) -> list[str]:
    """What the CUDA stack lacks: torch's CUDA build, mmcv's CUDA kernels (for the visible GPUs)."""
    found = []
    if torch_cuda(installed) is None:
        found.append(f'torch {installed.version("torch")} is the CPU build, and the CUDA stack was chosen')
    extension = mmcv_extension(installed.get('mmcv'))
    if extension is None or installed.version('mmcv') != '2.1.0':
        return found  # said by the common checks
    archs = kernel_archs(extension)
    if not archs:
        found.append(f'mmcv 2.1.0 is installed WITHOUT its CUDA kernels ({extension.name} has no .nv_fatbin '
                     f'section): rebuild with: {rebuild_command(venv)}')
        return found
    caps = ';'.join(sorted({f'{g["capability"][0]}.{g["capability"][1]}' for g in gpus}))
    if caps and missing(archs, caps):
        found.append(f'mmcv\'s CUDA kernels are for {" ".join(archs)}, which do not run on this machine\'s GPU '
                     f'(compute capability {", ".join(missing(archs, caps))}): rebuild with: {rebuild_command(venv)}')
    return found


def problems(device: str, installed: Installed | None = None, stamp: Path = STAMP,
             gpus: Callable[[], list[dict]] = list_gpus) -> list[str]:
    """Everything that is missing or wrong for the ``device`` stack, as readable lines (empty when complete)."""
    installed = installed or Installed()
    venv = os.path.relpath(sys.prefix) if stamp == STAMP else str(stamp.parent)
    found = []
    torch = installed.version('torch')
    if torch is None or not torch.startswith('2.13.0'):
        found.append(f'torch 2.13.0 wanted, found {torch}')
    cuda = [name for name in installed.names() if name.lower().startswith('nvidia-')]
    if cuda and device == 'cpu':
        found.append(f'CUDA packages were pulled in ({", ".join(cuda[:3])}...): something asked for another torch')
    if installed.version('mmcv') != '2.1.0':
        found.append(f'mmcv 2.1.0 wanted, found {installed.version("mmcv")}')
    elif mmcv_extension(installed.get('mmcv')) is None:
        found.append('mmcv 2.1.0 is installed WITHOUT its compiled ops (mmcv/_ext); it must be built from source')
    if device == 'cuda' and torch is not None:
        found += cuda_problems(installed, gpus(), venv)
    if installed.version('mmengine') != '0.10.7':
        found.append(f'mmengine 0.10.7 wanted, found {installed.version("mmengine")}')
    from packaging.requirements import Requirement  # packaging comes with the stack's first step
    for line in (ROOT / 'requirements.txt').read_text().splitlines():
        line = line.split('#')[0].strip()
        if not line:
            continue
        req = Requirement(line)
        have = installed.version(req.name)
        if have is None or (req.specifier and not req.specifier.contains(have, prereleases=True)):
            found.append(f'{req} wanted, found {have}')
    mmext = installed.get('mmext')
    if mmext is None:
        found.append('mmext is not installed')
    else:
        url = json.loads(mmext.read_text('direct_url.json') or '{}')
        if not url.get('dir_info', {}).get('editable') or not url.get('url', '').endswith(ROOT.as_posix()):
            found.append(f'mmext is installed but not editable from {ROOT}')
    stamped = stamp.read_text().split() if stamp.exists() else []
    stamped_device = stamped[1] if len(stamped) > 1 else 'cpu'  # a stamp of before the CUDA stack: the CPU one
    if stamped and stamped_device != device:
        found.append(f'the set-up installed the {stamped_device} stack, and the {device} stack is chosen now '
                     f'(MMEXT_DEVICE={device}, or an NVIDIA driver found for a venv of before the choice)')
    elif not stamped or stamped[0] != _stamp():
        found.append('the set-up files changed since the last install')
    return found


def ready_line(device: str, installed: Installed) -> str:
    if device == 'cpu':
        return '[stack] ready: torch 2.13.0, mmcv 2.1.0 with ops, mmengine 0.10.7, mmdet 3.3.0, mmext (editable)'
    archs = ' '.join(kernel_archs(mmcv_extension(installed.get('mmcv'))))
    return (f'[stack] ready (CUDA): torch 2.13.0 with CUDA {torch_cuda(installed)}, mmcv 2.1.0 with ops and CUDA '
            f'kernels for {archs}, mmengine 0.10.7, mmdet 3.3.0, mmext (editable)')


def main(argv: list[str] | None = None, env: Mapping[str, str] = os.environ) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--write-stamp', action='store_true', help='record that the stack is complete')
    args = parser.parse_args(argv)
    try:
        device = choose_device(env, recorded=recorded_device(sys.prefix))
    except StackError as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    found = problems(device)
    if args.write_stamp:
        found = [p for p in found if 'set-up files' not in p and 'the set-up installed' not in p]
    if found:
        print('[stack] to install: ' + '; '.join(found))
        return 1
    if args.write_stamp:
        STAMP.write_text(f'{_stamp()} {device}\n')
    print(ready_line(device, Installed()))
    return 0


if __name__ == '__main__':
    sys.exit(main())
