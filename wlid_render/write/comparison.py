"""What writing the rendered files into OUT would create, change and remove, and what of OUT it keeps.

Reads OUT (through `scan`), never writes it. A folder that wlid did not write is refused before it is
walked, and so is an entry of someone else's where wlid would write, both unless `force`.
"""


import os
from collections.abc import Sequence
from pathlib import Path
from typing import Literal, NamedTuple

from wlid_render.manifest import MANIFEST, File, is_relative_inside, shown
from wlid_render.write.errors import ForeignEntries, UnownedTree, listed
from wlid_render.write.scan import (
    DIR,
    FILE,
    Scan,
    check_adoptable,
    is_empty,
    owned,
    read_regular,
    scan,
    target,
)

Action = Literal["create", "change", "remove", "unchanged"]

FORCE_MAX_ENTRIES = 10_000  # entries of a foreign folder that `--force` adopts, at most


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


class Layout(NamedTuple):
    """What a write does: the comparison, and what of OUT the new tree keeps."""

    comparison: Comparison
    target: Path
    scan: Scan
    keep: frozenset[str]  # entries carried over unchanged (foreign entries and unchanged files)


def compare(out: Path, artifacts: Sequence[File], force: bool = False) -> Comparison:
    """What writing `artifacts` into `out` would create, change and remove. Reads, never writes.

    Raises WriteError when OUT may not be written: a file, a folder that wlid did not write
    (UnownedTree), or one with entries in the way of produced files (ForeignEntries), the last two
    unless `force`.
    """
    return layout(out, artifacts, force).comparison


def _artifact_path(relpath: str) -> str:
    if not is_relative_inside(relpath):  # pragma: no cover - an emitter bug, never a spec value
        raise ValueError(f"refusing a path outside OUT: {relpath!r}")
    return relpath


def layout(out: Path, artifacts: Sequence[File], force: bool) -> Layout:
    """The comparison of `artifacts` with OUT and what the new tree keeps; see `compare`."""
    folder = target(out)
    by_path = {_artifact_path(a.path): a for a in artifacts}
    if not os.path.isdir(folder):
        changes = tuple(Change(p, "create") for p in by_path)
        return Layout(Comparison(changes), folder, Scan({}, {}), frozenset())
    listed_paths, why = owned(folder)
    unowned = False
    if listed_paths is None:
        if not is_empty(folder):  # a folder that wlid did not write: never walked without --force
            if not force:
                raise UnownedTree(
                    f"{shown(out.as_posix())} has entries that wlid did not write ({why}); "
                    "choose an empty folder or pass --force"
                )
            check_adoptable(out, folder)
            unowned = True
        listed_paths = frozenset()
    found = scan(out, folder, FORCE_MAX_ENTRIES + len(by_path) if unowned else None)
    kinds = found.kinds
    ours = {MANIFEST, *listed_paths}  # the manifest was read and checked above, or is missing
    needed_dirs = _folders_of(by_path)

    changes: list[Change] = []
    in_the_way: list[str] = []
    for path, artifact in by_path.items():
        kind = kinds.get(path)
        if kind is None:
            changes.append(Change(path, "create"))
            continue
        data = read_regular(folder / path) if kind == FILE else None
        if data == artifact.data:
            changes.append(Change(path, "unchanged"))  # the same bytes, ours or not: nothing is lost
        elif kind == FILE and path in ours:
            changes.append(Change(path, "change"))
        else:
            in_the_way.append(path)
            changes.append(Change(path, "change" if kind == FILE else "create"))
    for needed in sorted(needed_dirs):
        if kinds.get(needed, DIR) != DIR and needed not in ours:
            in_the_way.append(needed)  # a file, link or FIFO where wlid needs a folder
    removed = {p for p in listed_paths - by_path.keys() if kinds.get(p) == FILE}
    changes += [Change(p, "remove") for p in sorted(removed)]
    if in_the_way and not force:
        in_the_way.sort()
        raise ForeignEntries(
            f"wlid would overwrite what it did not write: {listed(in_the_way, out)}; "
            "move it away or pass --force to replace it"
        )

    # What the new tree keeps of OUT: every entry that is neither produced, nor removed, nor in the
    # way of a produced file; of those, the outermost not-ours ones are reported as foreign.
    replaced = set(in_the_way)
    ours_dirs = {*needed_dirs}
    for path in listed_paths:
        parent = path.rpartition("/")[0]
        while parent and parent not in ours_dirs:
            ours_dirs.add(parent)
            parent = parent.rpartition("/")[0]
    keep = set()
    foreign = []
    for path, kind in kinds.items():
        if path in by_path or path in removed or path in replaced or _under(path, replaced):
            continue
        if kind == DIR and path in ours_dirs:
            continue  # made again in the new tree when something stays in it
        keep.add(path)
        if path not in ours or kind != FILE:
            parent = path.rpartition("/")[0]
            if not parent or parent in ours_dirs:
                foreign.append(path)
    keep.update(c.path for c in changes if c.action == "unchanged" and kinds.get(c.path) == FILE)
    comparison = Comparison(
        tuple(changes),
        tuple(sorted(foreign)),
        unowned,
        tuple(sorted(in_the_way)) if force else (),
    )
    return Layout(comparison, folder, found, frozenset(keep))


def _folders_of(paths: dict[str, File]) -> set[str]:
    """Every folder that holds one of `paths`, at any depth (OUT itself, "", left out)."""
    needed_dirs = {p.rpartition("/")[0] for p in paths}
    for folder in list(needed_dirs):
        while folder:
            folder = folder.rpartition("/")[0]
            if folder in needed_dirs:
                break
            needed_dirs.add(folder)
    needed_dirs.discard("")
    return needed_dirs


def _under(path: str, folders: set[str]) -> bool:
    if not folders:
        return False
    while "/" in path:
        path = path.rpartition("/")[0]
        if path in folders:
            return True
    return False
