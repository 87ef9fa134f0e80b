"""Printing for every command: problems with the source line they point at, summaries, colour (only on
a terminal, never with NO_COLOR set)."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from typing import Any

import click

from wlid_render.cli.spec_input import STDIN_TEXT


def colour(stream: Any = None) -> bool:
    """Colour on a stream (stderr by default): only on a terminal, never with NO_COLOR set."""
    from wlid_render.cli.diagnostics import colour_wanted

    return colour_wanted(sys.stderr if stream is None else stream)


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
