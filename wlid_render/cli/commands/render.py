"""`wlid render`: into OUT, against OUT (--check, --dry-run), or one environment to stdout (-o -)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import click

from wlid_render.cli.echo import (
    colour,
    echo_problems,
    echo_summary,
    error_count,
    recorded,
    replay,
    some,
    terminal,
)
from wlid_render.cli.group import EXIT_DRIFT, EXIT_ERROR, EXIT_OK, Failure, exit_with, main
from wlid_render.cli.options import (
    bound_outputs,
    env_option,
    examples,
    gitops_option,
    ignore_option,
    outputs_option,
    templates_option,
)
from wlid_render.cli.spec_input import STDIN, spec_input, spec_path

if TYPE_CHECKING:
    from wlid_render.fast.render_memo import Memo
    from wlid_render.workflow.options import RenderOptions
    from wlid_render.workflow.tree import Refused, Rendered


class Display(NamedTuple):
    """How `wlid render` reports a tree: what is printed, never what is done."""

    mode: str  # check, dry-run or write
    diff: bool
    json: bool  # --format json
    quiet: bool
    verbose: bool


@main.command(
    short_help="Render SPEC into OUT: ARM, Bicep, Kustomize, GitOps, pipelines.",
    epilog=examples(
        "wlid render                          # ./wlid.yaml into out/<metadata.name>",
        "wlid render specs/app.yaml -o deploy/app",
        "wlid render --check --diff           # exit 1 and show the diff when OUT is stale",
        "wlid render --dry-run --format json  # what would change, for tools",
        "wlid render -o - --env prod | kubectl diff -f -",
        "cat wlid.yaml | wlid render - -o - --env dev",
        "wlid render --outputs prod=prod-outputs.json",
        "wlid render specs/*.yaml --check     # several specs, each into out/<name>",
    ),
)
@click.argument(
    "specs", metavar="[SPEC]...", nargs=-1, type=click.Path(dir_okay=False, allow_dash=True, path_type=str)
)
@click.option(
    "-o",
    "--out",
    "out",
    metavar="OUT",
    type=click.Path(allow_dash=True, path_type=str),  # a file: the writer says "OUT is a file"
    help="Output folder [out/<name>]; - prints one environment's Kubernetes objects to stdout.",
)
@env_option("With -o -: the environment to print [the only one].")
@click.option("--check", is_flag=True, help="Compare with OUT; exit 1 on any difference; write nothing.")
@click.option("--dry-run", is_flag=True, help="List what would be written; write nothing.")
@click.option(
    "--diff", is_flag=True, help="With --check or --dry-run: a unified diff of every file that differs."
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="With --check or --dry-run: json prints one object for tools (docs/json-output.md).",
)
@templates_option
@click.option("--force", is_flag=True, help="Render into a non-empty folder that wlid has never written.")
@click.option("-q", "--quiet", is_flag=True, help="Print errors only.")
@click.option("-v", "--verbose", is_flag=True, help="List every file created, changed or removed.")
@click.option(
    "--validate", "run_validate", is_flag=True, help="Validate OUT after rendering (see wlid validate)."
)
@outputs_option
@gitops_option
@ignore_option
def render(
    specs: tuple[str, ...],
    out: str | None,
    env: str | None,
    check: bool,
    dry_run: bool,
    diff: bool,
    output_format: str,
    templates: Path | None,
    force: bool,
    quiet: bool,
    verbose: bool,
    run_validate: bool,
    outputs: tuple[str, ...],
    gitops: str,
    ignored: tuple[str, ...],
) -> None:
    """Render SPEC into OUT: azure/ (ARM, Bicep, parameters), k8s/ (Kustomize base and overlays).

    SPEC defaults to ./wlid.yaml; - reads it from standard input. Several SPECs render one after the
    other, each into its default OUT (out/<name>); the exit code is the highest of theirs (so --check
    over several specs fails when any of them drifts). With -o - nothing is written: the Kubernetes
    objects of one environment go to stdout as one YAML stream, as `kubectl kustomize
    OUT/k8s/overlays/ENV` prints them for the rendered tree.
    """
    stream = out == "-"
    _check_usage(specs, out, env, check, dry_run, diff, output_format, quiet, verbose, run_validate)
    plain = not (dry_run or diff or verbose or force or run_validate or outputs or templates or env)
    # a memo answers what prints the same every time: quiet, or plain text to files and pipes
    memo = _memo(specs, out) if plain and output_format == "text" and (quiet or not terminal()) else None
    key = None if memo is None else memo.key()  # the inputs as found before anything is rendered
    if memo is not None:
        said = memo.answer(key)
        if said is not None:  # OUT is as the last identical command left it, up to date
            replay(said)
            return
    from wlid_render.workflow.options import RenderOptions

    specs = specs or (spec_path(None),)
    if len(specs) > 1 and (out is not None or outputs):
        raise click.UsageError("-o/--out and --outputs take one SPEC")
    if STDIN in specs and not stream:
        raise click.UsageError(
            "a spec from standard input renders only with -o - (a tree names its spec file in its "
            "pipelines); pass the spec's path to render a tree"
        )
    options = RenderOptions(
        templates=templates,
        outputs=outputs,
        bound=bound_outputs(outputs),
        gitops=gitops,
        ignored=ignored,
        force=force,
        validate=run_validate,
    )
    if stream:
        _print_stream(specs[0], env, options, quiet)
        return
    json_format = output_format == "json"
    display = Display(
        mode="check" if check else "dry-run" if dry_run else "write",
        diff=diff,
        json=json_format,
        quiet=quiet or json_format,  # stdout holds the object only; problems are in it
        verbose=verbose,
    )
    if memo is None:
        code, _ = _render_trees(specs, out, options, display)
    else:
        with recorded() as said:
            code, up_to_date = _render_trees(specs, out, options, display)
        if code == EXIT_OK and up_to_date:
            memo.record(said, key)
    if code:
        exit_with(code)


def _render_trees(
    specs: tuple[str, ...], out: str | None, options: RenderOptions, display: Display
) -> tuple[int, bool]:
    """Render (or check) each spec into its OUT: the highest exit code, and whether the first OUT
    was up to date."""
    code = EXIT_OK
    entries = []
    for spec in specs:
        result, entry = _render_tree(spec, None if out is None else Path(out), options, display)
        code = max(code, result)
        entries.append(entry)
    if display.json:
        from wlid_render.cli.json_output import dumps, render_report

        click.echo(dumps(render_report(display.mode, entries)), nl=False)
    return code, entries[0]["upToDate"] is True


def _memo(specs: tuple[str, ...], out: str | None) -> Memo | None:
    """The memo of a render or check of one spec file into one OUT (fast/render_memo.py)."""
    if len(specs) != 1 or specs[0] == STDIN or out in (None, "-"):
        return None
    from wlid_render.fast.render_memo import Memo

    return Memo.of(specs[0], str(out), sys.argv)


def _check_usage(
    specs: tuple[str, ...],
    out: str | None,
    env: str | None,
    check: bool,
    dry_run: bool,
    diff: bool,
    output_format: str,
    quiet: bool,
    verbose: bool,
    run_validate: bool,
) -> None:
    if check and dry_run:
        raise click.UsageError("--check and --dry-run exclude each other")
    if quiet and verbose:
        raise click.UsageError("--quiet and --verbose exclude each other")
    if STDIN in specs and len(specs) > 1:
        raise click.UsageError("- (standard input) is the only SPEC when given")
    if out == "-":
        used = [
            name
            for name, on in (
                ("--check", check),
                ("--dry-run", dry_run),
                ("--diff", diff),
                ("--format json", output_format == "json"),
                ("--verbose", verbose),
                ("--validate", run_validate),
            )
            if on
        ]
        if used:
            raise click.UsageError(f"-o - prints objects and writes nothing: {', '.join(used)} do not apply")
        if len(specs) > 1:
            raise click.UsageError("-o - takes one SPEC")
        return
    if env is not None:
        raise click.UsageError(
            "--env picks the environment that -o - prints; a rendered tree holds every environment"
        )
    if (diff or output_format == "json") and not (check or dry_run):
        raise click.UsageError(f"{'--diff' if diff else '--format json'} needs --check or --dry-run")
    if diff and output_format == "json":
        raise click.UsageError("--diff prints text; with --format json the object lists the files")


def _print_stream(spec: str, env: str | None, options: RenderOptions, quiet: bool) -> None:
    """`-o -`: one environment's Kubernetes objects as a YAML stream on stdout; nothing is written."""
    from wlid_render.workflow.stream import stream_environment

    outcome = stream_environment(spec_input(spec), env, options)
    echo_problems(outcome.warnings, quiet)
    if outcome.findings:  # the rendered overlay does not build: a fault of wlid, reported as such
        for finding in outcome.findings:
            click.echo(finding.format(), err=True)
        raise Failure(
            f"the overlay of {outcome.environment!r} does not build; please report this as a bug of wlid"
        )
    chosen = outcome.environment
    if outcome.unpinned and not quiet:
        click.echo(
            f"note: the client IDs of {some(outcome.unpinned)} are Flux placeholders in these objects; "
            f"kubectl applies them as written: pin the client IDs (wlid bind --env {chosen} OUTPUTS...) "
            f"or pass --outputs {chosen}=FILE",
            err=True,
        )
    click.echo(outcome.text, nl=False)


