"""What wlid owns in OUT: the manifest it keeps there, and the shape of every path it writes.

`OUT/.wlid/manifest.json` lists the files wlid wrote, each with its SHA-256, so that a re-render
removes only its own files and keeps everything else. The pipeline writes it (`manifest` gives its
record, serialised like every other JSON file); the writer reads it back (`owned_paths`). A leaf:
it imports nothing of ours but other leaves.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import Any, Protocol

from wlid_render import __version__

MANIFEST = ".wlid/manifest.json"


class File(Protocol):
    """A file of OUT as wlid renders it: a relative POSIX path and its bytes (e.g. emit's Artifact)."""

    @property
    def path(self) -> str: ...

    @property
    def data(self) -> bytes: ...


class InvalidManifest(ValueError):
    """OUT/.wlid/manifest.json is not a manifest wlid wrote; the message says why."""


def manifest(files: Iterable[File]) -> dict[str, Any]:
    """The record of the files wlid owns in OUT, so that a re-render removes only its own files."""
    listed = [{"path": f.path, "sha256": hashlib.sha256(f.data).hexdigest()} for f in files]
    return {"generator": "wlid", "version": __version__, "files": listed}


_UNUSUAL = re.compile(r"[\x00-\x1f\x7f\\]")


def is_relative_inside(path: str) -> bool:
    """`path` is a relative POSIX path that stays inside its folder, without control characters or
    backslashes: the shape of every path wlid writes."""
    parts = path.split("/")
    return not _UNUSUAL.search(path) and all(part not in ("", ".", "..") for part in parts)


def owned_paths(raw: bytes) -> frozenset[str]:
    """The paths a manifest on disk lists. Raises InvalidManifest when it is not one wlid wrote.

    Bounded whatever the bytes: the caller reads at most MANIFEST_MAX_BYTES, and nesting is capped.
    A listed path must be relative, inside OUT and free of control characters and backslashes, as
    every path wlid writes is.
    """
    from wlid_render.input_limits import InputError, load_json

    try:
        data = load_json(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise InvalidManifest("it is not UTF-8 text") from None
    except (InputError, ValueError) as exc:
        raise InvalidManifest(f"it is not JSON ({exc})") from None
    if (
        not isinstance(data, dict)
        or data.get("generator") != "wlid"
        or not isinstance(data.get("files"), list)
    ):
        raise InvalidManifest('it has no "generator": "wlid" and "files" list')
    paths = set()
    for entry in data["files"]:
        path = entry.get("path") if isinstance(entry, dict) else None
        if not isinstance(path, str) or not is_relative_inside(path):
            raise InvalidManifest(f"it lists {_abridged(entry)}, which is not a path inside OUT")
        paths.add(path)
    return frozenset(paths)


def _abridged(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:75] + "...'"


def shown(path: str) -> str:
    """A path of OUT for a message: as it is when printable, else quoted with escapes (never a raw
    newline)."""
    return path if path.isprintable() else repr(path)
