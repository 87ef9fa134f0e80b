"""Finding OUT and listing what it holds, without following any link inside it.

OUT itself may be a symbolic link to a folder (the folder is OUT); a file is refused. Inside OUT a
link is an entry like a file, a mount point is refused, and the manifest is read only when it is a
regular file in a real `.wlid` folder.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from wlid_render.input_limits import MANIFEST_MAX_BYTES, InputError, read_bounded
from wlid_render.manifest import MANIFEST, InvalidManifest, owned_paths, shown
from wlid_render.write.errors import WriteError

DIR, FILE, LINK, OTHER = "dir", "file", "link", "other"


class Scan(NamedTuple):
    kinds: dict[str, str]  # relative path -> DIR, FILE, LINK or OTHER; nothing followed
    modes: dict[str, os.stat_result]  # folders (and "" for OUT): their stat, to keep mode and owner


def target(out: Path) -> Path:
    """The folder that OUT names: OUT itself, or where a symbolic link named OUT points. Absolute."""
    found = Path(os.path.realpath(out))
    try:
        info = os.lstat(found)
    except FileNotFoundError:
        return found
    except OSError as exc:
        raise WriteError(f"cannot use {shown(out.as_posix())}: {exc.strerror or exc}") from None
    if stat.S_ISLNK(info.st_mode):
        raise WriteError(f"cannot use {shown(out.as_posix())}: its symbolic links do not end in a folder")
    if not stat.S_ISDIR(info.st_mode):
        what = "a file" if stat.S_ISREG(info.st_mode) else "not a folder"
        raise WriteError(f"OUT is {what}: {shown(out.as_posix())}; choose a folder for the rendered tree")
    return found


def scan(out: Path, folder: Path, limit: int | None = None) -> Scan:
    """Every entry inside `folder` (OUT's target), without following any link and without leaving its
    filesystem; WriteError past `limit` entries."""
    root = os.lstat(folder)
    kinds: dict[str, str] = {}
    modes = {"": root}
    stack = [("", str(folder))]
    while stack:
        rel, current = stack.pop()
        with os.scandir(current) as items:
            for item in items:
                path = f"{rel}/{item.name}" if rel else item.name
                if item.is_symlink():
                    kinds[path] = LINK
                elif item.is_dir(follow_symlinks=False):
                    info = item.stat(follow_symlinks=False)
                    if info.st_dev != root.st_dev:
                        raise WriteError(
                            f"{shown((out / path).as_posix())} is a mount point inside OUT; "
                            "wlid does not render into a folder that holds one"
                        )
                    kinds[path] = DIR
                    modes[path] = info
                    stack.append((path, item.path))
                else:
                    kinds[path] = FILE if item.is_file(follow_symlinks=False) else OTHER
                if limit is not None and len(kinds) > limit:
                    raise WriteError(
                        f"{shown(out.as_posix())} holds more than {limit:,} entries that wlid did not "
                        "write; choose an empty folder"
                    )
    return Scan(kinds, modes)


def owned(folder: Path) -> tuple[frozenset[str] | None, str]:
    """The paths OUT's manifest lists, or None and why there is none that wlid can trust."""
    wlid = folder / ".wlid"
    try:
        info = os.lstat(wlid)
    except FileNotFoundError:
        return None, "no .wlid/manifest.json"
    except OSError as exc:
        return None, f"cannot read .wlid: {exc.strerror or exc}"
    if not stat.S_ISDIR(info.st_mode):
        return None, ".wlid is not a folder" + (" (a symbolic link)" if stat.S_ISLNK(info.st_mode) else "")
    try:
        info = os.lstat(folder / MANIFEST)
    except FileNotFoundError:
        return None, "no .wlid/manifest.json"
    except OSError as exc:
        return None, f"cannot read .wlid/manifest.json: {exc.strerror or exc}"
    if not stat.S_ISREG(info.st_mode):
        return None, ".wlid/manifest.json is not a file"
    try:
        return owned_paths(read_bounded(folder / MANIFEST, MANIFEST_MAX_BYTES, "it")), ""
    except (InputError, InvalidManifest) as exc:
        return None, f".wlid/manifest.json is not wlid's: {exc}"


def is_empty(folder: Path) -> bool:
    with os.scandir(folder) as items:
        return next(items, None) is None


def check_adoptable(out: Path, folder: Path) -> None:
    """Refuse `--force` into folders that are certainly not meant for a rendered tree."""
    name = shown(out.as_posix())
    home = _real(Path.home)
    cwd = _real(Path.cwd)
    if folder == Path(folder.anchor) or os.path.ismount(folder):
        reason = "is a filesystem root or mount point"
    elif home is not None and (folder == home or folder in home.parents):
        reason = "is your home folder or holds it"
    elif cwd is not None and (folder == cwd or folder in cwd.parents):
        reason = "holds the current folder"
    elif os.path.lexists(folder / ".git"):
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


def read_regular(path: Path) -> bytes | None:
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
