"""`wlid init` and `wlid schema`: a starter spec, and the JSON Schema editors complete it with."""

from __future__ import annotations

from pathlib import Path

import click

from wlid_render.cli.group import main
from wlid_render.cli.options import examples


@main.command(
    short_help="Print the JSON Schema of the spec, for editors.",
    epilog=examples(
        "wlid schema -o wlid-v1.schema.json   # beside the spec; its first line points at it",
        "wlid schema | jq '.properties | keys'",
    ),
)
@click.option(
    "-o",
    "--output",
    "output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the schema to FILE instead of printing it.",
)
def schema(output: Path | None) -> None:
    """Print the JSON Schema of spec v1 (for editor completion and validation)."""
    from wlid_render.workflow.files import schema_text, write_schema

    if output is None:
        click.echo(schema_text(), nl=False)
        return
    write_schema(output)
    click.echo(f"wrote {output}", err=True)


@main.command(
    short_help="Write a starter wlid.yaml that renders as it is.",
    epilog=examples(
        "wlid init                 # wlid.yaml: the lab scenario with EDIT placeholders",
        "wlid init --from-lab      # the lab example as it is",
        "wlid init deploy/app.yaml",
    ),
)
@click.argument("path", default="wlid.yaml", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--from-lab", is_flag=True, help="Write the lab example as it is instead of the template to edit."
)
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
def init(path: Path, from_lab: bool, force: bool) -> None:
    """Write a commented starter spec to PATH (default wlid.yaml) that renders as it is."""
    import shlex

    from wlid_render.workflow.files import SCHEMA_FILE, write_starter

    starter = write_starter(path, from_lab, force)
    shown = shlex.quote(str(path))
    what = "the lab example" if from_lab else "a starter spec; edit the values marked EDIT"
    click.echo(f"wrote {path} ({what}); next:")
    click.echo(f"  wlid render {shown}")
    click.echo(f"  wlid validate out/{starter.spec_name}")
    schema_path = shlex.quote(str(path.parent / SCHEMA_FILE))
    click.echo(f"editor completion: wlid schema -o {schema_path} (the spec's first line points at it)")
