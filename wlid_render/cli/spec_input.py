"""Which spec a command reads: a path, `./wlid.yaml` when none is given (the file `wlid init` writes),
or `-` for standard input (named `<stdin>` in problems). Reading standard input is the CLI's: its text
is kept to quote the lines that problems point at.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wlid_render.workflow.inputs import SpecInput

DEFAULT_SPEC = "wlid.yaml"
STDIN = "-"
STDIN_NAME = "<stdin>"

STDIN_TEXT: dict[str, str] = {}  # the spec read from standard input, for quoting its lines


def spec_path(spec: str | None) -> str:
    """The SPEC argument as given, else ./wlid.yaml when it exists."""
    if spec is not None:
        return spec
    if not os.path.isfile(DEFAULT_SPEC):
        from wlid_render.workflow.errors import ChoiceError

        raise ChoiceError(f"no {DEFAULT_SPEC} here; pass SPEC or run wlid init")
    return DEFAULT_SPEC


def spec_input(spec: str) -> SpecInput:
    """The workflow's SpecInput for SPEC: the path, or standard input read now (bounded)."""
    from wlid_render.workflow.inputs import SpecInput

    if spec != STDIN:
        return SpecInput(spec)
    from wlid_render.input_limits import SPEC_MAX_BYTES, read_stream_bounded

    stream = sys.stdin
    if hasattr(stream, "buffer"):
        raw = read_stream_bounded(stream.buffer, SPEC_MAX_BYTES, "the spec")
    else:  # a text stream without bytes underneath (tests): bounded all the same
        raw = stream.read(SPEC_MAX_BYTES + 1).encode("utf-8")
        if len(raw) > SPEC_MAX_BYTES:
            from wlid_render.workflow.errors import WorkflowError

            raise WorkflowError(f"the spec is larger than {SPEC_MAX_BYTES} bytes")
    STDIN_TEXT[STDIN_NAME] = raw.decode("utf-8", errors="replace")
    return SpecInput(STDIN_NAME, raw)
