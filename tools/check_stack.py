"""Check that the virtual environment holds mmext's stack, without importing any of it.

Used by the Makefile so that `make demo` / `make test` start working within seconds on a machine where the
set-up already ran. Exit code 0 when everything is in place, 1 (with the reason) when the installer must run.

Usage:
    .venv/bin/python tools/check_stack.py [--write-stamp]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Files whose change means the installer has something new to do.
STAMPED = ('requirements.txt', 'setup.cfg', 'pyproject.toml', 'tools/install_stack.sh')
STAMP = Path(sys.prefix) / '.mmext-stack'


def _stamp() -> str:
    digest = hashlib.sha256()
    for name in STAMPED:
        path = ROOT / name
        digest.update(name.encode())
        digest.update(path.read_bytes() if path.exists() else b'')
    return digest.hexdigest()


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def problems() -> list[str]:
    """Everything that is missing or wrong, as readable lines (empty when the stack is complete)."""
    found = []
    torch = _version('torch')
    if torch is None or not torch.startswith('2.13.0'):
        found.append(f'torch 2.13.0 wanted, found {torch}')
    cuda = sorted(d.metadata['Name'] for d in metadata.distributions()
                  if (d.metadata['Name'] or '').lower().startswith('nvidia-'))
    if cuda:
        found.append(f'CUDA packages were pulled in ({", ".join(cuda[:3])}...): something asked for another torch')
    if _version('mmcv') != '2.1.0':
        found.append(f'mmcv 2.1.0 wanted, found {_version("mmcv")}')
    elif not any(str(f).startswith('mmcv/_ext') for f in metadata.files('mmcv') or ()):
        found.append('mmcv 2.1.0 is installed WITHOUT its compiled ops (mmcv/_ext); it must be built from source')
    if _version('mmengine') != '0.10.7':
        found.append(f'mmengine 0.10.7 wanted, found {_version("mmengine")}')
    from packaging.requirements import Requirement  # packaging comes with the stack's first step
    for line in (ROOT / 'requirements.txt').read_text().splitlines():
        line = line.split('#')[0].strip()
        if not line:
            continue
        req = Requirement(line)
        have = _version(req.name)
        if have is None or (req.specifier and not req.specifier.contains(have, prereleases=True)):
            found.append(f'{req} wanted, found {have}')
    try:
        url = json.loads(metadata.distribution('mmext').read_text('direct_url.json') or '{}')
        if not url.get('dir_info', {}).get('editable') or not url.get('url', '').endswith(ROOT.as_posix()):
            found.append(f'mmext is installed but not editable from {ROOT}')
    except metadata.PackageNotFoundError:
        found.append('mmext is not installed')
    if not STAMP.exists() or STAMP.read_text().strip() != _stamp():
        found.append('the set-up files changed since the last install')
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--write-stamp', action='store_true', help='record that the stack is complete')
    args = parser.parse_args(argv)
    found = problems() if not args.write_stamp else [p for p in problems() if 'set-up files' not in p]
    if found:
        print('[stack] to install: ' + '; '.join(found))
        return 1
    if args.write_stamp:
        STAMP.write_text(_stamp() + '\n')
    print('[stack] ready: torch 2.13.0, mmcv 2.1.0 with ops, mmengine 0.10.7, mmdet 3.3.0, mmext (editable)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
