"""Unified diffs of what a render would change in OUT (`wlid render --check --diff`, `--dry-run --diff`).

One diff per created, changed or removed file, as `diff -u` writes it: `--- OUT/path` and `+++ OUT/path`
headers (`/dev/null` for the side where the file does not exist), hunks with three lines of context,
and `\\ No newline at end of file` where a side lacks its final newline. Reads OUT, never writes it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import click

NO_FILE = "/dev/null"
MAX_READ = 64 * 1024 * 1024  # a file in OUT larger than this is not read for a diff


def read_current(out: Path, path: str) -> bytes | None:
    """The bytes of OUT/path as they are now; None when it is not a regular file (or too large).

    The last path component is opened without following a symlink, so that a diff never shows the
    content of a file outside OUT that a link in OUT points at.
    """
    try:
        fd = os.open(out / path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_READ:
            return None
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read(MAX_READ + 1)
    finally:
        os.close(fd)


def _lines(data: bytes) -> list[str]:
    text = data.decode("utf-8", errors="replace")
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += "\n\\ No newline at end of file\n"
    return lines


def file_diff(shown: str, old: bytes | None, new: bytes | None) -> list[str]:
    """The diff of one file, named `shown` (e.g. out/lab/azure/main.json), as lines without newlines.

    `old` None: the file is created; `new` None: it is removed. Equal contents give no lines.
    """
    import difflib

    if old == new:
        return []
    before = NO_FILE if old is None else shown
    after = NO_FILE if new is None else shown
    if b"\0" in (old or b"") or b"\0" in (new or b""):
        return [f"Binary files {before} and {after} differ"]
    diff = difflib.unified_diff(_lines(old or b""), _lines(new or b""), before, after, lineterm="\n")
    return "".join(diff).splitlines()


def coloured(line: str) -> str:
    """A diff line styled for a terminal: headers bold, hunk ranges cyan, removals red, additions green."""
    if line.startswith(("--- ", "+++ ")):
        return click.style(line, bold=True)
    if line.startswith("@@"):
        return click.style(line, fg="cyan")
    if line.startswith("-"):
        return click.style(line, fg="red")
    if line.startswith("+"):
        return click.style(line, fg="green")
    return line
