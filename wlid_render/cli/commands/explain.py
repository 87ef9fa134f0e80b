"""`wlid explain`: what is wired to what, as text, a Mermaid graph or JSON."""

from __future__ import annotations

import click

from wlid_render.cli.group import main
from wlid_render.cli.options import env_option, examples, ignore_option, spec_argument
from wlid_render.cli.spec_input import spec_input, spec_path


@main.command(
    short_help="Show what is wired to what, per environment.",
    epilog=examples(
        "wlid explain                          # every environment of ./wlid.yaml",
        "wlid explain specs/app.yaml --env prod",
        "wlid explain --format mermaid > graph.mmd",
        "wlid explain --format json | jq '.environments[].identities[].name'",
    ),
)
@spec_argument()
@env_option("Only this environment [all].")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "mermaid", "json"]),
    default="text",
    show_default=True,
    help="text: a summary per environment; mermaid: a Mermaid flowchart of the same graph; "
    "json: the same view for tools (docs/json-output.md).",
)
@ignore_option
def explain(spec: str | None, env: str | None, output_format: str, ignored: tuple[str, ...]) -> None:
    """Summarise SPEC per environment: cluster and issuer, identities, credentials, roles, workloads."""
    from wlid_render.views.explain_text import explain_text
    from wlid_render.views.mermaid import explain_mermaid, mermaid_fits
    from wlid_render.workflow.planning import explain as explained

    outcome = explained(spec_input(spec_path(spec)), env, ignored)
    if output_format == "text":
        click.echo(explain_text(outcome.views), nl=False)
        return
    if output_format == "json":
        from wlid_render.cli.json_output import dumps, explain_report

        click.echo(dumps(explain_report(outcome.file, outcome.name, outcome.views)), nl=False)
        return
    graph = explain_mermaid(outcome.views)
    click.echo(graph, nl=False)
    if not mermaid_fits(graph):
        click.echo(
            "warning: the graph exceeds Mermaid's default size limits (50,000 characters, 500 edges); "
            "GitHub will not draw it (--env ENV draws one environment)",
            err=True,
        )
