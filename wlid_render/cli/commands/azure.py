"""`wlid import` and `wlid drift`: read-only looks at Azure (the wlid[azure] extra, brownfield/)."""

from __future__ import annotations

from pathlib import Path

import click

from wlid_render.cli.group import EXIT_DRIFT, Failure, exit_with, main
from wlid_render.cli.options import env_option, examples, spec_argument
from wlid_render.cli.spec_input import spec_input, spec_path


@main.command(
    short_help="Write a spec from identities that exist in Azure (read-only).",
    name="import",
    epilog=examples(
        "wlid import --subscription SUB --resource-group rg-app -o wlid.yaml",
        "wlid import --subscription SUB --resource-group rg-ids --cluster aks-prod \\",
        "    --cluster-resource-group rg-aks --name payments -o specs/payments.yaml",
        "wlid import --subscription SUB --resource-group rg-app --bindings -o wlid.yaml",
    )
    + "\n\nNeeds the wlid[azure] extra and an Azure login (az login); reads, never writes.",
)
@click.option("--subscription", required=True, help="Subscription ID of the identities.")
@click.option("--resource-group", required=True, help="Resource group of the identities.")
@click.option("--cluster", "cluster_name", help="AKS cluster whose issuer the FICs trust [the only one].")
@click.option("--cluster-resource-group", help="Resource group of the cluster [--resource-group].")
@click.option("--name", help="metadata.name of the spec [from the resource group].")
@click.option(
    "--bindings",
    "read_bindings",
    is_flag=True,
    help="Also read the cluster's AKS identity bindings: an identity with one gets federation: identityBinding.",
)
@click.option(
    "-o",
    "--output",
    "output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The spec file to write (refused when it exists, unless --force).",
)
@click.option("--force", is_flag=True, help="Overwrite OUTPUT.")
def import_command(
    subscription: str,
    resource_group: str,
    cluster_name: str | None,
    cluster_resource_group: str | None,
    name: str | None,
    read_bindings: bool,
    output: Path,
    force: bool,
) -> None:
    """Read existing identities and FICs (read-only) and write a spec that renders to the same state."""
    from wlid_render.brownfield import BrownfieldError, build_import, read_state

    if output.exists() and not force:
        raise click.UsageError(f"{output} exists; pass --force to overwrite it")
    try:
        state = read_state(
            subscription,
            resource_group,
            cluster_name=cluster_name,
            cluster_resource_group=cluster_resource_group,
            roles=True,  # imported as roles entries; hand-made ones are marked (RoleAssignmentExists)
            bindings=read_bindings,
        )
        imported = build_import(state, name=name)
    except BrownfieldError as exc:
        raise Failure(exc.message) from None
    from wlid_render.workflow.files import write_text

    write_text(output, imported.text)
    click.echo(f"wrote {output}: {len(imported.identities)} identity(ies), {imported.credentials} FIC(s)")
    for skipped in imported.skipped:
        click.echo(
            f"not imported (listed as a comment in the spec): {skipped.label}: {skipped.reason}", err=True
        )


@main.command(
    short_help="Compare a spec with what exists in Azure (read-only).",
    name="drift",
    epilog=examples(
        "wlid drift --env prod",
        "wlid drift specs/app.yaml --env prod --format json | jq .hasDrift",
        "wlid drift --env prod --strict       # FICs of other issuers count as drift too",
    )
    + "\n\nNeeds the wlid[azure] extra and an Azure login (az login); reads, never writes. "
    "Exit 1 when something differs.",
)
@spec_argument()
@env_option("The environment to compare [the only one].")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text: one line per difference; json: the report as one object for tools.",
)
@click.option("--strict", "strict_mode", is_flag=True, help="FICs of other issuers count as drift too.")
def drift_command(spec: str | None, env: str | None, output_format: str, strict_mode: bool) -> None:
    """Compare SPEC's identities and FICs for ENV with what exists in Azure (read-only); exit 1 on drift."""
    from wlid_render.brownfield import BrownfieldError, drift, format_drift, read_environment_state
    from wlid_render.workflow.planning import planned_environment

    plan, chosen = planned_environment(spec_input(spec_path(spec)), env)
    try:
        state = read_environment_state(plan, chosen)
        report = drift(plan, chosen, state, strict=strict_mode)
    except BrownfieldError as exc:
        raise Failure(exc.message) from None
    click.echo(report.to_json() if output_format == "json" else format_drift(report), nl=False)
    if report.has_drift:
        exit_with(EXIT_DRIFT)
