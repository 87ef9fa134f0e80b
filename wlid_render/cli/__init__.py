"""The `wlid` command line: the only place that prints and exits.

Each command parses its arguments, calls one workflow operation (wlid_render/workflow) and prints
what it returns. `group.py` holds the group and the one mapping of errors to exit codes; the commands
live in `commands/`, one module per family, each imported only when one of its commands runs (or when
`wlid --help` lists them all); what only the CLI prints with is beside them (`echo`, `diagnostics`,
`diffs`, `json_output`, `progress`). Heavy modules are imported inside the commands so that
`wlid --help` stays fast.
"""

from __future__ import annotations

from typing import Any

from wlid_render.cli.group import COMMAND_MODULES, EXIT_DRIFT, EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK, main

# the command functions by their Python names, for library callers (`from wlid_render.cli import
# render`): each is named as its command but for these two
PYTHON_NAMES = {"drift": "drift_command", "import": "import_command"}
COMMAND_OF_FUNCTION = {PYTHON_NAMES.get(command, command): command for command in COMMAND_MODULES}

__all__ = [
    "EXIT_DRIFT",
    "EXIT_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "main",
    "run",
    *sorted(COMMAND_OF_FUNCTION),
]


def __getattr__(name: str) -> Any:
    if name not in COMMAND_OF_FUNCTION:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return main.get_command(None, COMMAND_OF_FUNCTION[name])  # type: ignore[arg-type]


def run() -> None:
    """The `wlid` program: `main` as the whole process (see fast/process.py)."""
    from wlid_render.fast.process import run_program

    run_program(main)
