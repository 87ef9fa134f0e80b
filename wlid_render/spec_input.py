"""Which spec a command reads and which environment it works on.

Every command takes its spec the same way: a path, `./wlid.yaml` when none is given (the file `wlid
init` writes), or `-` for standard input (named `<stdin>` in problems). Every command names an
environment the same way, `--env ENV`, which may be left out when the spec has only one. Pure apart
from looking for `./wlid.yaml`; mistakes come back as `InputError` (the CLI exits 2 with the message).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

DEFAULT_SPEC = "wlid.yaml"
STDIN = "-"
STDIN_NAME = "<stdin>"


class InputError(Exception):
    """A spec or environment that cannot be chosen; the message says what to do."""

    @property
    def message(self) -> str:
        return str(self.args[0])


def spec_path(spec: str | None) -> str:
    """The SPEC argument as given, else ./wlid.yaml when it exists."""
    if spec is not None:
        return spec
    if not os.path.isfile(DEFAULT_SPEC):
        raise InputError(f"no {DEFAULT_SPEC} here; pass SPEC or run wlid init")
    return DEFAULT_SPEC


def choose_environment(names: Sequence[str], env: str | None) -> str:
    """`env` when the spec has it; the only environment when `env` is None and there is one."""
    listed = ", ".join(names)
    if env is None:
        if len(names) == 1:
            return names[0]
        raise InputError(f"the spec has {len(names)} environments ({listed}); choose one with --env ENV")
    if env not in names:
        from wlid_render.suggest import did_you_mean

        guess = did_you_mean(env, names)
        raise InputError(
            f"no environment {env!r}; the spec has: {listed}" + (f" (did you mean {guess}?)" if guess else "")
        )
    return env
