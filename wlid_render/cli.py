"""The `wlid` command line: the only place that prints and exits.

Exit codes: 0 ok, 1 drift (`render --check`), 2 invalid spec or usage.
Heavy modules are imported inside the commands so that `wlid --help` stays fast.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from wlid_render import __version__

EXIT_DRIFT = 1
EXIT_INVALID = 2


def _echo_problems(problems, quiet: bool = False) -> None:  # type: ignore[no-untyped-def]
    from wlid_render.errors import sort_problems

    for problem in sort_problems(problems):
        if quiet and problem.severity != "error":
            continue
        click.echo(problem.format(), err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="wlid")
def main() -> None:
    """Render Azure Workload Identity wiring for AKS (ARM, Bicep, Kustomize) from one spec."""


@main.command()
@click.argument("spec", type=click.Path(dir_okay=False, path_type=str))
@click.option(
    "-o", "--out", "out", type=click.Path(file_okay=False, path_type=Path), help="Output folder [out/<name>]."
)
@click.option("--check", is_flag=True, help="Compare with OUT; exit 1 on any difference; write nothing.")
@click.option("--dry-run", is_flag=True, help="List what would be written; write nothing.")
@click.option(
    "--templates",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="A folder with bicep/*.j2 to use instead of the bundled templates.",
)
@click.option("--force", is_flag=True, help="Render into a non-empty folder that wlid has never written.")
@click.option("-q", "--quiet", is_flag=True, help="Print errors only.")
def render(
    spec: str, out: Path | None, check: bool, dry_run: bool, templates: Path | None, force: bool, quiet: bool
) -> None:
    """Render SPEC into OUT: azure/ (ARM, Bicep, parameters), k8s/ (Kustomize base and overlays)."""
    from wlid_render.errors import SpecError
    from wlid_render.render import render_file
    from wlid_render.write import apply, compare

    if check and dry_run:
        raise click.UsageError("--check and --dry-run exclude each other")
    try:
        rendering = render_file(spec, templates)
    except SpecError as exc:
        _echo_problems(exc.problems)
        count = sum(1 for p in exc.problems if p.severity == "error")
        click.echo(f"{count} error{'s' if count != 1 else ''} in {spec}; nothing written", err=True)
        sys.exit(EXIT_INVALID)
    _echo_problems(rendering.warnings, quiet)
    out = out or Path("out") / rendering.plan.name
    artifacts = list(rendering.artifacts)
    comparison = compare(out, artifacts)
    drift = comparison.drift
    if check:
        for change in drift:
            click.echo(f"would {change.action}: {(out / change.path).as_posix()}")
        if drift:
            click.echo(
                f"{out.as_posix()} is out of date ({len(drift)} files); run: wlid render {spec} -o {out}"
            )
            sys.exit(EXIT_DRIFT)
        if not quiet:
            click.echo(f"{out.as_posix()} is up to date ({len(artifacts)} files)")
        return
    if comparison.unowned_tree and not force:
        click.echo(
            f"{out.as_posix()} has files that wlid did not write (no .wlid/manifest.json); "
            "choose an empty folder or pass --force",
            err=True,
        )
        sys.exit(EXIT_INVALID)
    if dry_run:
        for change in comparison.changes:
            click.echo(f"{change.action}: {(out / change.path).as_posix()}")
        return
    apply(out, artifacts, comparison)
    if not quiet:
        counts = {
            a: sum(1 for c in comparison.changes if c.action == a) for a in ("create", "change", "remove")
        }
        click.echo(
            f"rendered {out.as_posix()}: {counts['create']} created, {counts['change']} changed, "
            f"{counts['remove']} removed, {len(artifacts) - counts['create'] - counts['change']} unchanged"
        )
        for path in comparison.foreign:
            click.echo(f"not ours, left alone: {(out / path).as_posix()}", err=True)
