"""Compare rendered artifacts with OUT and bring OUT up to date. The only module that touches OUT.

What wlid touches, refuses and keeps is stated in docs/safety.md; in short:

* OUT is found first: a symbolic link named as OUT is followed (the folder it points to is OUT), a
  file is refused. A folder without `.wlid/manifest.json` is never walked: an empty one is used, a
  non-empty one refused unless `--force` (and even then not `/`, a mount point, the home folder, a
  folder holding the current one, a Git checkout's root or a folder of more than FORCE_MAX_ENTRIES).
* Inside OUT nothing is followed: a symbolic link is an entry like a file. Entries that wlid did not
  write (not listed in the manifest) are kept as they are, whatever they are (files, links, empty
  folders, FIFOs, sockets); one where wlid would now write is refused unless `--force`.
* The new tree is built beside OUT (unchanged and foreign entries hard-linked, folders with their
  modes) and exchanged with OUT in one rename; `recover` finishes what an interrupted render left.
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import shutil
import stat
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Literal, NamedTuple

from wlid_render.emit.artifact import Artifact
from wlid_render.input_limits import MANIFEST_MAX_BYTES, InputError, read_bounded
from wlid_render.render import MANIFEST, InvalidManifest, is_relative_inside, owned_paths

Action = Literal["create", "change", "remove", "unchanged"]

FORCE_MAX_ENTRIES = 10_000  # entries of a foreign folder that `--force` adopts, at most
SHOWN_PATHS = 10  # paths listed in a refusal before "and N more"


class Change(NamedTuple):
    path: str
    action: Action


class Comparison(NamedTuple):
    changes: tuple[Change, ...]
    foreign: tuple[str, ...] = ()  # entries in OUT that wlid did not write, outermost first: kept
    unowned_tree: bool = False  # OUT had entries but no manifest and was adopted with `force`
    replaced: tuple[str, ...] = ()  # foreign entries in wlid's way, replaced because of `force`

    @property
    def drift(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.action != "unchanged")


class WriteError(Exception):
    """OUT could not be (or may not be) brought up to date; OUT is as it was. The message says why."""


class UnownedTree(WriteError):
    """OUT holds entries but no manifest of wlid: wlid never rendered there (see `force`)."""


class ForeignEntries(WriteError):
    """wlid would write where OUT holds entries it did not write (see `force`)."""


def shown(path: str) -> str:
    """A path for a message: as it is when printable, else quoted with escapes (never a raw newline)."""
    return path if path.isprintable() else repr(path)


def _listed(paths: list[str], out: Path) -> str:
    names = [shown((out / p).as_posix()) for p in paths[:SHOWN_PATHS]]
    more = len(paths) - SHOWN_PATHS
    return ", ".join(names) + (f" and {more} more" if more > 0 else "")


# ---------------------------------------------------------------------------------------------- OUT


def _target(out: Path) -> Path:
    """The folder that OUT names: OUT itself, or where a symbolic link named OUT points. Absolute."""
    target = Path(os.path.realpath(out))
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        return target
    except OSError as exc:
        raise WriteError(f"cannot use {shown(out.as_posix())}: {exc.strerror or exc}") from None
    if stat.S_ISLNK(info.st_mode):
        raise WriteError(f"cannot use {shown(out.as_posix())}: its symbolic links do not end in a folder")
    if not stat.S_ISDIR(info.st_mode):
        what = "a file" if stat.S_ISREG(info.st_mode) else "not a folder"
        raise WriteError(f"OUT is {what}: {shown(out.as_posix())}; choose a folder for the rendered tree")
    return target


_DIR, _FILE, _LINK, _OTHER = "dir", "file", "link", "other"


class _Scan(NamedTuple):
    kinds: dict[str, str]  # relative path -> _DIR, _FILE, _LINK or _OTHER; nothing followed
    modes: dict[str, os.stat_result]  # folders (and "" for OUT): their stat, to keep mode and owner


def _scan(out: Path, target: Path, limit: int | None = None) -> _Scan:
    """Every entry inside `target`, without following any link and without leaving its filesystem."""
    root = os.lstat(target)
    kinds: dict[str, str] = {}
    modes = {"": root}
    stack = [("", str(target))]
    while stack:
        rel, folder = stack.pop()
        with os.scandir(folder) as items:
            for item in items:
                path = f"{rel}/{item.name}" if rel else item.name
                if item.is_symlink():
                    kinds[path] = _LINK
                elif item.is_dir(follow_symlinks=False):
                    info = item.stat(follow_symlinks=False)
                    if info.st_dev != root.st_dev:
                        raise WriteError(
                            f"{shown((out / path).as_posix())} is a mount point inside OUT; "
                            "wlid does not render into a folder that holds one"
                        )
                    kinds[path] = _DIR
                    modes[path] = info
                    stack.append((path, item.path))
                else:
                    kinds[path] = _FILE if item.is_file(follow_symlinks=False) else _OTHER
                if limit is not None and len(kinds) > limit:
                    raise WriteError(
                        f"{shown(out.as_posix())} holds more than {limit:,} entries that wlid did not "
                        "write; choose an empty folder"
                    )
    return _Scan(kinds, modes)


def _manifest(target: Path) -> tuple[frozenset[str] | None, str]:
    """The paths OUT's manifest lists, or None and why there is none that wlid can trust."""
    folder = target / ".wlid"
    try:
        info = os.lstat(folder)
    except FileNotFoundError:
        return None, "no .wlid/manifest.json"
    except OSError as exc:
        return None, f"cannot read .wlid: {exc.strerror or exc}"
    if not stat.S_ISDIR(info.st_mode):
        return None, ".wlid is not a folder" + (" (a symbolic link)" if stat.S_ISLNK(info.st_mode) else "")
    try:
        info = os.lstat(target / MANIFEST)
    except FileNotFoundError:
        return None, "no .wlid/manifest.json"
    except OSError as exc:
        return None, f"cannot read .wlid/manifest.json: {exc.strerror or exc}"
    if not stat.S_ISREG(info.st_mode):
        return None, ".wlid/manifest.json is not a file"
    try:
        return owned_paths(read_bounded(target / MANIFEST, MANIFEST_MAX_BYTES, "it")), ""
    except (InputError, InvalidManifest) as exc:
        return None, f".wlid/manifest.json is not wlid's: {exc}"


