"""Rendering one spec into its OUT, or comparing OUT with what a render would write.

Like a copier worker or tanka's Show/Diff/Apply: the whole tree is rendered in memory, compared with
OUT, and only then written (`render_into`) or reported (`check`, `dry_run`). Each operation returns a
`TreeOutcome`; the CLI prints it. A spec with problems and an OUT that may not be written are outcomes
too (`Invalid`, `Refused`), so that a run over several specs goes on to the next.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from wlid_render import write
from wlid_render.errors import Problem, SpecError
from wlid_render.repo_paths import repo_paths
from wlid_render.workflow.inputs import SpecInput, check_outputs_match
from wlid_render.workflow.options import NoProgress, Progress, RenderOptions, rendered, workload_count
from wlid_render.workflow.pipeline import Rendering

if TYPE_CHECKING:
    from wlid_render.validate.finding import Finding


class Invalid(NamedTuple):
    """The spec (or its outputs) has problems: nothing was rendered, OUT was not looked at."""

    spec: str
    problems: tuple[Problem, ...]


class Refused(NamedTuple):
    """The spec rendered, but OUT may not (or cannot) be written or compared; OUT is as it was."""

    spec: str
    out: Path
    warnings: tuple[Problem, ...]
    reason: write.WriteError


class Rendered(NamedTuple):
    """The spec rendered and OUT was compared with it (and written, unless checking)."""

    spec: str
    out: Path
    rendering: Rendering
    comparison: write.Comparison
    findings: tuple[Finding, ...] = ()  # of `wlid validate` over OUT, when options.validate


TreeOutcome = Invalid | Refused | Rendered


def render_into(
    spec: str, out: Path | None, options: RenderOptions, progress: Progress | None = None
) -> TreeOutcome:
    """Render `spec` and bring `out` (default: out/<metadata.name>) up to date; validate it after when
    `options.validate`."""
    outcome = _run(spec, out, options, progress or NoProgress(), write_it=True)
    if isinstance(outcome, Rendered) and options.validate:
        from wlid_render.validate.run import Options, validate_tree

        return outcome._replace(findings=tuple(validate_tree(outcome.out, Options())))
    return outcome


def check(
    spec: str, out: Path | None, options: RenderOptions, progress: Progress | None = None
) -> TreeOutcome:
    """What rendering `spec` would change in `out`; writes nothing (`wlid render --check`)."""
    return _run(spec, out, options, progress or NoProgress(), write_it=False)


def dry_run(
    spec: str, out: Path | None, options: RenderOptions, progress: Progress | None = None
) -> TreeOutcome:
    """What rendering `spec` would write into `out`; writes nothing (`wlid render --dry-run`). The same
    comparison as `check`: only what the CLI prints of it differs."""
    return check(spec, out, options, progress)


def _run(
    spec: str, out: Path | None, options: RenderOptions, progress: Progress, write_it: bool
) -> TreeOutcome:
    try:
        source = SpecInput(spec).load()
        progress.started(workload_count(source.data))
        rendering = rendered(
            source,
            options,
            progress.stage,
            # generated files name OUT and the spec relative to the Git repository holding OUT
            paths=lambda name: repo_paths(out or Path("out") / name, spec),
        )
        check_outputs_match(rendering.plan, options.bound)
    except SpecError as exc:
        return Invalid(spec, tuple(exc.problems))
    target = out or Path("out") / rendering.plan.name
    return _compared(spec, target, rendering, options, progress, write_it)


def _compared(
    spec: str, out: Path, rendering: Rendering, options: RenderOptions, progress: Progress, write_it: bool
) -> TreeOutcome:
    artifacts = list(rendering.artifacts)
    try:  # OUT is looked at before anything is walked: a folder wlid did not write is refused
        if write_it:
            progress.stage("write")
            comparison = write.apply(out, artifacts, force=options.force)
        else:
            progress.stage("compare")
            comparison = write.compare(out, artifacts, force=options.force)
    except write.WriteError as exc:
        return Refused(spec, out, rendering.warnings, exc)
    return Rendered(spec, out, rendering, comparison)
