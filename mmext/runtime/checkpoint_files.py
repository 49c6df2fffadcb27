"""Atomic checkpoint files: a crash at any moment leaves either the old file or the new one, never half of one.

mmengine writes a checkpoint straight to its final path (and ``last_checkpoint`` with a plain ``open('w')``), so a
process killed mid-write leaves a truncated ``epoch_N.pth`` and possibly a pointer to it. Here every file goes to a
temporary name in the same folder, is flushed and fsynced, renamed over the final name (atomic on POSIX), and the
folder is fsynced so that the rename itself survives a power cut.

mmengine reaches this through its own file-backend mechanism: :func:`atomic_backend_args` gives ``backend_args``
that select :class:`AtomicLocalBackend`, whose ``put`` is :func:`atomic_write_bytes`.

A full disk during a write raises :class:`DiskFullError`; the temporary file is removed and the previous file
stays as it was.

Every moment at which a crash must be survivable is a :func:`~mmext.runtime.crash_points.crash_point`, where the
kill tests crash the process on purpose.
"""
from __future__ import annotations

import errno
import glob
import os
import os.path as osp
import uuid

from mmengine.fileio.backends import LocalBackend, register_backend
from mmengine.fileio.backends.registry_utils import backends as _registered_backends

from mmext.errors import DiskFullError, RegistrationError
from mmext.runtime.crash_points import crash_point

ATOMIC_BACKEND = 'mmext_atomic_local'
POINTER_FILE = 'last_checkpoint'
_TMP_MARK = '.mmext-tmp-'
_MAX_CHUNK = 1 << 20  # 1 MiB: few syscalls for large files, several fault points for the small test files


def atomic_write_bytes(data: bytes | bytearray | memoryview, path: str) -> None:
    """Write ``data`` to ``path`` so that ``path`` is always either the old file or the complete new one.

    Args:
        data: The bytes to write.
        path: The final file path; its folder is created if missing.

    Raises:
        DiskFullError: No space (or quota) left; ``path`` and the folder are unchanged.
        OSError: Any other write error; ``path`` is unchanged.
    """
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp = osp.join(folder, f'.{osp.basename(path)}{_TMP_MARK}{os.getpid()}-{uuid.uuid4().hex[:8]}')
    view = memoryview(data).cast('B')
    chunk = max(1, min(_MAX_CHUNK, -(-len(view) // 4)))
    written = 0
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # 0o666 & umask, like open('wb')
        with os.fdopen(fd, 'wb') as f:
            while written < len(view):
                f.write(view[written:written + chunk])
                written = min(len(view), written + chunk)
                crash_point(f'wrote {written} of {len(view)} bytes of {tmp}')
            f.flush()
            os.fsync(f.fileno())
        crash_point(f'fsynced {tmp}')
        os.replace(tmp, path)
        crash_point(f'renamed {tmp} to {path}')
        _fsync_dir(folder)
    except BaseException as err:
        _remove_quietly(tmp)
        if isinstance(err, OSError) and err.errno in (errno.ENOSPC, errno.EDQUOT):
            raise DiskFullError(
                f'disk full: no space left on the device of {folder} while writing {path} '
                f'({written} of {len(view)} bytes written). The previous file there and {POINTER_FILE} are '
                'unchanged. Free some space (or point work_dir elsewhere), then resume with --resume.') from None
        raise


def write_pointer(work_dir: str, checkpoint_path: str) -> None:
    """Atomically point ``work_dir/last_checkpoint`` (what mmengine's auto-resume reads) at a checkpoint."""
    atomic_write_bytes(str(checkpoint_path).encode(), osp.join(work_dir, POINTER_FILE))


def remove_stale_temp_files(folder: str) -> list[str]:
    """Delete temporary files that a crashed save left in ``folder``; returns the removed paths."""
    removed = []
    for path in glob.glob(osp.join(glob.escape(folder), f'.*{_TMP_MARK}*')):
        pid = path.rsplit(_TMP_MARK, 1)[1].split('-')[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _process_alive(int(pid)):
            _remove_quietly(path)
            removed.append(path)
    return removed


def atomic_backend_args(out_dir: str, backend_args: dict | None = None) -> dict | None:
    """``backend_args`` for mmengine's save functions that make a local write atomic.

    Args:
        out_dir: Where the checkpoint goes.
        backend_args: What the config asked for.

    Returns:
        Backend args selecting :class:`AtomicLocalBackend` for a local folder; ``backend_args`` unchanged for
        remote storage (``s3://``, ``petrel://``, ...) or another explicit backend.
    """
    wanted = (backend_args or {}).get('backend', 'local')
    if '://' in str(out_dir) or wanted not in ('local', ATOMIC_BACKEND):
        return backend_args
    return dict(backend_args or {}, backend=ATOMIC_BACKEND)


class AtomicLocalBackend(LocalBackend):
    """mmengine's local file backend whose writes (``put``, ``put_text``) are atomic."""

    def put(self, obj: bytes, filepath) -> None:
        atomic_write_bytes(obj, str(filepath))

    def put_text(self, obj: str, filepath, encoding: str = 'utf-8') -> None:
        atomic_write_bytes(obj.encode(encoding), str(filepath))


def _fsync_dir(folder: str) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # some platforms/filesystems cannot open a folder; the rename is still atomic
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _remove_quietly(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _register() -> None:
    existing = _registered_backends.get(ATOMIC_BACKEND)
    if existing is not None and existing.__qualname__ != AtomicLocalBackend.__qualname__:
        raise RegistrationError(f"cannot register mmext's file backend as '{ATOMIC_BACKEND}': that name is taken "
                                f'by {existing.__module__}.{existing.__qualname__}')
    register_backend(ATOMIC_BACKEND, AtomicLocalBackend, force=True)  # force: a re-import registers it again


_register()
