"""What the CUDA build of mmcv needs: a CUDA toolkit matching torch's (found, or assembled from the nvidia-* wheels),
and a cache of finished builds. Standard library only (it runs while the venv is being set up).

Usage (each prints its answer on one line, or ``error: ...`` on stderr and exits 1):
    python tools/cuda_build.py toolkit --cuda 13.0          # a CUDA_HOME to build with, or "wheels"
    python tools/cuda_build.py cuda-home NVIDIA_DIR DEST    # assemble DEST (bin, include, lib64) from the wheels
    python tools/cuda_build.py cached-mmcv DIR --torch 2.13.0 --cuda 13.0 --arch-list "9.0"   # a built wheel
    python tools/cuda_build.py mmcv-cache-name --torch 2.13.0 --cuda 13.0 --arch-list "8.0;9.0"
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Callable, Mapping

from cuda_kernels import built_archs, missing, parse_arch_list
from stack_device import Runner, StackError, parse_version, run_command


def nvcc_version(nvcc: str, run: Runner = run_command) -> tuple[int, int] | None:
    """``nvcc --version``'s release as ``(major, minor)``; None when it does not run."""
    try:
        found = re.search(r'release (\d+)\.(\d+)', run([nvcc, '--version']))
    except (OSError, subprocess.SubprocessError):
        return None
    return (int(found.group(1)), int(found.group(2))) if found else None


def nvcc_home(nvcc: str, run: Runner = run_command) -> str:
    """The toolkit folder of ``nvcc``, as nvcc itself reports it (``nvcc`` on PATH may be a wrapper script)."""
    try:
        found = re.search(r'_HERE_=(.+)', run([nvcc, '-dryrun', '-E', '-x', 'cu', os.devnull]))
    except (OSError, subprocess.SubprocessError):
        found = None
    here = Path(found.group(1).strip()) if found else Path(nvcc).resolve().parent
    return str(here.parent)


# What torch 2.13's ATen/cuda headers include beyond the runtime's, so what every CUDA extension build needs. A
# toolkit of nvcc and the runtime alone (as some images ship) fails on the first kernel with "cusparse.h: No such
# file"; the nvidia-* wheels torch depends on carry these headers.
TORCH_NEEDS_HEADERS = ('cusparse.h', 'cublas_v2.h', 'cublasLt.h', 'cusolverDn.h')


def missing_headers(home: str, isfile: Callable = os.path.isfile) -> list[str]:
    """The headers of :data:`TORCH_NEEDS_HEADERS` that ``home/include`` lacks."""
    return [h for h in TORCH_NEEDS_HEADERS if not isfile(os.path.join(home, 'include', h))]


def find_toolkit(env: Mapping[str, str], cuda: str, which: Callable = shutil.which, run: Runner = run_command,
                 isfile: Callable = os.path.isfile) -> str | None:
    """A CUDA toolkit to build mmcv with: ``$CUDA_HOME``, else the one of ``nvcc`` on PATH; None for the wheels.

    A toolkit found on its own that does not match torch's CUDA, or that lacks the library headers torch's own
    headers include (:data:`TORCH_NEEDS_HEADERS`: a toolkit of nvcc and the runtime alone), is passed over (the
    wheels are used); one that ``CUDA_HOME`` names is the user's choice, so either is an error.

    Raises:
        StackError: ``CUDA_HOME`` names no nvcc, one older than torch's CUDA or of another major release, or a
            toolkit without the library headers.
    """
    want = parse_version(cuda)
    if env.get('CUDA_HOME'):
        home = env['CUDA_HOME']
        have = nvcc_version(os.path.join(home, 'bin', 'nvcc'), run)
        unset = (f'unset CUDA_HOME (the set-up then installs nvcc {cuda} as Python wheels) or point it at a '
                 f'CUDA {want[0]}.x toolkit >= {cuda}')
        if have is None:
            raise StackError(f'CUDA_HOME={home} has no working bin/nvcc: {unset}')
        if have[0] != want[0] or have < want:
            raise StackError(f'the CUDA toolkit at CUDA_HOME={home} is {have[0]}.{have[1]}, older than or '
                             f'incompatible with torch 2.13.0\'s CUDA {cuda}: {unset}')
        lacking = missing_headers(home, isfile)
        if lacking:
            raise StackError(f'the CUDA toolkit at CUDA_HOME={home} has no {", ".join(lacking)} in include/ '
                             f'(torch\'s CUDA headers include them): {unset}')
        return home
    nvcc = which('nvcc')
    have = nvcc_version(nvcc, run) if nvcc else None
    if have and have[0] == want[0] and have >= want:
        home = nvcc_home(nvcc, run)
        lacking = missing_headers(home, isfile)
        if not lacking:
            return home
        print(f'[stack] the CUDA toolkit at {home} has no {", ".join(lacking)} (torch\'s CUDA headers include '
              f'them): using nvcc {cuda} and the headers from Python wheels instead', file=sys.stderr)
        return None
    if have:
        print(f'[stack] nvcc {have[0]}.{have[1]} at {nvcc} does not match torch\'s CUDA {cuda}: using nvcc {cuda} '
              'from Python wheels instead', file=sys.stderr)
    return None


