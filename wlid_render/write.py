"""Compare rendered artifacts with OUT and bring OUT up to date. The only module that touches OUT."""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal, NamedTuple

from wlid_render.emit.artifact import Artifact
from wlid_render.render import MANIFEST, owned_paths

Action = Literal["create", "change", "remove", "unchanged"]


class Change(NamedTuple):
    path: str
    action: Action


class Comparison(NamedTuple):
    changes: tuple[Change, ...]
    foreign: tuple[str, ...]  # files in OUT that wlid did not write: never touched
    unowned_tree: bool  # OUT has files but no manifest: wlid never rendered here

    @property
    def drift(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.action != "unchanged")


_UNSAFE = re.compile(r"(^|/)\.\.(/|$)|^/|\\|[\x00-\x1f]|^$")


def _safe(out: Path, relpath: str) -> Path:
    """OUT/relpath, refusing anything that could leave OUT (an emitter bug, never a spec value)."""
    if _UNSAFE.search(relpath):
        raise ValueError(f"refusing a path outside OUT: {relpath!r}")
    return out / relpath


def _existing_files(out: Path) -> list[str]:
    if not out.is_dir():
        return []
    return sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file() or p.is_symlink())


def compare(out: Path, artifacts: list[Artifact]) -> Comparison:
    """What writing `artifacts` into `out` would create, change and remove. Reads, never writes."""
    on_disk = _existing_files(out)
    manifest_path = _safe(out, MANIFEST)
    owned = owned_paths(manifest_path.read_text("utf-8")) if manifest_path.is_file() else set()
    produced = {a.path for a in artifacts}
    changes = []
    for artifact in artifacts:
        target = _safe(out, artifact.path)
        if not target.is_file():
            changes.append(Change(artifact.path, "create"))
        elif target.read_bytes() != artifact.data:
            changes.append(Change(artifact.path, "change"))
        else:
            changes.append(Change(artifact.path, "unchanged"))
    for path in sorted((owned & set(on_disk)) - produced):
        changes.append(Change(path, "remove"))
    foreign = tuple(p for p in on_disk if p not in owned and p not in produced and p != MANIFEST)
    return Comparison(tuple(changes), foreign, bool(on_disk) and not manifest_path.is_file())


class WriteError(Exception):
    """OUT could not be brought up to date; OUT is as it was. The message says why."""


LOCK_TIMEOUT = 60.0  # seconds a render waits for another render of the same parent folder
_STAGING = ".wlid-staging-"
_RETIRED = ".wlid-retired-"


