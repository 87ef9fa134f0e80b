"""The lock that keeps two renders of one folder apart, and the recovery of what an interrupted render
left next to OUT (a staging tree being built, or the previous tree set aside during the swap)."""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from wlid_render.manifest import shown
from wlid_render.write.errors import WriteError

LOCK_TIMEOUT = 60.0  # seconds a render waits for another render of the same parent folder
STAGING = ".wlid-staging-"
RETIRED = ".wlid-retired-"


@contextmanager
def locked(out: Path, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Hold an exclusive lock for renders into `out`, waiting at most `timeout` seconds.

    The lock is taken on the parent folder of the folder OUT names (an advisory flock on the folder
    itself), so that it leaves no file behind and survives the swap of OUT. Two renders into folders
    of the same parent wait for each other.
    """
    parent = Path(os.path.realpath(out)).parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(parent, os.O_RDONLY)
    except OSError as exc:
        raise WriteError(f"cannot create {shown(parent.as_posix())}: {exc.strerror or exc}") from None
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise WriteError(
                        f"another wlid render is writing into {parent} (waited {timeout:.0f} s); "
                        "try again when it has finished"
                    ) from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def side_name(kind: str, name: str) -> str:
    """The name of a staging or retired tree of OUT `name`: `.wlid-staging-NAME-PID-NANOSECONDS`."""
    return f"{kind}{name}-{os.getpid()}-{time.monotonic_ns()}"


def _sides(parent: Path, kind: str, name: str) -> list[Path]:
    """The staging or retired trees of OUT `name` in `parent`, oldest first.

    The name is matched exactly: `.wlid-retired-x-y-1-2` belongs to `x-y`, never to `x`.
    """
    pattern = re.compile(re.escape(kind + name) + r"-(\d+)-(\d+)")
    found = []
    try:
        names = os.listdir(parent)
    except OSError:
        return []
    for entry in names:
        match = pattern.fullmatch(entry)
        if match:
            found.append((int(match.group(2)), entry))
    return [parent / entry for _, entry in sorted(found)]


def recover(out: Path) -> None:
    """Finish or undo what an interrupted render left next to OUT. Call while holding the lock."""
    target = Path(os.path.realpath(out))
    parent = target.parent
    if not parent.is_dir():
        return
    retired = _sides(parent, RETIRED, target.name)
    if retired and not os.path.lexists(target):
        os.rename(retired[-1], target)  # the swap stopped half-way: put the previous tree back
        retired = retired[:-1]
    for leftover in [*retired, *_sides(parent, STAGING, target.name)]:
        remove_tree(leftover)


def remove_tree(path: Path) -> None:
    """Delete a staging or retired tree, also where folders in it are read-only. Follows no link."""
    try:
        shutil.rmtree(path)
        return
    except FileNotFoundError:
        return
    except OSError:
        pass
    for folder, subfolders, _ in os.walk(path):  # make every real folder writable, then try again
        for name in [".", *subfolders]:
            child = os.path.join(folder, name)
            if not os.path.islink(child):
                with suppress(OSError):
                    os.chmod(child, 0o700)
    shutil.rmtree(path, ignore_errors=True)