def assemble_cuda_home(nvidia_dir: Path, dest: Path) -> Path:
    """A CUDA_HOME for torch's extension builder, made of links into the installed ``nvidia-*`` wheels.

    The wheels put nvcc in ``bin``, headers in ``include`` and ``libcudart.so.13`` in ``lib``; torch's builder
    wants ``lib64`` and links ``-lcudart``, which needs the unversioned ``libcudart.so``.
    """
    if not (nvidia_dir / 'bin' / 'nvcc').exists():
        raise StackError(f'no bin/nvcc under {nvidia_dir}: the nvidia-cuda-nvcc wheel is not installed there')
    shutil.rmtree(dest, ignore_errors=True)
    (dest / 'lib64').mkdir(parents=True)
    for name in ('bin', 'include', 'nvvm'):
        (dest / name).symlink_to(nvidia_dir / name, target_is_directory=True)
    for lib in sorted((nvidia_dir / 'lib').iterdir()):
        (dest / 'lib64' / lib.name).symlink_to(lib)
        unversioned = re.sub(r'\.so\.\d+$', '.so', lib.name)
        if unversioned != lib.name and not (dest / 'lib64' / unversioned).exists():
            (dest / 'lib64' / unversioned).symlink_to(lib)
    return dest


def mmcv_cache_name(torch: str, cuda: str, arch_list: str) -> str:
    """The folder of MMEXT_WHEEL_CACHE that keeps one mmcv build, e.g. ``mmcv-2.1.0-torch2.13.0-cuda13.0-arch8.0_9.0``."""
    archs = '_'.join(f'{ma}.{mi}{"+PTX" if ptx else ""}' for ma, mi, ptx in parse_arch_list(arch_list))
    return f'mmcv-2.1.0-torch{torch}-cuda{cuda}-arch{archs}'


def cached_mmcv(root: Path, torch: str, cuda: str, arch_list: str) -> Path | None:
    """A finished mmcv build in ``root`` for this torch and CUDA whose kernels run on every GPU of ``arch_list``.

    A build for more architectures than asked serves too (say one made for 8.0;9.0 where only 9.0 is visible).
    """
    prefix = mmcv_cache_name(torch, cuda, '0.0')[:-len('0.0')]
    for folder in sorted(root.glob(f'{prefix}*')) if root.is_dir() else ():
        wheels = sorted(folder.glob('mmcv-2.1.0-*.whl'))
        try:
            built = built_archs(folder.name[len(prefix):].replace('_', ';'))
        except ValueError:
            continue  # not one of ours (or the .partial folder of an unfinished build)
        if wheels and not missing(built, arch_list):
            return wheels[0]
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest='command', required=True)
    sub.add_parser('toolkit').add_argument('--cuda', required=True)
    home_cmd = sub.add_parser('cuda-home')
    home_cmd.add_argument('nvidia_dir', type=Path)
    home_cmd.add_argument('dest', type=Path)
    for name in ('cached-mmcv', 'mmcv-cache-name'):
        cache_cmd = sub.add_parser(name)
        if name == 'cached-mmcv':
            cache_cmd.add_argument('root', type=Path)
        cache_cmd.add_argument('--torch', required=True)
        cache_cmd.add_argument('--cuda', required=True)
        cache_cmd.add_argument('--arch-list', required=True)
    args = parser.parse_args(argv)
    try:
        if args.command == 'toolkit':
            print(find_toolkit(os.environ, args.cuda) or 'wheels')
        elif args.command == 'cuda-home':
            print(assemble_cuda_home(args.nvidia_dir, args.dest))
        elif args.command == 'cached-mmcv':
            print(cached_mmcv(args.root, args.torch, args.cuda, args.arch_list) or '')
        else:
            print(mmcv_cache_name(args.torch, args.cuda, args.arch_list))
    except StackError as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
