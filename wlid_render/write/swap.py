"""Bringing OUT up to date: the new tree is staged beside OUT and exchanged with it in one rename.

A crash or SIGKILL at any moment leaves OUT either as it was or fully new; `recover` (under the same
lock) finishes or undoes what an interrupted render left.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
from collections.abc import Sequence
from pathlib import Path

from wlid_render.manifest import File, shown
from wlid_render.write.comparison import Change, Comparison, Layout, layout
from wlid_render.write.disk import exchange, flush, fsync_dir
from wlid_render.write.errors import WriteError, listed
from wlid_render.write.recovery import LOCK_TIMEOUT, RETIRED, STAGING, locked, recover, remove_tree, side_name
from wlid_render.write.scan import DIR, FILE, LINK


def apply(
    out: Path, artifacts: Sequence[File], force: bool = False, timeout: float = LOCK_TIMEOUT
) -> Comparison:
    """Bring OUT up to date under the lock; returns what changed.

    Another render of the same folder is waited for (at most `timeout` seconds); what an interrupted
    render left next to OUT is cleaned up first; OUT is compared while the lock is held. Raises
    WriteError (OUT as it was) when OUT may not or cannot be written: see `compare` and `_swap`.
    """
    with locked(out, timeout):
        try:
            recover(out)
        except OSError as exc:
            raise WriteError(f"cannot recover {shown(out.as_posix())}: {exc.strerror or exc}") from None
        work = layout(out, artifacts, force)
        if work.comparison.drift:
            _check_writable(out, work)
            _swap(out, artifacts, work)
        return work.comparison


def _check_writable(out: Path, work: Layout) -> None:
    """Refuse to change a read-only OUT or a read-only folder in it, as a writer in place would fail."""
    modes = work.scan.modes
    if not modes:  # OUT is new: its parent must be writable
        parent = work.target.parent
        try:
            writable = bool(os.stat(parent).st_mode & stat.S_IWUSR)
        except OSError:
            return
        if not writable:
            raise WriteError(
                f"cannot create {shown(out.as_posix())}: {shown(parent.as_posix())} is read-only; "
                "make it writable (chmod u+w) first"
            )
        return
    locked_folders = set()
    for change in [*work.comparison.drift, *(Change(p, "change") for p in work.comparison.replaced)]:
        folder = change.path.rpartition("/")[0]
        while folder not in modes:
            folder = folder.rpartition("/")[0]
        if not modes[folder].st_mode & stat.S_IWUSR:
            locked_folders.add(folder)
    if locked_folders:
        raise WriteError(
            f"read-only: {listed(sorted(locked_folders), out)}; wlid does not write into read-only folders. Make them writable "
            "(chmod u+w) to render, or leave them as they are"
        )


def _swap(out: Path, artifacts: Sequence[File], work: Layout) -> None:
    """Make OUT hold exactly the new tree, all at once.

    The new tree is built in a staging folder next to OUT (kept entries hard-linked, so their
    mtimes stay) and exchanged with OUT in one atomic rename: a crash or SIGKILL at any moment leaves
    OUT either as it was or fully new. Raises WriteError (OUT intact, nothing left beside it) when the
    new tree cannot be written, e.g. on a read-only or full disk.
    """
    target = work.target
    parent = target.parent
    staging = parent / side_name(STAGING, target.name)
    try:
        try:
            _stage(target, staging, artifacts, work)
            flush(staging)  # the new files reach the disk before the swap makes them OUT
        except OSError as exc:
            raise WriteError(f"cannot write {out}: {exc.strerror or exc}; {out} is unchanged") from None
        if not os.path.lexists(target):
            _rename(staging, target, out)
        elif exchange(staging, target):
            remove_tree(staging)  # staging now holds the previous tree
        else:  # no atomic exchange here: two renames, undone by recover() if interrupted between
            retired = parent / side_name(RETIRED, target.name)
            _rename(target, retired, out)
            try:
                _rename(staging, target, out)
            except WriteError:
                os.rename(retired, target)
                raise
            remove_tree(retired)
        fsync_dir(parent)
    finally:
        if os.path.lexists(staging):
            remove_tree(staging)


def _rename(source: Path, destination: Path, out: Path) -> None:
    try:
        os.rename(source, destination)
    except OSError as exc:
        raise WriteError(f"cannot write {out}: {exc.strerror or exc}; {out} is unchanged") from None


def _stage(target: Path, staging: Path, artifacts: Sequence[File], work: Layout) -> None:
    """Build the new tree in `staging`: kept entries linked, new contents written, folder modes kept.

    Every entry of `staging` is made here, parents before children, so nothing in it is followed.
    """
    modes = work.scan.modes
    kinds = work.scan.kinds
    actions = {c.path: c.action for c in work.comparison.changes}
    umask = os.umask(0)
    os.umask(umask)
    os.mkdir(staging, 0o700)
    made = {""}

    def folder(relpath: str) -> None:
        if relpath in made:
            return
        folder(relpath.rpartition("/")[0])
        os.mkdir(staging / relpath, 0o700)
        made.add(relpath)

    for relpath in sorted(work.keep):  # a folder sorts before what it holds
        kind = kinds[relpath]
        folder(relpath.rpartition("/")[0])
        if kind == DIR:
            folder(relpath)
        else:
            _carry(target / relpath, staging / relpath, kind)
    for artifact in artifacts:
        if actions[artifact.path] == "unchanged" and artifact.path in work.keep:
            continue
        folder(artifact.path.rpartition("/")[0])
        _write_new(staging / artifact.path, artifact.data, target / artifact.path, actions[artifact.path])
    for relpath in sorted(made, reverse=True):  # children first: a read-only folder is filled already
        _set_mode(staging / relpath if relpath else staging, modes.get(relpath), umask)


def _carry(source: Path, destination: Path, kind: str) -> None:
    """Put an entry of OUT into the new tree as it is: a hard link, else a copy of a file or link."""
    try:
        os.link(source, destination, follow_symlinks=False)
        return
    except OSError as exc:
        if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EOPNOTSUPP):
            raise
    if kind == LINK:
        os.symlink(os.readlink(source), destination)
    elif kind == FILE:
        shutil.copy2(source, destination, follow_symlinks=False)
    else:
        info = os.lstat(source)
        if not stat.S_ISFIFO(info.st_mode):
            raise OSError(errno.ENOTSUP, "cannot keep a socket or device without hard links", str(source))
        os.mkfifo(destination, stat.S_IMODE(info.st_mode))


def _write_new(destination: Path, data: bytes, old: Path, action: str) -> None:
    # 0o666 less the umask, as `open()` would create it; O_EXCL: never through an existing entry
    fd = os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        if action == "change":  # a changed file keeps its mode (and owner, where wlid may set it)
            try:
                info = os.lstat(old)
            except OSError:
                return
            if stat.S_ISREG(info.st_mode):
                os.fchmod(fd, stat.S_IMODE(info.st_mode))
                _chown(fd, info)


def _set_mode(path: Path, info: os.stat_result | None, umask: int) -> None:
    """Give a folder of the new tree the mode (and owner) of the folder it replaces; a new one gets
    0o777 less the umask, as `mkdir` would."""
    if info is None:
        os.chmod(path, 0o777 & ~umask)
        return
    _chown(str(path), info)
    os.chmod(path, stat.S_IMODE(info.st_mode))


def _chown(path: int | str, info: os.stat_result) -> None:
    if os.geteuid() == 0 and (info.st_uid, info.st_gid) != (0, 0):
        os.chown(path, info.st_uid, info.st_gid)
