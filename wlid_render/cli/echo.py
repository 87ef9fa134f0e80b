"""Printing for every command: problems with the source line they point at, summaries, colour (only on
a terminal, never with NO_COLOR set)."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import click

from wlid_render.cli.spec_input import STDIN_TEXT


def colour(stream: Any = None) -> bool:
    """Colour on a stream (stderr by default): only on a terminal, never with NO_COLOR set."""
    from wlid_render.cli.diagnostics import colour_wanted

    return colour_wanted(sys.stderr if stream is None else stream)


def terminal() -> bool:
    """Whether stdout or stderr is a terminal (what is printed there may depend on it)."""
    from wlid_render.cli.diagnostics import is_terminal

    return is_terminal(sys.stdout) or is_terminal(sys.stderr)


def stderr_is_terminal() -> bool:
    from wlid_render.cli.diagnostics import is_terminal

    return is_terminal(sys.stderr)


def echo_problems(problems: Iterable[Any], quiet: bool = False) -> None:
    """Every problem as `FILE:LINE:COL: path: message (hint: ...)`, the source line and a caret below.

    `quiet`: errors only."""
    shown = [p for p in problems if not quiet or p.severity == "error"]
    if not shown:
        return
    from wlid_render.cli.diagnostics import SourceLines, format_problem
    from wlid_render.errors import sort_problems

    coloured = colour()
    sources = SourceLines(STDIN_TEXT)
    for problem in sort_problems(shown):
        click.echo(format_problem(problem, sources, coloured), err=True, color=coloured)


def echo_summary(text: str) -> None:
    coloured = colour()
    click.echo(click.style(text, fg="red", bold=True) if coloured else text, err=True, color=coloured)


def error_count(problems: Iterable[Any]) -> int:
    return sum(1 for p in problems if p.severity == "error")


def some(names: Sequence[str], shown: int = 5) -> str:
    """`a, b, c, d, e and 45 more`: a list in a message that stays one line long."""
    listed = ", ".join(names[:shown])
    return f"{listed} and {len(names) - shown} more" if len(names) > shown else listed


Said = list[tuple[str, str]]  # what a command printed, in order: ("stdout" or "stderr", text)


class _Tee:
    """A text stream that writes through to `stream` and notes each text written, in `said`."""

    def __init__(self, stream: Any, name: str, said: Said) -> None:
        self._stream, self._name, self._said = stream, name, said

    def write(self, text: Any) -> Any:
        if isinstance(text, str) and text:
            self._said.append((self._name, text))
        return self._stream.write(text)

    def __getattr__(self, attribute: str) -> Any:  # encoding, flush, isatty, buffer, ...
        return getattr(self._stream, attribute)


@contextmanager
def recorded() -> Iterator[Said]:
    """What is printed to stdout and stderr inside the block, as it is printed."""
    said: Said = []
    stdout, stderr = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _Tee(stdout, "stdout", said), _Tee(stderr, "stderr", said)
    try:
        yield said
    finally:
        sys.stdout, sys.stderr = stdout, stderr


def replay(said: Said) -> None:
    """Print again what `recorded` noted, each text to its stream, in the same order."""
    for name, text in said:
        stream = sys.stdout if name == "stdout" else sys.stderr
        stream.write(text)
        stream.flush()
