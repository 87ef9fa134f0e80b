"""`wlid validate`: check rendered trees offline."""

from __future__ import annotations

from pathlib import Path

import click

from wlid_render import __version__
from wlid_render.cli.group import EXIT_ERROR, exit_with, main
from wlid_render.cli.options import examples


@main.command(
    short_help="Check rendered trees offline: schemas and identity rules.",
    epilog=examples(
        "wlid validate                        # every tree under out/",
        "wlid validate out/lab --no-kubectl",
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
    default="1.32",
    show_default=True,
    type=click.Choice(["1.30", "1.31", "1.32", "1.33", "1.34"]),
    help="Kubernetes version whose schemas objects are checked against.",
)
@click.option("--no-kubectl", is_flag=True, help="Do not run kubectl kustomize on the overlays.")
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
    findings = validate_trees(trees, kubernetes_version, not no_kubectl, strict_mode, regions_file)
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