@contextmanager
def locked(out: Path, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Hold an exclusive lock for renders into `out`, waiting at most `timeout` seconds.

    The lock is taken on OUT's parent folder (an advisory flock on the folder itself), so that it
    leaves no file behind and survives the swap of OUT. Two renders into folders of the same parent
    wait for each other.
    """
    parent = out.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(parent, os.O_RDONLY)
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


def _exchange(a: Path, b: Path) -> bool:
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
        errno = ctypes.get_errno()
        if errno in (22, 38, 95):  # EINVAL, ENOSYS, EOPNOTSUPP: the filesystem cannot exchange
            return False
        raise OSError(errno, os.strerror(errno), str(a))
    return True


def recover(out: Path) -> None:
    """Finish or undo what an interrupted render left next to OUT. Call while holding the lock."""
    parent = out.resolve().parent
    prefix_staging = f"{_STAGING}{out.name}-"
    prefix_retired = f"{_RETIRED}{out.name}-"
    if not parent.is_dir():
        return
    retired = sorted(p for p in parent.iterdir() if p.name.startswith(prefix_retired))
    if not out.exists() and retired:
        os.rename(retired[-1], out)  # the swap stopped half-way: put the previous tree back
        retired = retired[:-1]
    for leftover in [*retired, *(p for p in parent.iterdir() if p.name.startswith(prefix_staging))]:
        shutil.rmtree(leftover, ignore_errors=True)


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target, follow_symlinks=False)
    except OSError:
        shutil.copy2(source, target, follow_symlinks=False)


def _stage(out: Path, staging: Path, artifacts: list[Artifact], comparison: Comparison) -> None:
    """Build the new tree beside OUT: unchanged and foreign files linked, new contents written."""
    by_path = {a.path: a for a in artifacts}
    removed = {c.path for c in comparison.changes if c.action == "remove"}
    staging.mkdir()
    made = {staging}  # folders known to exist: one mkdir per folder, not per file

    def folder_of(target: Path) -> None:
        if target.parent not in made:
            target.parent.mkdir(parents=True, exist_ok=True)
            made.update(target.parents)

    if out.is_dir():
        for relpath in _existing_files(out):
            if relpath in removed or (relpath in by_path and relpath != MANIFEST):
                continue
            target = _safe(staging, relpath)
            folder_of(target)
            _link_or_copy(_safe(out, relpath), target)
    unchanged = {c.path for c in comparison.changes if c.action == "unchanged"}
    for artifact in artifacts:
        target = _safe(staging, artifact.path)
        folder_of(target)
        if artifact.path in unchanged and artifact.path != MANIFEST:
            _link_or_copy(_safe(out, artifact.path), target)  # same bytes: keep the file and its mtime
            continue
        if artifact.path == MANIFEST and target.exists():  # linked above: never write through a link
            target.unlink()
        # 0o666 less the umask, as `open()` would create it; O_EXCL: never through an existing file
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
        with os.fdopen(fd, "wb") as handle:
            handle.write(artifact.data)


class UnownedTree(WriteError):
    """OUT holds files but no manifest: wlid never rendered there (see `apply`'s `force`)."""


def apply(
    out: Path, artifacts: list[Artifact], force: bool = False, timeout: float = LOCK_TIMEOUT
) -> Comparison:
    """Bring OUT up to date under the lock; returns what changed.

    Another render of the same folder is waited for (at most `timeout` seconds); what an interrupted
    render left next to OUT is cleaned up first; OUT is compared while the lock is held. A non-empty
    OUT that wlid never wrote raises UnownedTree unless `force`. See `_swap` for the write itself.
    """
    with locked(out, timeout):
        recover(out)
        comparison = compare(out, artifacts)
        if comparison.unowned_tree and not force:
            raise UnownedTree(
                f"{out.as_posix()} has files that wlid did not write (no .wlid/manifest.json); "
                "choose an empty folder or pass --force"
            )
        if comparison.drift:
            _swap(out, artifacts, comparison)
        return comparison


def _swap(out: Path, artifacts: list[Artifact], comparison: Comparison) -> None:
    """Make OUT hold exactly the new tree, all at once.

    The new tree is built in a staging folder next to OUT (unchanged files hard-linked, so their
    mtimes stay) and exchanged with OUT in one atomic rename: a crash or SIGKILL at any moment leaves
    OUT either as it was or fully new. Files wlid did not write are carried over untouched. Raises
    WriteError (OUT intact) when the new tree cannot be written, e.g. on a read-only or full disk.
    """
    parent = out.resolve().parent
    token = f"{out.name}-{os.getpid()}-{time.monotonic_ns()}"
    staging = parent / f"{_STAGING}{token}"
    try:
        parent.mkdir(parents=True, exist_ok=True)
        _stage(out, staging, artifacts, comparison)
        _flush(staging)  # the new files reach the disk before the swap makes them OUT
        if not out.exists():
            os.rename(staging, out)
        elif _exchange(staging, out):
            shutil.rmtree(staging, ignore_errors=True)  # staging now holds the previous tree
        else:  # no atomic exchange here: two renames, undone by recover() if interrupted between
            retired = parent / f"{_RETIRED}{token}"
            os.rename(out, retired)
            os.rename(staging, out)
            shutil.rmtree(retired, ignore_errors=True)
        _fsync_dir(parent)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise WriteError(f"cannot write {out}: {exc.strerror or exc}; {out} is unchanged") from None


def _flush(path: Path) -> None:
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


def _fsync_dir(path: Path) -> None:
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
