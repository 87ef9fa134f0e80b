"""Problems as people read them: the `FILE:LINE:COL: path: message (hint: ...)` line, then the source
line it points at with a caret under the column, in colour when asked.

The first line is exactly `Problem.format()` (tools parse it); the quote follows on indented lines.
Pure apart from reading the spec files to quote (`SourceLines`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import TextIO

import click

from wlid_render.errors import Problem, dotted

# The line breaks of YAML (and of PyYAML and libyaml, which count lines for the marks).
_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


def is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


def colour_wanted(stream: TextIO) -> bool:
    """Colour only on a terminal, and never with NO_COLOR set to anything but "" (no-color.org)."""
    return not os.environ.get("NO_COLOR") and is_terminal(stream)


class SourceLines:
    """The lines of the files problems point at, read once each; None for a file that cannot be read."""

    def __init__(self, texts: Mapping[str, str] | None = None) -> None:
        """`texts`: files already read, by the name problems give them (standard input: <stdin>)."""
        self._files: dict[str, list[str] | None] = {
            name: _LINE_BREAK.split(text.removeprefix("\ufeff")) for name, text in (texts or {}).items()
        }

    def line(self, file: str, number: int) -> str | None:
        if file not in self._files:
            self._files[file] = self._read(file)
        lines = self._files[file]
        if lines is None or not 1 <= number <= len(lines):
            return None
        return lines[number - 1]

    @staticmethod
    def _read(file: str) -> list[str] | None:
        from wlid_render.input_limits import SPEC_MAX_BYTES, InputError, read_bounded

        if not os.path.isfile(file):  # a pipe or FIFO was read once already: reading again would wait
            return None
        try:
            text = read_bounded(file, SPEC_MAX_BYTES).decode("utf-8", errors="replace")
        except InputError:
            return None
        return _LINE_BREAK.split(text.removeprefix("\ufeff"))


QUOTE_WIDTH = 100  # characters of a longer source line shown around the column
# Characters that must not reach a terminal raw: C0 and C1 controls (tab aside), DEL, line and paragraph
# separators, and the invisible format characters (zero-width, bidirectional controls, BOM).
_HIDDEN = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


def _visible(char: str) -> str:
    if not _HIDDEN.match(char):
        return char
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def quote(line: str, column: int, number: int) -> list[str]:
    """The source line and a caret under `column` (1-based), behind a gutter with the line number.

    Hidden characters are shown escaped (\\x00, \\u200b); of a line longer than QUOTE_WIDTH only the
    part around the column is shown, between "...".
    """
    at = min(max(column - 1, 0), len(line))
    start = 0
    end = len(line)
    if len(line) > QUOTE_WIDTH:
        start = max(0, min(at - QUOTE_WIDTH // 2, len(line) - QUOTE_WIDTH))
        end = start + QUOTE_WIDTH
    head = "..." if start > 0 else ""
    tail = "..." if end < len(line) else ""
    shown = head + "".join(_visible(c) for c in line[start:end]).rstrip() + tail
    # Tabs stay tabs under the caret so that it lines up however the terminal expands them.
    pad = " " * len(head) + "".join("\t" if c == "\t" else " " * len(_visible(c)) for c in line[start:at])
    gutter = str(number)
    return [f"  {gutter} | {shown}", f"  {' ' * len(gutter)} | {pad}^"]


def format_problem(problem: Problem, sources: SourceLines | None = None, colour: bool = False) -> str:
    """The problem's line (as `Problem.format()`), then the quoted source line and caret when known."""
    first = _first_line(problem, colour)
    if sources is None or problem.mark is None or not problem.file:
        return first
    line = sources.line(problem.file, problem.mark.line)
    if line is None:
        return first
    source, caret = quote(line, problem.mark.column, problem.mark.line)
    if colour:
        accent = "red" if problem.severity == "error" else "yellow"
        gutter, _, text = source.partition(" | ")
        source = click.style(f"{gutter} |", fg="blue") + " " + text
        gutter, _, marker = caret.partition(" | ")
        caret = click.style(f"{gutter} |", fg="blue") + " " + click.style(marker, fg=accent, bold=True)
    return "\n".join([first, source, caret])


def _first_line(problem: Problem, colour: bool) -> str:
    if not colour:
        return problem.format()
    # The same text as Problem.format(), in parts: the location bold, the severity and hint coloured.
    where = problem.file or "<spec>"
    if problem.mark is not None:
        where += f":{problem.mark.line}:{problem.mark.column}"
    accent = "red" if problem.severity == "error" else "yellow"
    text = click.style(f"{where}:", fg=accent, bold=True) + " "
    if problem.severity != "error":
        label = f"{problem.severity} {problem.code}" if problem.code else problem.severity
        text += click.style(f"{label}:", fg=accent, bold=True) + " "
    if problem.path:
        text += click.style(f"{dotted(problem.path)}:", fg="cyan") + " "
    text += problem.message
    if problem.hint:
        text += " " + click.style(f"(hint: {problem.hint})", fg="green")
    return text
