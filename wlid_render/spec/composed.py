"""What composing a YAML document makes: the values, the marks of their paths, the open collections.

spec/compose.py fills a Composed from libyaml's events; spec/load.py turns it into a Source.
"""

from __future__ import annotations

from typing import Any

from wlid_render.errors import Path, Problem

SHALLOW = 2  # marks of paths this long or shorter are always recorded (see load.Marks)

At = tuple[int, int]  # a 1-based (line, column) while composing; a Mark once it leaves the loader

NO_KEY = object()  # a mapping's key that was refused: its value is read and dropped


class Frame:
    """An open collection: its value so far, its path, and what comes next in it."""

    __slots__ = ("anchor", "as_key", "at", "flow", "is_list", "key", "marked", "path", "value", "weight")

    def __init__(
        self,
        value: dict[str, Any] | list[Any],
        path: Path,
        at: At,
        as_key: bool,
        anchor: str | None,
        track: bool,
        flow: bool,
    ) -> None:
        self.value = value
        self.flow = flow  # written with [ ] or { }
        self.is_list = type(value) is list
        self.path = path
        self.marked = track or len(path) < SHALLOW  # the marks of what it holds are recorded
        self.key: Any = None  # the mapping key waiting for its value (None: a key comes next)
        self.at = at  # where the collection starts
        self.as_key = as_key  # this collection is itself a mapping key (refused)
        self.anchor = anchor
        self.weight = 1  # values inside, aliases expanded


class Composed:
    """What composing found: the root value and its mark, marks by path, and the problems.

    `stack` holds the collections still open (after a YAML error: those open where it stopped).
    """

    __slots__ = ("key_marks", "marks", "not_secrets", "problems", "root", "root_at", "stack")

    def __init__(self) -> None:
        self.marks: dict[Path, At] = {}
        self.key_marks: dict[Path, At] = {}
        self.not_secrets: set[Path] = set()  # paths of values tagged NOT_A_SECRET
        self.problems: list[Problem] = []
        self.root: Any = NO_KEY
        self.root_at: At | None = None
        self.stack: list[Frame] = []

    def open_flow(self) -> Frame | None:
        """The innermost collection written with [ ] or { } that is still open."""
        return next((frame for frame in reversed(self.stack) if frame.flow), None)


class Retrack(Exception):
    """A problem found while composing without marks: compose again with them to locate it."""
