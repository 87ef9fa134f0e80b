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

# the command functions by their Python names, for library callers (`from wlid_render.cli import render`)
COMMAND_FUNCTIONS = {
    "bind": "bind",
    "drift_command": "drift",
    "explain": "explain",
    "import_command": "import",
    "init": "init",
    "render": "render",
    "schema": "schema",
    "validate": "validate",
    "whatif": "whatif",
}

__all__ = [
    "EXIT_DRIFT",
    "EXIT_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "bind",
    "drift_command",
    "explain",
    "import_command",
    "init",
    "main",
    "render",
    "run",
    "schema",
    "validate",
    "whatif",
]


def __getattr__(name: str) -> Any:
    if name in COMMAND_FUNCTIONS:
        module = f"wlid_render.cli.commands.{COMMAND_MODULES[COMMAND_FUNCTIONS[name]]}"
        return getattr(__import__(module, fromlist=[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def run() -> None:
    """The `wlid` program: `main` as the whole process (see fast/process.py)."""
    from wlid_render.fast.process import run_program

    run_program(main)
