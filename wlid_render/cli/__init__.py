"""The `wlid` command line: the only place that prints and exits.

Each command parses its arguments, calls one workflow operation (wlid_render/workflow) and prints
what it returns. `group.py` holds the group and the one mapping of errors to exit codes; the commands
live in `commands/`, one module per family; what only the CLI prints with is beside them (`echo`,
`diagnostics`, `diffs`, `json_output`, `progress`). Heavy modules are imported inside the commands so
that `wlid --help` stays fast.
"""

from __future__ import annotations

from wlid_render.cli.commands.azure import drift_command, import_command
from wlid_render.cli.commands.deploy import bind, whatif
from wlid_render.cli.commands.explain import explain
from wlid_render.cli.commands.render import render
from wlid_render.cli.commands.start import init, schema
from wlid_render.cli.commands.validate import validate
from wlid_render.cli.group import EXIT_DRIFT, EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK, main

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


def run() -> None:
    """The `wlid` program: `main` as the whole process (see fast/process.py)."""
    from wlid_render.fast.process import run_program

    run_program(main)
