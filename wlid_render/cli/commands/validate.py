"""`wlid validate`: check rendered trees offline."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from wlid_render import __version__
from wlid_render.cli.group import EXIT_ERROR, exit_with, main
from wlid_render.cli.options import examples
from wlid_render.formats import DEFAULT_KUBERNETES_VERSION, KUBERNETES_VERSIONS

if TYPE_CHECKING:
    from wlid_render.workflow.validation import UnitBuild


@main.command(
    short_help="Check rendered trees offline: schemas and identity rules.",
    epilog=examples(
        "wlid validate                        # every tree under out/",
        "wlid validate out/lab --no-kubectl",
        "wlid validate out/big -v             # the time of each kubectl kustomize build",
        "wlid validate out/* --strict --format sarif > wlid.sarif",
    ),
)
@click.argument(
    "outs", metavar="[OUT]...", nargs=-1, type=click.Path(file_okay=False, exists=True, path_type=Path)
)
@click.option("--strict", "strict_mode", is_flag=True, help="Treat warnings as errors.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "sarif"]),
    default="text",
    show_default=True,
    help="Output format; sarif is SARIF 2.1.0 for code scanning.",
)
@click.option(
    "--kubernetes-version",
    default=DEFAULT_KUBERNETES_VERSION,
    show_default=True,
    type=click.Choice(KUBERNETES_VERSIONS),
    help="Kubernetes version whose schemas objects are checked against.",
)
@click.option("--no-kubectl", is_flag=True, help="Do not run kubectl kustomize.")
@click.option(
    "--kustomize-whole",
    is_flag=True,
    help="Run kubectl kustomize on each whole overlay, not on each folder GitOps builds.",
)
@click.option("-v", "--verbose", is_flag=True, help="Print the time of each kubectl kustomize build.")
@click.option(
    "--regions-file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="More regions without federated credential support, one per line.",
)
def validate(
    outs: tuple[Path, ...],
    strict_mode: bool,
    output_format: str,
    kubernetes_version: str,
    no_kubectl: bool,
    kustomize_whole: bool,
    verbose: bool,
    regions_file: Path | None,
) -> None:
    """Check rendered trees offline (default: every tree under out/); exit 2 on an error finding."""
    import shutil

    from wlid_render.workflow.validation import default_trees, findings_report, validate_trees

    trees = list(outs) or default_trees()
    if not trees:
        raise click.UsageError("no rendered tree given and none found under out/")
    if not no_kubectl and shutil.which("kubectl") is None and output_format == "text":
        click.echo("note: kubectl not found; overlays are built by wlid only (K8S002 not checked)", err=True)
    if kustomize_whole and no_kubectl:
        raise click.UsageError("--kustomize-whole and --no-kubectl exclude each other")
    findings = validate_trees(
        trees,
        kubernetes_version,
        not no_kubectl,
        strict_mode,
        regions_file,
        kustomize_whole=kustomize_whole,
        on_build=_print_build if verbose else None,
    )
    if output_format == "text":
        for finding in findings:
            click.echo(finding.format())
    else:
        click.echo(findings_report(findings, output_format, __version__), nl=False)
    errors = sum(1 for f in findings if f.severity == "error")
    if output_format == "text":
        warnings = len(findings) - errors
        click.echo(f"{len(trees)} tree(s): {errors} error(s), {warnings} warning(s)", err=True)
    if errors:
        exit_with(EXIT_ERROR)


def _print_build(build: UnitBuild) -> None:
    """`OUT/k8s/overlays/dev/shop: kubectl kustomize 0.41 s (812 objects)` on stderr."""
    unit = build.unit
    outcome = "" if build.finding is None else ", failed"
    click.echo(
        f"{(build.root / unit.folder).as_posix()}: kubectl kustomize {build.seconds:.2f} s "
        f"({unit.objects} objects{', whole overlay' if unit.whole else ''}{outcome})",
        err=True,
    )
