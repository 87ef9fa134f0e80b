"""Problems as values: a message, where it is, and what to do about it.

Every stage collects problems instead of raising on the first one; the CLI prints them all.
This module imports nothing of ours.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple

Path = tuple[str | int, ...]


def dotted(path: Path) -> str:
    """`("serviceAccounts", 0, "identity")` -> `serviceAccounts[0].identity`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            text = str(part)
            if not text.isprintable() or len(text) > 80:  # never let a key forge or flood output
                text = repr(text[:80])
            out += f".{text}" if out else text
    return out


class Mark(NamedTuple):
    line: int  # 1-based
    column: int  # 1-based


class Problem(NamedTuple):
    """One finding about the user's input. `path` is the dotted location inside the spec."""

    message: str
    path: Path = ()
    hint: str = ""
    severity: str = "error"  # "error" | "warning"
    file: str = ""
    mark: Mark | None = None
    code: str = ""  # a warning's stable code (see warning_codes.WARNINGS); "" for errors
    at_key: bool = False  # about a whole entry (`environments.dev`): located at its key, not its value

    def located(
        self, file: str, marks: Mapping[Path, Mark], key_marks: Mapping[Path, Mark] | None = None
    ) -> Problem:
        """Attach the file and the line/column of the nearest node that has a mark (of the key of the
        path itself when `at_key` and `key_marks` has it)."""
        mark = self.mark
        path = self.path
        if mark is None and self.at_key and key_marks is not None:
            mark = key_marks.get(path)
        while mark is None:
            mark = marks.get(path)
            if not path:
                break
            path = path[:-1]
        return self._replace(file=file, mark=mark)

    def format(self) -> str:
        where = self.file or "<spec>"
        if self.mark is not None:
            where += f":{self.mark.line}:{self.mark.column}"
        text = f"{where}: "
        if self.severity != "error":
            text += f"{self.severity} {self.code}: " if self.code else f"{self.severity}: "
        if self.path:
            text += f"{dotted(self.path)}: "
        text += self.message
        if self.hint:
            text += f" (hint: {self.hint})"
        return text


class SpecError(Exception):
    """Raised by a stage that cannot go on; carries every problem found so far."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = tuple(problems)
        super().__init__("\n".join(p.format() for p in self.problems))


def sort_problems(problems: Iterable[Problem]) -> list[Problem]:
    def key(p: Problem) -> tuple[str, int, int, str]:
        line = p.mark.line if p.mark else 0
        col = p.mark.column if p.mark else 0
        return (p.file, line, col, p.message)

    return sorted(problems, key=key)
