"""The committed renderings of the example specs (out/<name>/) as the golden output of the tests."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path

from conftest import ROOT

from wlid_render.emit.artifact import Artifact


def committed_files(out: Path) -> dict[str, bytes]:
    """Every file under `out` (dot-files such as .wlid/manifest.json included), by POSIX path."""
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def tree_difference(out: Path, artifacts: Iterable[Artifact], spec: Path) -> str | None:
    """None when `out` holds exactly the rendered files with exactly their bytes; else what differs
    (the file sets, or a unified diff of the first file whose bytes differ) and how to re-render."""
    shown = out.relative_to(ROOT).as_posix() if out.is_relative_to(ROOT) else out.as_posix()
    spec_shown = spec.relative_to(ROOT).as_posix() if spec.is_relative_to(ROOT) else spec.as_posix()
    fix = f"re-render with: wlid render {spec_shown} -o {shown}"
    rendered = {a.path: a.data for a in artifacts}
    committed = committed_files(out) if out.is_dir() else {}
    missing, extra = sorted(rendered.keys() - committed.keys()), sorted(committed.keys() - rendered.keys())
    if missing or extra:
        return (
            f"{shown} does not hold the rendered files: not committed {missing}, "
            f"committed but no longer rendered {extra}; {fix}"
        )
    for path in sorted(rendered):
        if rendered[path] == committed[path]:
            continue
        old, new = committed[path], rendered[path]
        diff = "".join(
            difflib.unified_diff(
                old.decode("utf-8", "backslashreplace").splitlines(keepends=True),
                new.decode("utf-8", "backslashreplace").splitlines(keepends=True),
                f"{shown}/{path} (committed)",
                f"{shown}/{path} (rendered)",
            )
        )
        at = next((i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b), min(len(old), len(new)))
        where = f"first at byte {at}; {len(old)} bytes committed, {len(new)} rendered"
        return f"{shown}/{path} differs ({where}); {fix}\n{diff}"
    return None
