"""The system calls that make a write durable and atomic: flushing a filesystem, syncing a folder, and
exchanging two paths in one step where the kernel can."""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path

from wlid_render.write.errors import WriteError


def exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    if sys.platform != "linux":
        return False
    import ctypes  # only when writing: `--check` and `--dry-run` do not pay for it

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    if result != 0:
        code = ctypes.get_errno()
        if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):  # the filesystem cannot exchange
            return False
        raise WriteError(f"cannot write {b}: {os.strerror(code)}; {b} is unchanged")
    return True


def flush(path: Path) -> None:
    """Write everything of the filesystem holding `path` to disk: one syncfs() (Linux), else sync()."""
    import ctypes

    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if getattr(libc, "syncfs", None) is None or libc.syncfs(fd) != 0:
            os.sync()
    except OSError:
        os.sync()
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    """Make a rename in folder `path` durable (best effort)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