def _is_empty(target: Path) -> bool:
    with os.scandir(target) as items:
        return next(items, None) is None


def _check_adoptable(out: Path, target: Path) -> None:
    """Refuse `--force` into folders that are certainly not meant for a rendered tree."""
    name = shown(out.as_posix())
    home = _real(Path.home)
    cwd = _real(Path.cwd)
    if target == Path(target.anchor) or os.path.ismount(target):
        reason = "is a filesystem root or mount point"
    elif home is not None and (target == home or target in home.parents):
        reason = "is your home folder or holds it"
    elif cwd is not None and (target == cwd or target in cwd.parents):
        reason = "holds the current folder"
    elif os.path.lexists(target / ".git"):
        reason = "is the root of a Git checkout"
    else:
        return
    raise WriteError(f"{name} {reason}; wlid renders only into a folder of its own, even with --force")


def _real(where: Callable[[], Path]) -> Path | None:
    """The real path of the home or current folder; None when there is none (unset, deleted)."""
    try:
        return Path(os.path.realpath(where()))
    except (OSError, RuntimeError, KeyError):
        return None


def _read_regular(path: Path) -> bytes | None:
    """The bytes of a regular file, never through a symbolic link; None when it cannot be read."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        with os.fdopen(fd, "rb") as handle:
            return handle.read()
    except OSError:
        return None


class _Plan(NamedTuple):
    """What a write does: the comparison, and what of OUT the new tree keeps."""

    comparison: Comparison
    target: Path
    scan: _Scan
    keep: frozenset[str]  # entries carried over unchanged (foreign entries and unchanged files)


def _artifact_path(relpath: str) -> str:
    if not is_relative_inside(relpath):  # pragma: no cover - an emitter bug, never a spec value
        raise ValueError(f"refusing a path outside OUT: {relpath!r}")
    return relpath


def _plan(out: Path, artifacts: list[Artifact], force: bool) -> _Plan:
    target = _target(out)
    by_path = {_artifact_path(a.path): a for a in artifacts}
    if not os.path.isdir(target):
        changes = tuple(Change(p, "create") for p in by_path)
        return _Plan(Comparison(changes), target, _Scan({}, {}), frozenset())
    owned, why = _manifest(target)
    unowned = False
    if owned is None:
        if not _is_empty(target):  # a folder that wlid did not write: never walked without --force
            if not force:
                raise UnownedTree(
                    f"{shown(out.as_posix())} has entries that wlid did not write ({why}); "
                    "choose an empty folder or pass --force"
                )
            _check_adoptable(out, target)
            unowned = True
        owned = frozenset()
    scan = _scan(out, target, FORCE_MAX_ENTRIES + len(by_path) if unowned else None)
    kinds = scan.kinds
    ours = {MANIFEST, *owned}  # the manifest was read and checked above, or is missing
    needed_dirs = {p.rpartition("/")[0] for p in by_path}
    for folder in list(needed_dirs):
        while folder:
            folder = folder.rpartition("/")[0]
            if folder in needed_dirs:
                break
            needed_dirs.add(folder)
    needed_dirs.discard("")

    changes: list[Change] = []
    in_the_way: list[str] = []
    for path, artifact in by_path.items():
        kind = kinds.get(path)
        if kind is None:
            changes.append(Change(path, "create"))
            continue
        data = _read_regular(target / path) if kind == _FILE else None
        if data == artifact.data:
            changes.append(Change(path, "unchanged"))  # the same bytes, ours or not: nothing is lost
        elif kind == _FILE and path in ours:
            changes.append(Change(path, "change"))
        else:
            in_the_way.append(path)
            changes.append(Change(path, "change" if kind == _FILE else "create"))
    for folder in sorted(needed_dirs):
        if kinds.get(folder, _DIR) != _DIR and folder not in ours:
            in_the_way.append(folder)  # a file, link or FIFO where wlid needs a folder
    removed = {p for p in owned - by_path.keys() if kinds.get(p) == _FILE}
    changes += [Change(p, "remove") for p in sorted(removed)]
    if in_the_way and not force:
        in_the_way.sort()
        raise ForeignEntries(
            f"wlid would overwrite what it did not write: {_listed(in_the_way, out)}; "
            "move it away or pass --force to replace it"
        )

    # What the new tree keeps of OUT: every entry that is neither produced, nor removed, nor in the
    # way of a produced file; of those, the outermost not-ours ones are reported as foreign.
    replaced = set(in_the_way)
    ours_dirs = {*needed_dirs}
    for path in owned:
        folder = path.rpartition("/")[0]
        while folder and folder not in ours_dirs:
            ours_dirs.add(folder)
            folder = folder.rpartition("/")[0]
    keep = set()
    foreign = []
    for path, kind in kinds.items():
        if path in by_path or path in removed or path in replaced or _under(path, replaced):
            continue
        if kind == _DIR and path in ours_dirs:
            continue  # made again in the new tree when something stays in it
        keep.add(path)
        if path not in ours or kind != _FILE:
            parent = path.rpartition("/")[0]
            if not parent or parent in ours_dirs:
                foreign.append(path)
    keep.update(c.path for c in changes if c.action == "unchanged" and kinds.get(c.path) == _FILE)
    comparison = Comparison(
        tuple(changes),
        tuple(sorted(foreign)),
        unowned,
        tuple(sorted(in_the_way)) if force else (),
    )
    return _Plan(comparison, target, scan, frozenset(keep))


def _under(path: str, folders: set[str]) -> bool:
    if not folders:
        return False
    while "/" in path:
        path = path.rpartition("/")[0]
        if path in folders:
            return True
    return False


def compare(out: Path, artifacts: list[Artifact], force: bool = False) -> Comparison:
    """What writing `artifacts` into `out` would create, change and remove. Reads, never writes.

    Raises WriteError when OUT may not be written: a file, a folder that wlid did not write
    (UnownedTree), or one with entries in the way of produced files (ForeignEntries), the last two
    unless `force`.
    """
    return _plan(out, artifacts, force).comparison


# --------------------------------------------------------------------------------------------- lock


LOCK_TIMEOUT = 60.0  # seconds a render waits for another render of the same parent folder
_STAGING = ".wlid-staging-"
_RETIRED = ".wlid-retired-"


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


# ------------------------------------------------------------------------------------------ recover


def _side_name(kind: str, name: str) -> str:
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
    retired = _sides(parent, _RETIRED, target.name)
    if retired and not os.path.lexists(target):
        os.rename(retired[-1], target)  # the swap stopped half-way: put the previous tree back
        retired = retired[:-1]
    for leftover in [*retired, *_sides(parent, _STAGING, target.name)]:
        _remove_tree(leftover)


def _remove_tree(path: Path) -> None:
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


# -------------------------------------------------------------------------------------------- write


def apply(
    out: Path, artifacts: list[Artifact], force: bool = False, timeout: float = LOCK_TIMEOUT
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
        plan = _plan(out, artifacts, force)
        if plan.comparison.drift:
            _check_writable(out, plan)
            _swap(out, artifacts, plan)
        return plan.comparison


def _check_writable(out: Path, plan: _Plan) -> None:
    """Refuse to change a read-only OUT or a read-only folder in it, as a writer in place would fail."""
    modes = plan.scan.modes
    if not modes:  # OUT is new: its parent must be writable
        parent = plan.target.parent
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
    for change in [*plan.comparison.drift, *(Change(p, "change") for p in plan.comparison.replaced)]:
        folder = change.path.rpartition("/")[0]
        while folder not in modes:
            folder = folder.rpartition("/")[0]
        if not modes[folder].st_mode & stat.S_IWUSR:
            locked_folders.add(folder)
    if locked_folders:
        raise WriteError(
            f"read-only: {_listed(sorted(locked_folders), out)}; wlid does not write into read-only folders. Make them writable "
            "(chmod u+w) to render, or leave them as they are"
        )


def _swap(out: Path, artifacts: list[Artifact], plan: _Plan) -> None:
    """Make OUT hold exactly the new tree, all at once.

    The new tree is built in a staging folder next to OUT (kept entries hard-linked, so their
    mtimes stay) and exchanged with OUT in one atomic rename: a crash or SIGKILL at any moment leaves
    OUT either as it was or fully new. Raises WriteError (OUT intact, nothing left beside it) when the
    new tree cannot be written, e.g. on a read-only or full disk.
    """
    target = plan.target
    parent = target.parent
    staging = parent / _side_name(_STAGING, target.name)
    try:
        try:
            _stage(target, staging, artifacts, plan)
            _flush(staging)  # the new files reach the disk before the swap makes them OUT
        except OSError as exc:
            raise WriteError(f"cannot write {out}: {exc.strerror or exc}; {out} is unchanged") from None
        if not os.path.lexists(target):
            _rename(staging, target, out)
        elif _exchange(staging, target):
            _remove_tree(staging)  # staging now holds the previous tree
        else:  # no atomic exchange here: two renames, undone by recover() if interrupted between
            retired = parent / _side_name(_RETIRED, target.name)
            _rename(target, retired, out)
            try:
                _rename(staging, target, out)
            except WriteError:
                os.rename(retired, target)
                raise
            _remove_tree(retired)
        _fsync_dir(parent)
    finally:
        if os.path.lexists(staging):
            _remove_tree(staging)


def _rename(source: Path, destination: Path, out: Path) -> None:
    try:
        os.rename(source, destination)
    except OSError as exc:
        raise WriteError(f"cannot write {out}: {exc.strerror or exc}; {out} is unchanged") from None


def _stage(target: Path, staging: Path, artifacts: list[Artifact], plan: _Plan) -> None:
    """Build the new tree in `staging`: kept entries linked, new contents written, folder modes kept.

    Every entry of `staging` is made here, parents before children, so nothing in it is followed.
    """
    modes = plan.scan.modes
    kinds = plan.scan.kinds
    actions = {c.path: c.action for c in plan.comparison.changes}
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

    for relpath in sorted(plan.keep):  # a folder sorts before what it holds
        kind = kinds[relpath]
        folder(relpath.rpartition("/")[0])
        if kind == _DIR:
            folder(relpath)
        else:
            _carry(target / relpath, staging / relpath, kind)
    for artifact in artifacts:
        if actions[artifact.path] == "unchanged" and artifact.path in plan.keep:
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
    if kind == _LINK:
        os.symlink(os.readlink(source), destination)
    elif kind == _FILE:
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


# ------------------------------------------------------------------------------ one file, in place


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
            _fsync_dir(target.parent)
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
        code = ctypes.get_errno()
        if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):  # the filesystem cannot exchange
            return False
        raise WriteError(f"cannot write {b}: {os.strerror(code)}; {b} is unchanged")
    return True


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
