"""`wlid whatif` and `wlid bind`: the deployment of a rendered tree, and its client IDs pinned after."""

from __future__ import annotations

from pathlib import Path

import click

from wlid_render.cli.group import main
from wlid_render.cli.options import (
    bound_outputs,
    env_option,
    examples,
    gitops_option,
    outputs_option,
    spec_argument,
    templates_option,
)
from wlid_render.cli.spec_input import STDIN, spec_path


@main.command(
    short_help="Pin client IDs from deployment outputs into the spec.",
    epilog=examples(
        "az deployment group show -g RG -n wlid-NAME --query properties.outputs > outputs.json",
        "wlid bind --env prod outputs.json",
        "wlid bind --spec specs/app.yaml --env prod group-0.json group-1.json",
    )
    + "\n\nOUTPUTS may be the whole output of az deployment group create|show or az stack group "
    "create|show, its properties.outputs, or --query properties.outputs.identities.value.",
)
@click.argument(
    "outputs_files",
    metavar="OUTPUTS...",
    nargs=-1,
    required=True,
    type=click.Path(dir_okay=False, path_type=str),
)
@click.option("--spec", "spec", metavar="SPEC", help="The spec to update [./wlid.yaml].")
@env_option("The environment the outputs belong to [the only one].")
def bind(outputs_files: tuple[str, ...], spec: str | None, env: str | None) -> None:
    """Pin client IDs from deployment OUTPUTS into the spec (comments and layout kept).

    A large spec deploys its identities in several groups: pass the outputs of every group.
    """
    from wlid_render.workflow.deploy import pin, read_binding

    path = spec_path(spec)
    if path == STDIN:
        raise click.UsageError("bind edits the spec file: --spec names a file, not -")
    binding = read_binding(path, env, outputs_files)
    chosen, matched = binding.environment, binding.matched
    for name in matched.unknown:
        click.echo(f"warning: the spec declares no identity {name!r}; not pinned", err=True)
    for name in matched.elsewhere:
        click.echo(f"warning: identity {name!r} is not deployed in {chosen!r}; not pinned", err=True)
    pinned = pin(binding)
    click.echo(f"{path}: pinned {pinned} client ID(s) for {chosen}")
    if matched.missing:
        click.echo(
            f"not in the outputs (left as they were): {', '.join(matched.missing)}; "
            "a split spec has one outputs file per identity group",
            err=True,
        )


@main.command(
    short_help="Print the az what-if and create commands of an environment.",
    epilog=examples(
        "wlid whatif --env prod                     # ./wlid.yaml, OUT out/<name>",
        "wlid whatif specs/app.yaml --env prod -o deploy/app",
    ),
)
@spec_argument()
@env_option("The environment to deploy [the only one].")
@click.option("-o", "--out", "out", type=click.Path(path_type=Path), help="Output folder [out/<name>].")
@templates_option
@outputs_option
@gitops_option
def whatif(
    spec: str | None,
    env: str | None,
    out: Path | None,
    templates: Path | None,
    outputs: tuple[str, ...],
    gitops: str,
) -> None:
    """Print the az commands that preview (what-if) and deploy ENV from OUT; runs nothing.

    First checks that OUT exists and is what SPEC renders (as render --check does, with the same
    --templates, --outputs and --gitops): a missing or stale OUT exits 2, because the commands
    deploy the files in OUT. The check goes to stderr, the commands to stdout.
    """
    from wlid_render.workflow.deploy import whatif as whatif_commands
    from wlid_render.workflow.options import RenderOptions

    path = spec_path(spec)
    if path == STDIN:
        raise click.UsageError("whatif compares OUT with the spec file it was rendered from: pass its path")
    options = RenderOptions(templates=templates, outputs=outputs, bound=bound_outputs(outputs), gitops=gitops)
    outcome = whatif_commands(path, env, out, options)
    click.echo(f"{outcome.out.as_posix()} is up to date", err=True)
    for line in outcome.commands:
        click.echo(line)
