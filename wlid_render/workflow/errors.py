"""Why a workflow operation could not be done. Each message says why and what to do; the CLI prints
it as `error: <message>` and exits 2 (see cli/group.py, the one mapping of errors to exit codes).

A mistake in the spec is a `SpecError` (wlid_render/errors.py) with every problem located; a refusal of the
writer is a `WriteError`, re-exported here so that callers of the workflow need not reach into
write/.
"""

from __future__ import annotations

from wlid_render.write import WriteError


class WorkflowError(Exception):
    """An operation that cannot be done as asked; the message says why and what to do."""


class ChoiceError(WorkflowError):
    """No spec or environment can be chosen: none given and no default, or one the spec lacks."""


class TemplatesError(WorkflowError):
    """The Bicep templates given with `--templates` fail (a failure of the bundled ones is a bug)."""


class TreeNotReady(WorkflowError):
    """OUT is missing, not wlid's or out of date where an operation needs it rendered (whatif)."""


class UsageMistake(WorkflowError):
    """The command line itself is wrong in a way only the spec shows (the CLI shows its usage).

    `option`: the option whose value is wrong, when one is (None: the arguments as a whole).
    """

    def __init__(self, message: str, option: str | None = None) -> None:
        super().__init__(message)
        self.option = option


__all__ = ["ChoiceError", "TemplatesError", "TreeNotReady", "UsageMistake", "WorkflowError", "WriteError"]
