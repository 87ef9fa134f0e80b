"""One file replaced all at once, in place: the spec `wlid bind` edits, a schema, a starter or imported
spec. Readers see the old bytes or the new, never a mix."""

from __future__ import annotations

import errno
import os
import re
import stat
import time
from pathlib import Path

from wlid_render.input_limits import InputError, read_bounded
from wlid_render.manifest import shown
from wlid_render.write.disk import fsync_dir
from wlid_render.write.errors import WriteError
from wlid_render.write.recovery import locked

_TEMP = ".wlid-tmp-"


def replace_file(path: Path, data: bytes, expected: bytes | None = None) -> None:
    """Give the file at `path` the contents `data` all at once: readers see the old bytes or the new.

    `expected`, when given, is what the caller read and edited: when the file holds anything else by
    the time of the swap (or no longer exists), nothing is written (WriteError). The new contents go
    to a temporary file beside it (`.NAME.wlid-tmp-PID-NANOSECONDS`), reach the disk (fsync), get the
    mode and owner of the file they replace (a new file: 0o666 less the umask), and are renamed over
    it; a symbolic link named `path` is followed (the link stays); missing parent folders are made.
    On any failure (a full disk, a read-only folder) the file is as it was and no temporary file is
    left; one left by a killed process is removed by the next call for the same file.
    """
    name = shown(str(path))
    target = Path(os.path.realpath(path))
    temp = target.parent / f".{target.name}{_TEMP}{os.getpid()}-{time.monotonic_ns()}"
    with locked(target):
        try:
            for stale in _temps(target):
                stale.unlink()
            try:
                before: os.stat_result | None = os.stat(target)
            except FileNotFoundError:
                before = None
            _write_temp(temp, data, before)
            if expected is not None and (
                before is None or not _holds(target, expected) or _identity(target) != _identity(before)
            ):
                raise WriteError(f"{name} changed since wlid read it; nothing written, run the command again")
            os.rename(temp, target)
            fsync_dir(target.parent)
        except (OSError, InputError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            raise WriteError(f"cannot write {name}: {reason}; {name} is unchanged") from None
        finally:
            if os.path.lexists(temp):
                temp.unlink()


def _holds(path: Path, expected: bytes) -> bool:
    try:
        return read_bounded(path, len(expected)) == expected
    except InputError:  # longer than expected
        return False


def _temps(target: Path) -> list[Path]:
    pattern = re.compile(re.escape(f".{target.name}{_TEMP}") + r"\d+-\d+")
    return [target.parent / n for n in os.listdir(target.parent) if pattern.fullmatch(n)]


def _identity(path: Path | os.stat_result) -> tuple[int, ...]:
    info = os.stat(path) if isinstance(path, Path) else path
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)


def _write_temp(temp: Path, data: bytes, like: os.stat_result | None) -> None:
    mode = 0o600 if like is not None else 0o666  # a new file: 0o666 less the umask, as open() makes it
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        if like is None:
            os.fsync(fd)
            return
        if (like.st_uid, like.st_gid) != (os.geteuid(), os.getegid()):
            try:
                os.fchown(fd, like.st_uid, like.st_gid)
            except PermissionError:
                raise OSError(errno.EPERM, "wlid cannot keep the file's owner; run it as that user") from None
        os.fchmod(fd, stat.S_IMODE(like.st_mode))
        os.fsync(fd)
    finally:
        os.close(fd)
