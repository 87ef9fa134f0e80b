"""What a render is asked to do: one options struct shared by every operation that renders
(render into OUT, check, dry run, the `-o -` stream, whatif), and how far a render has got.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import NamedTuple, Protocol

from wlid_render.repo_paths import RepoPaths
from wlid_render.spec.load import Source
from wlid_render.workflow.errors import TemplatesError
from wlid_render.workflow.pipeline import Rendering, render_source

RENDER_STAGES = ("plan", "emit", "compare", "write")


class RenderOptions(NamedTuple):
    """How to render, whatever is done with the result."""

    templates: Path | None = None  # a folder with bicep/*.j2 instead of the bundled templates
    outputs: tuple[str, ...] = ()  # `--outputs ENV=FILE` as given, for the command lines in messages
    bound: Mapping[str, Mapping[str, str]] = {}  # env -> identity -> client ID, read from those files
    gitops: str = "both"  # flux, argocd, both or none
    ignored: tuple[str, ...] = ()  # warning codes not to report (--ignore)
    force: bool = False  # render into a folder (or over entries) that wlid did not write
    validate: bool = False  # validate OUT after writing it (`wlid validate` with its defaults)

    def render_command(self, spec: str, out: Path) -> str:
        """The `wlid render` command line that writes this tree, for messages."""
        words = ["wlid", "render", spec, "-o", out.as_posix()]
        if self.templates is not None:
            words += ["--templates", str(self.templates)]
        for option in self.outputs:
            words += ["--outputs", option]
        if self.gitops != "both":
            words += ["--gitops", self.gitops]
        return shlex.join(words)


class Progress(Protocol):
    """Told how far a render has got (a progress bar, or nothing)."""

    def started(self, workloads: int) -> None:
        """The spec is loaded; it declares this many workloads."""

    def stage(self, name: str) -> None:
        """A stage of RENDER_STAGES begins."""


class NoProgress:
    """A Progress that shows nothing."""

    def started(self, workloads: int) -> None:
        pass

    def stage(self, name: str) -> None:
        pass


def workload_count(data: object) -> int:
    """How many workloads a loaded spec declares (0 when its `workloads` is not a list)."""
    workloads = data.get("workloads") if isinstance(data, dict) else None
    return len(workloads) if isinstance(workloads, list) else 0


def rendered(
    source: Source,
    options: RenderOptions,
    progress: Callable[[str], None] | None = None,
    paths: Callable[[str], RepoPaths] | None = None,
) -> Rendering:
    """Render a loaded spec with `options`, the ignored warnings left out.

    A mistake in the --templates a user gave is a TemplatesError, not a traceback (a failure of the
    bundled templates is a bug of wlid and shows as one). `paths`: where OUT and the spec sit in the
    Git repository (see repo_paths), for the files that name them, as a function of metadata.name.
    """
    from wlid_render.warning_codes import without_ignored

    try:
        rendering = render_source(
            source,
            options.templates,
            bound=options.bound,
            gitops=options.gitops,
            progress=progress,
            paths=paths,
        )
        return rendering._replace(warnings=without_ignored(rendering.warnings, options.ignored))
    except Exception as exc:
        import jinja2

        from wlid_render.emit.bicep_escape import UnescapedValueError

        if options.templates is None or not isinstance(exc, (jinja2.TemplateError, UnescapedValueError)):
            raise
        if isinstance(exc, jinja2.TemplateSyntaxError):
            raise TemplatesError(f"{exc.filename or exc.name}:{exc.lineno}: {exc.message}") from None
        raise TemplatesError(f"the templates in {options.templates} fail: {exc}") from None
