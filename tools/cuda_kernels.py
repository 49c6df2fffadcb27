"""Which GPU architectures a compiled extension (mmcv/_ext*.so) holds CUDA kernels for, read without importing it.

nvcc embeds the device code of every translation unit as a "fat binary" in the ELF section ``.nv_fatbin``; each
entry of it is a cubin (machine code for one ``sm_XY``) or PTX (``compute_XY``, compiled by the driver for newer
GPUs). Standard library only, so tools/check_stack.py can tell a CPU-only mmcv build from a CUDA one in
milliseconds and without torch.

Usage:
    python tools/cuda_kernels.py PATH.so                  # e.g. "sm_80 sm_90 (412 cubins, 0 PTX)"; exit 1: none
    python tools/cuda_kernels.py --mmcv [--need "8.0;9.0"]   # the installed mmcv; exit 1: no kernels for those
"""
from __future__ import annotations

import argparse
import re
import struct
import sys
from importlib import metadata
from pathlib import Path

FATBIN_SECTION = '.nv_fatbin'
FATBIN_MAGIC = 0xBA55ED50
KINDS = {1: 'compute', 2: 'sm'}  # an entry's kind: 1 = PTX, 2 = ELF cubin


def elf_section(path: Path, name: str) -> tuple[int, int] | None:
    """(offset, size) of section ``name`` in a 64-bit little-endian ELF file; None when it has none.

    Raises:
        ValueError: the file is not such an ELF file.
    """
    with open(path, 'rb') as f:
        head = f.read(64)
        if head[:4] != b'\x7fELF' or head[4] != 2 or head[5] != 1:
            raise ValueError(f'{path} is not a 64-bit little-endian ELF file')
        shoff, = struct.unpack_from('<Q', head, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from('<HHH', head, 0x3A)
        f.seek(shoff)
        table = f.read(shentsize * shnum)
        sections = [struct.unpack_from('<IIQQQQ', table, i * shentsize) for i in range(shnum)]
        names_offset, names_size = sections[shstrndx][4], sections[shstrndx][5]
        f.seek(names_offset)
        names = f.read(names_size)
    for sh_name, _type, _flags, _addr, offset, size in sections:
        if names[sh_name:names.index(b'\0', sh_name)].decode() == name:
            return offset, size
    return None


def fatbin_entries(data: bytes) -> list[str]:
    """The architecture of every entry of the fat binaries in ``data``, e.g. ``['sm_80', 'sm_90', 'compute_90']``.

    Layout (what cuobjdump reads): a 16-byte header per fat binary (magic, version, header size, size of the
    entries), then entries, each with a header of its own (kind at 0, header size at 4, payload size at 8,
    architecture at 28). Fat binaries of several translation units follow each other, padded to 8 bytes.
    """
    archs, pos = [], 0
    while pos + 16 <= len(data):
        magic, _version, header, size = struct.unpack_from('<IHHQ', data, pos)
        if magic != FATBIN_MAGIC:
            pos += 8  # padding between two fat binaries
            continue
        entry, end = pos + header, min(pos + header + size, len(data))
        while entry + 32 <= end:
            kind, _ver, entry_header, payload = struct.unpack_from('<HHIQ', data, entry)
            arch, = struct.unpack_from('<I', data, entry + 28)
            archs.append(f'{KINDS.get(kind, "unknown")}_{arch}')
            entry += entry_header + payload
        pos = end
    return archs


def parse_arch_list(text: str) -> list[tuple[int, int, bool]]:
    """``TORCH_CUDA_ARCH_LIST`` (``'8.0;9.0+PTX'``, spaces work too) as ``[(8, 0, False), (9, 0, True)]``."""
    archs = []
    for item in re.split(r'[;\s]+', text.strip()):
        found = re.fullmatch(r'(\d+)\.(\d+)(\+PTX)?', item)
        if not found:
            raise ValueError(f'{item!r} in TORCH_CUDA_ARCH_LIST={text!r} is not of the form 8.0 or 9.0+PTX')
        archs.append((int(found.group(1)), int(found.group(2)), bool(found.group(3))))
    return archs


def runs_on(archs: list[str], cap: tuple[int, int]) -> bool:
    """Whether code for ``archs`` (``sm_80``: a cubin, ``compute_90``: PTX) runs on a GPU of capability ``cap``.

    A cubin runs on the same major at an equal or higher minor; PTX is compiled by the driver for any newer GPU.
    """
    for arch in archs:
        found = re.fullmatch(r'(sm|compute)_(\d+)(\d)[af]?', arch)
        if not found:
            continue
        kind, major, minor = found.group(1), int(found.group(2)), int(found.group(3))
        if (kind == 'sm' and major == cap[0] and minor <= cap[1]) or (kind == 'compute' and (major, minor) <= cap):
            return True
    return False


def built_archs(arch_list: str) -> list[str]:
    """What a build with ``TORCH_CUDA_ARCH_LIST=arch_list`` holds: ``'8.0;9.0+PTX'`` -> sm_80, sm_90, compute_90."""
    out = []
    for major, minor, ptx in parse_arch_list(arch_list):
        out += [f'sm_{major}{minor}'] + ([f'compute_{major}{minor}'] if ptx else [])
    return out


def missing(archs: list[str], arch_list: str) -> list[str]:
    """The entries of ``arch_list`` (``'8.0;9.0'``) that kernels for ``archs`` do not run on."""
    return [f'{major}.{minor}' for major, minor, _ptx in parse_arch_list(arch_list)
            if not runs_on(archs, (major, minor))]


def mmcv_extension(dist: metadata.Distribution | None) -> Path | None:
    """The compiled extension (``mmcv/_ext*.so``) of an installed mmcv, found from its file list; None without."""
    for file in (dist.files or ()) if dist else ():
        if str(file).startswith('mmcv/_ext') and str(file).endswith('.so'):
            return Path(dist.locate_file(file))
    return None


def kernel_archs(path: Path) -> list[str]:
    """Sorted distinct architectures of ``path``'s CUDA kernels; empty for a build without CUDA."""
    found = elf_section(path, FATBIN_SECTION)
    if found is None:
        return []
    with open(path, 'rb') as f:
        f.seek(found[0])
        entries = fatbin_entries(f.read(found[1]))
    return sorted(set(entries), key=lambda a: (int(a.split('_')[1]), a))


def describe(path: Path) -> str:
    """One line: the architectures and how many cubins and PTX entries ``path`` holds."""
    found = elf_section(path, FATBIN_SECTION)
    if found is None:
        return 'no CUDA kernels (no .nv_fatbin section)'
    with open(path, 'rb') as f:
        f.seek(found[0])
        entries = fatbin_entries(f.read(found[1]))
    cubins = sum(e.startswith('sm_') for e in entries)
    return f'{" ".join(kernel_archs(path))} ({cubins} cubins, {len(entries) - cubins} PTX)'


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument('path', nargs='?', type=Path, help='a compiled extension (.so)')
    where.add_argument('--mmcv', action='store_true', help="the installed mmcv's extension")
    parser.add_argument('--need', help='exit 1 unless the kernels run on each of these (TORCH_CUDA_ARCH_LIST form)')
    args = parser.parse_args(argv)
    path = mmcv_extension(next(iter(metadata.distributions(name='mmcv')), None)) if args.mmcv else args.path
    if path is None:
        print('mmcv with a compiled extension is not installed')
        return 1
    print(f'{path}: {describe(path)}')
    archs = kernel_archs(path)
    return 0 if archs and not (args.need and missing(archs, args.need)) else 1


if __name__ == '__main__':
    sys.exit(main())
