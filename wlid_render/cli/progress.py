"""The progress bar of a large render on a terminal (stderr), over the stages of the workflow."""

from __future__ import annotations

import sys
from types import TracebackType
from typing import Any

import click

from wlid_render.cli.echo import stderr_is_terminal

PROGRESS_MIN_WORKLOADS = 300  # larger renders show a progress bar on a terminal
_STAGE_LABELS = {
    "plan": "checking the spec",
    "emit": "rendering files",
    "compare": "comparing with OUT",
    "write": "writing OUT",
}


class ProgressBar:
    """A workflow Progress: a bar on stderr once a spec of more than PROGRESS_MIN_WORKLOADS workloads
    is loaded, unless `quiet` or stderr is not a terminal. Closed when the `with` block ends (also on
    an error: the terminal gets its cursor back)."""

    def __init__(self, quiet: bool) -> None:
        from wlid_render.workflow.options import RENDER_STAGES

        self.stages = RENDER_STAGES
        self.quiet = quiet
        self.bar: Any = None
        self.done = 0

    def started(self, workloads: int) -> None:
        if self.quiet or workloads <= PROGRESS_MIN_WORKLOADS or not stderr_is_terminal():
            return
        self.bar = click.progressbar(
            length=len(self.stages),
            label="wlid render",
            file=sys.stderr,
            show_eta=False,
            show_percent=False,
            item_show_func=lambda stage: _STAGE_LABELS.get(stage, "") if stage else "",
        )
        self.bar.__enter__()

    def stage(self, name: str) -> None:
        if self.bar is not None:
            self.bar.update(self.stages.index(name) - self.done, current_item=name)
            self.done = self.stages.index(name)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.update(len(self.stages) - self.done, current_item=None)
            self.bar.__exit__(None, None, None)
            self.bar = None

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
