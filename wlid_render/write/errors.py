"""Why OUT may not or cannot be written: the writer's exceptions, each with the message a user reads."""

from __future__ import annotations

from pathlib import Path

from wlid_render.manifest import shown

SHOWN_PATHS = 10  # paths listed in a refusal before "and N more"


class WriteError(Exception):
    """OUT could not be (or may not be) brought up to date; OUT is as it was. The message says why."""


class UnownedTree(WriteError):
    """OUT holds entries but no manifest of wlid: wlid never rendered there (see `force`)."""


class ForeignEntries(WriteError):
    """wlid would write where OUT holds entries it did not write (see `force`)."""


def listed(paths: list[str], out: Path) -> str:
    """Paths below OUT for a message: the first SHOWN_PATHS of them, then "and N more"."""
    names = [shown((out / p).as_posix()) for p in paths[:SHOWN_PATHS]]
    more = len(paths) - SHOWN_PATHS
    return ", ".join(names) + (f" and {more} more" if more > 0 else "")