def _render_tree(
    spec: str, out: Path | None, options: RenderOptions, display: Display
) -> tuple[int, dict[str, Any]]:
    """Render one spec into its OUT (or compare with it); returns the exit code and its JSON entry."""
    from wlid_render.cli.json_output import render_tree_json
    from wlid_render.cli.progress import ProgressBar
    from wlid_render.workflow import tree

    operation = {"check": tree.check, "dry-run": tree.dry_run, "write": tree.render_into}[display.mode]
    with ProgressBar(display.quiet) as progress:
        outcome = operation(spec, out, options, progress)
    if isinstance(outcome, tree.Invalid):
        echo_problems(outcome.problems)
        count = error_count(outcome.problems)
        echo_summary(f"{count} error{'s' if count != 1 else ''} in {spec}; nothing written")
        return EXIT_ERROR, render_tree_json(spec, None, problems=outcome.problems)
    if isinstance(outcome, tree.Refused):
        return _report_refusal(outcome, display)
    echo_problems(outcome.rendering.warnings, display.quiet)
    comparison = outcome.comparison
    entry = render_tree_json(
        spec,
        outcome.out.as_posix(),
        [(c.path, c.action) for c in comparison.changes],
        comparison.foreign,
        outcome.rendering.warnings,
    )
    return _report(outcome, options, display), entry


