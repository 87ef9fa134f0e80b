"""Compare rendered artifacts with OUT and bring OUT up to date. The only module that touches OUT."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Literal

from wlid_render.emit.artifact import Artifact
from wlid_render.render import MANIFEST, owned_paths

Action = Literal["create", "change", "remove", "unchanged"]


@dataclass(frozen=True)
class Change:
    path: str
    action: Action


@dataclass(frozen=True)
class Comparison:
    changes: tuple[Change, ...]
    foreign: tuple[str, ...]  # files in OUT that wlid did not write: never touched
    unowned_tree: bool  # OUT has files but no manifest: wlid never rendered here

    @property
    def drift(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.action != "unchanged")


def _safe(out: Path, relpath: str) -> Path:
    parts = PurePosixPath(relpath).parts
    if not parts or PurePosixPath(relpath).is_absolute() or ".." in parts or "\x00" in relpath:
        raise ValueError(f"refusing a path outside OUT: {relpath!r}")
    return out.joinpath(*parts)


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


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _write_atomic(target: Path, data: bytes, mode: int) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".wlid-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, mode)  # mkstemp creates 0600; rendered files are ordinary files (0666 & ~umask)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def apply(out: Path, artifacts: list[Artifact], comparison: Comparison) -> None:
    """Write created and changed files (each atomically), remove owned files no longer produced.

    Unchanged files are not rewritten, so their mtimes stay as they were. The manifest is written
    last, so an interrupted run still knows every file it owned before.
    """
    by_path = {a.path: a for a in artifacts}
    mode = 0o666 & ~_umask()
    for change in comparison.changes:
        if change.action in ("create", "change") and change.path != MANIFEST:
            _write_atomic(_safe(out, change.path), by_path[change.path].data, mode)
    for change in comparison.changes:
        if change.action == "remove":
            target = _safe(out, change.path)
            target.unlink(missing_ok=True)
            parent = target.parent
            while parent != out and parent.is_dir() and not any(parent.iterdir()):
                parent.rmdir()
                parent = parent.parent
    if MANIFEST in by_path and any(c.action != "unchanged" for c in comparison.changes):
        _write_atomic(_safe(out, MANIFEST), by_path[MANIFEST].data, mode)
