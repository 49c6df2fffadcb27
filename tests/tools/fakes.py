"""Fake compiled extensions and installed distributions for the set-up tools' tests."""
from __future__ import annotations

import struct
from pathlib import Path

FATBIN_MAGIC = 0xBA55ED50
PTX, CUBIN = 1, 2


def fatbin(entries: list[tuple[int, int]], payload: int = 24) -> bytes:
    """One fat binary with an entry per ``(kind, arch)``, laid out as nvcc writes them (arch at byte 28)."""
    body = b''
    for kind, arch in entries:
        head = struct.pack('<HHIQIIHHI', kind, 0x101, 64, payload, 0, 0, 0, 0, arch)
        body += head.ljust(64, b'\0') + b'\xab' * payload
    return struct.pack('<IHHQ', FATBIN_MAGIC, 1, 16, len(body)) + body


def elf(path: Path, sections: dict[str, bytes]) -> Path:
    """A 64-bit little-endian ELF shared object holding ``sections`` (name -> contents), nothing else."""
    names = b'\0' + b''.join(name.encode() + b'\0' for name in [*sections, '.shstrtab'])
    body, places, pos = b'', {}, 64
    for name, data in sections.items():
        places[name] = (pos, len(data))
        body, pos = body + data, pos + len(data)
    places['.shstrtab'] = (pos, len(names))
    body, pos = body + names, pos + len(names)
    body += b'\0' * (-pos % 8)
    headers = [b'\0' * 64]
    for name, (offset, size) in places.items():
        kind = 3 if name == '.shstrtab' else 1
        headers.append(struct.pack('<IIQQQQIIQQ', names.index(b'\0' + name.encode() + b'\0') + 1, kind, 0, 0,
                                   offset, size, 0, 0, 8, 0))
    ident = b'\x7fELF' + bytes([2, 1, 1, 0]) + b'\0' * 8
    header = ident + struct.pack('<HHIQQQIHHHHHH', 3, 62, 1, 0, 0, 64 + len(body), 0, 64, 0, 0, 64, len(headers),
                                 len(headers) - 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(header + body + b''.join(headers))
    return path


def dist(site: Path, name: str, version: str, files: dict[str, bytes] | None = None,
         extra: dict[str, str] | None = None) -> None:
    """An installed distribution in ``site``: its ``.dist-info`` (METADATA, RECORD) and ``files``."""
    info = site / f'{name.replace("-", "_")}-{version}.dist-info'
    info.mkdir(parents=True)
    (info / 'METADATA').write_text(f'Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n')
    for rel, data in (files or {}).items():
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_bytes(data)
    (info / 'RECORD').write_text(''.join(f'{rel},,\n' for rel in files or {}))
    for filename, text in (extra or {}).items():
        (info / filename).write_text(text)


def fake_run(outputs: dict):
    """A command runner answering by the command's first two words; a missing command fails like a real one."""
    def run(cmd):
        for key, out in outputs.items():
            if ' '.join(cmd).startswith(key):
                if isinstance(out, Exception):
                    raise out
                return out
        raise FileNotFoundError(cmd[0])
    return run