def _report_refusal(outcome: Refused, display: Display) -> tuple[int, dict[str, Any]]:
    from wlid_render.cli.json_output import render_tree_json
    from wlid_render.errors import Problem

    echo_problems(outcome.warnings, display.quiet)
    echo_summary(f"error: {outcome.reason}")
    refusal = Problem(str(outcome.reason), file=outcome.out.as_posix())
    return EXIT_ERROR, render_tree_json(
        outcome.spec, outcome.out.as_posix(), problems=[*outcome.warnings, refusal]
    )


def _report(outcome: Rendered, options: RenderOptions, display: Display) -> int:
    if display.mode == "check":
        return _report_check(outcome, options, display)
    if display.mode == "dry-run":
        _report_dry_run(outcome, display)
        return EXIT_OK
    out, comparison = outcome.out, outcome.comparison
    if display.verbose:
        past = {"create": "created", "change": "changed", "remove": "removed"}
        for change in comparison.drift:
            click.echo(f"{past[change.action]}: {(out / change.path).as_posix()}")
    if not display.quiet:
        from wlid_render.manifest import shown

        counts = _counts(outcome)
        click.echo(
            f"rendered {out.as_posix()}: {counts['create']} created, {counts['change']} changed, "
            f"{counts['remove']} removed, {counts['unchanged']} unchanged"
        )
        for path in comparison.replaced:
            click.echo(f"replaced (--force): {shown((out / path).as_posix())}", err=True)
        for path in comparison.foreign:
            click.echo(f"not ours, left alone: {shown((out / path).as_posix())}", err=True)
    for finding in outcome.findings:  # of --validate
        click.echo(finding.format())
    return EXIT_ERROR if any(f.severity == "error" for f in outcome.findings) else EXIT_OK


def _report_check(outcome: Rendered, options: RenderOptions, display: Display) -> int:
    out, drift = outcome.out, outcome.comparison.drift
    if not display.json:
        if display.diff:
            _echo_diffs(outcome)
        else:
            for change in drift:
                click.echo(f"would {change.action}: {(out / change.path).as_posix()}")
    if drift:
        if not display.json:
            command = options.render_command(outcome.spec, out)
            click.echo(f"{out.as_posix()} is out of date ({len(drift)} files); run: {command}")
        return EXIT_DRIFT
    if not display.quiet:
        click.echo(f"{out.as_posix()} is up to date ({len(outcome.rendering.artifacts)} files)")
    return EXIT_OK


def _report_dry_run(outcome: Rendered, display: Display) -> None:
    if display.json:
        return
    out, comparison = outcome.out, outcome.comparison
    if display.diff:
        _echo_diffs(outcome)
        counts = _counts(outcome)
        click.echo(
            f"{out.as_posix()}: would create {counts['create']}, change {counts['change']}, "
            f"remove {counts['remove']}; {counts['unchanged']} unchanged"
        )
        return
    for change in comparison.changes:
        click.echo(f"{change.action}: {(out / change.path).as_posix()}")


def _counts(outcome: Rendered) -> dict[str, int]:
    counts = {"create": 0, "change": 0, "remove": 0, "unchanged": 0}
    for change in outcome.comparison.changes:
        counts[change.action] += 1
    return counts


def _echo_diffs(outcome: Rendered) -> None:
    """A unified diff per created, changed or removed file, coloured on a terminal. The manifest
    (hashes of the other files) gets one line: its diff would only repeat theirs."""
    from wlid_render.cli.diffs import coloured, file_diff, read_current
    from wlid_render.manifest import MANIFEST

    out = outcome.out
    shown_colour = colour(sys.stdout)
    new = {a.path: a.data for a in outcome.rendering.artifacts}
    for change in outcome.comparison.drift:
        shown = (out / change.path).as_posix()
        old = None if change.action == "create" else read_current(out, change.path)
        if change.path == MANIFEST:
            lines = [f"{shown}: would {change.action} (the list of the files wlid wrote, with their hashes)"]
        elif change.action != "create" and old is None:
            lines = [f"{shown}: would {change.action}; not a regular file, not shown"]
        else:
            lines = file_diff(shown, old, new.get(change.path))
        for line in lines:
            click.echo(coloured(line) if shown_colour else line, color=shown_colour)
