"""Arguments and options that several commands share, and the layout of their examples."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click


def examples(*lines: str) -> str:
    """An epilog of examples, laid out as written (click rewraps other paragraphs)."""
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)


def _warning_codes(ctx: click.Context, param: click.Parameter, codes: tuple[str, ...]) -> tuple[str, ...]:
    """`--ignore CODE`: codes of warning_codes.WARNINGS only (a usage error names the closest)."""
    from wlid_render.warning_codes import unknown_code_hint

    for code in codes:
        hint = unknown_code_hint(code)
        if hint is not None:
            raise click.BadParameter(f"unknown warning code {code!r}; {hint}")
    return codes


ignore_option = click.option(
    "--ignore",
    "ignored",
    multiple=True,
    metavar="CODE",
    callback=_warning_codes,
    help="Do not print warnings with this code (repeatable; e.g. W006; see docs/warnings.md).",
)


def spec_argument() -> Callable[[Any], Any]:
    return click.argument(
        "spec",
        metavar="[SPEC]",
        required=False,
        type=click.Path(dir_okay=False, allow_dash=True, path_type=str),
    )


def env_option(help_text: str) -> Callable[[Any], Any]:
    return click.option("--env", "env", metavar="ENV", help=help_text)


def outputs_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--outputs",
        "outputs",
        multiple=True,
        metavar="ENV=FILE",
        help="Client IDs of ENV from the deployment outputs (az deployment group show ... "
        "--query properties.outputs, or any shape wlid bind reads); repeatable.",
    )(f)


def gitops_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--gitops",
        type=click.Choice(["flux", "argocd", "both", "none"]),
        default="both",
        show_default=True,
        help="GitOps objects to render under OUT/gitops (needs the spec's gitops block).",
    )(f)


def templates_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--templates",
        type=click.Path(file_okay=False, exists=True, path_type=Path),
        help="A folder with bicep/*.j2 to use instead of the bundled templates.",
    )(f)


def bound_outputs(options: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """`--outputs ENV=FILE` options -> env -> identity -> client ID (SpecError for a bad file)."""
    if not options:
        return {}
    from wlid_render.workflow.inputs import read_bound
    from wlid_render.workflow.outputs import parse_outputs_option

    paths: dict[str, list[str]] = {}
    for option in options:
        try:
            env, path = parse_outputs_option(option)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--outputs") from None
        paths.setdefault(env, []).append(path)
    return read_bound(paths)
