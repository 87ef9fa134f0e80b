"""The `wlid` command line: the only place that prints and exits.

Exit codes, one mapping for every command (`_Commands.invoke`): 0 ok; 1 drift only (`render --check`
found a difference, `drift` found one); 2 every error: an invalid spec or outputs file, a usage
mistake, a failed write, error findings of `wlid validate` and `render --validate`, a stale tree for
`whatif`; 130 interrupted. Heavy modules are imported inside the commands so that `wlid --help` stays
fast.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple, NoReturn

import click

from wlid_render import __version__

EXIT_OK = 0
EXIT_DRIFT = 1
EXIT_ERROR = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports it
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: the reader of stdout went away (`wlid ... | head`)

# The spec is validated with wlid's own pydantic models only: skip pydantic's search of every installed
# distribution for plugins (entry points), which costs milliseconds at each start.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")


def _colour(stream: Any = None) -> bool:
    """Colour on a stream (stderr by default): only on a terminal, never with NO_COLOR set."""
    from wlid_render.diagnostics import colour_wanted

    return colour_wanted(sys.stderr if stream is None else stream)


def _stderr_is_terminal() -> bool:
    from wlid_render.diagnostics import is_terminal

    return is_terminal(sys.stderr)


@contextmanager
def _without_gc() -> Iterator[None]:
    """No cyclic garbage collection while rendering or validating: the work allocates millions of
    short-lived objects and almost no cycles, and each full collection walks the whole heap, which
    made large renders grow faster than linearly. Reference counting still frees memory."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# -- errors and exit codes ------------------------------------------------------------------------------

_STDIN_TEXT: dict[str, str] = {}  # the spec read from standard input, for quoting its lines


def _echo_problems(problems, quiet: bool = False) -> None:  # type: ignore[no-untyped-def]
    """Every problem as `FILE:LINE:COL: path: message (hint: ...)`, the source line and a caret below.

    `quiet`: errors only."""
    shown = [p for p in problems if not quiet or p.severity == "error"]
    if not shown:
        return
    from wlid_render.diagnostics import SourceLines, format_problem
    from wlid_render.errors import sort_problems

    colour = _colour()
    sources = SourceLines(_STDIN_TEXT)
    for problem in sort_problems(shown):
        click.echo(format_problem(problem, sources, colour), err=True, color=colour)


def _echo_summary(text: str) -> None:
    colour = _colour()
    click.echo(click.style(text, fg="red", bold=True) if colour else text, err=True, color=colour)


def _error_count(problems) -> int:  # type: ignore[no-untyped-def]
    return sum(1 for p in problems if p.severity == "error")


class Failure(click.ClickException):
    """A user's mistake or a failed operation: `error: <message>` on stderr, exit 2."""

    exit_code = EXIT_ERROR

    def show(self, file: Any = None) -> None:
        colour = _colour()
        label = click.style("error:", fg="red", bold=True) if colour else "error:"
        click.echo(f"{label} {self.format_message()}", err=True, color=colour)


def _exit(code: int) -> NoReturn:
    raise click.exceptions.Exit(code)


class _Commands(click.Group):
    """The `wlid` group: every command's errors end here and leave with one mapping of exit codes."""

    def invoke(self, ctx: click.Context) -> Any:
        from wlid_render.errors import SpecError
        from wlid_render.input_limits import InputError as LimitError
        from wlid_render.repo_paths import UnsafePath
        from wlid_render.spec_input import InputError
        from wlid_render.write import WriteError

        try:
            return super().invoke(ctx)
        except SpecError as exc:
            _echo_problems(exc.problems)
            count = _error_count(exc.problems)
            files = sorted({p.file for p in exc.problems if p.file})
            where = f" in {', '.join(files)}" if files else ""
            _echo_summary(f"{count} error{'s' if count != 1 else ''}{where}")
            _exit(EXIT_ERROR)
        except InputError as exc:
            raise Failure(exc.message) from None
        except (WriteError, LimitError, UnsafePath) as exc:  # OUT or a file refused, an input past its
            # limits, or a path that generated pipelines cannot name literally
            raise Failure(str(exc)) from None
        except click.ClickException as exc:
            exc.exit_code = EXIT_ERROR  # click's own errors exit 1 (a file it cannot open) or 2 (usage)
            raise
        except BrokenPipeError:
            _exit(EXIT_BROKEN_PIPE)
        except OSError as exc:  # a file or folder the user named cannot be read or written
            what = exc.strerror or str(exc)
            raise Failure(f"{exc.filename}: {what}" if exc.filename else what) from None
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            _exit(EXIT_INTERRUPTED)


def _examples(*lines: str) -> str:
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


_ignore_option = click.option(
    "--ignore",
    "ignored",
    multiple=True,
    metavar="CODE",
    callback=_warning_codes,
    help="Do not print warnings with this code (repeatable; e.g. W006; see docs/warnings.md).",
)


@click.group(
    cls=_Commands,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog=_examples(
        "wlid init                          # a starter wlid.yaml",
        "wlid render                        # ./wlid.yaml -> out/<name>",
        "wlid render --check --diff         # what a render would change",
        "wlid render -o - --env prod | kubectl apply -f -",
        "wlid explain --env prod            # what is wired to what",
        "wlid bind --env prod outputs.json  # pin client IDs after the deployment",
    )
    + "\n\nExit codes: 0 ok, 1 drift (render --check, drift), 2 any error. Help of a command: wlid COMMAND -h",
)
@click.version_option(__version__, prog_name="wlid")
def main() -> None:
    """Render Azure Workload Identity wiring for AKS (ARM, Bicep, Kustomize) from one spec."""


# -- spec and environment ---------------------------------------------------------------------------------


def _spec_path(spec: str | None) -> str:
    from wlid_render.spec_input import spec_path

    return spec_path(spec)


def _load_spec(spec: str):  # type: ignore[no-untyped-def]
    """The loaded spec (`-`: standard input, named <stdin>). Raises SpecError."""
    from wlid_render.spec.load import load_bytes, load_file
    from wlid_render.spec_input import STDIN, STDIN_NAME

    if spec != STDIN:
        return load_file(spec)
    from wlid_render.input_limits import SPEC_MAX_BYTES, read_stream_bounded

    stream = sys.stdin
    if hasattr(stream, "buffer"):
        raw = read_stream_bounded(stream.buffer, SPEC_MAX_BYTES, "the spec")
    else:  # a text stream without bytes underneath (tests): bounded all the same
        raw = stream.read(SPEC_MAX_BYTES + 1).encode("utf-8")
        if len(raw) > SPEC_MAX_BYTES:
            raise Failure(f"the spec is larger than {SPEC_MAX_BYTES} bytes")
    _STDIN_TEXT[STDIN_NAME] = raw.decode("utf-8", errors="replace")
    return load_bytes(raw, STDIN_NAME)


def _plan(spec: str):  # type: ignore[no-untyped-def]
    """(source, plan) of a spec. Raises SpecError."""
    from wlid_render.render import plan_source

    source = _load_spec(spec)
    return source, plan_source(source)


def _environment(plan, env: str | None) -> str:  # type: ignore[no-untyped-def]
    from wlid_render.spec_input import choose_environment

    return choose_environment([e.name for e in plan.environments], env)


def _spec_argument() -> Callable[[Any], Any]:
    return click.argument(
        "spec",
        metavar="[SPEC]",
        required=False,
        type=click.Path(dir_okay=False, allow_dash=True, path_type=str),
    )


def _env_option(help_text: str) -> Callable[[Any], Any]:
    return click.option("--env", "env", metavar="ENV", help=help_text)


def _outputs_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--outputs",
        "outputs",
        multiple=True,
        metavar="ENV=FILE",
        help="Client IDs of ENV from the deployment outputs (az deployment group show ... "
        "--query properties.outputs, or any shape wlid bind reads); repeatable.",
    )(f)


def _gitops_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--gitops",
        type=click.Choice(["flux", "argocd", "both", "none"]),
        default="both",
        show_default=True,
        help="GitOps objects to render under OUT/gitops (needs the spec's gitops block).",
    )(f)


def _templates_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--templates",
        type=click.Path(file_okay=False, exists=True, path_type=Path),
        help="A folder with bicep/*.j2 to use instead of the bundled templates.",
    )(f)


def _render_command(spec: str, out: Path, templates: Path | None, outputs: Sequence[str], gitops: str) -> str:
    """The `wlid render` command line that writes this tree, for messages."""
    import shlex

    words = ["wlid", "render", spec, "-o", out.as_posix()]
    if templates is not None:
        words += ["--templates", str(templates)]
    for option in outputs:
        words += ["--outputs", option]
    if gitops != "both":
        words += ["--gitops", gitops]
    return shlex.join(words)


def _rendering(source, templates: Path | None, bound, gitops: str, progress=None, paths=None, ignored=()):  # type: ignore[no-untyped-def]
    """Render a loaded spec. A mistake in the --templates a user gave is a Failure, not a traceback
    (a failure of the bundled templates is a bug of wlid and shows as one). `paths`: where OUT and
    the spec sit in the Git repository (see repo_paths), for the files that name them; `ignored`:
    warning codes not to print (--ignore)."""
    from wlid_render.render import render_source
    from wlid_render.warning_codes import without_ignored

    try:
        rendering = render_source(
            source, templates, bound=bound, gitops=gitops, progress=progress, paths=paths
        )
        return rendering._replace(warnings=without_ignored(rendering.warnings, ignored))
    except Exception as exc:
        import jinja2

        from wlid_render.emit.bicep_escape import UnescapedValueError

        if templates is None or not isinstance(exc, (jinja2.TemplateError, UnescapedValueError)):
            raise
        if isinstance(exc, jinja2.TemplateSyntaxError):
            raise Failure(f"{exc.filename or exc.name}:{exc.lineno}: {exc.message}") from None
        raise Failure(f"the templates in {templates} fail: {exc}") from None


# -- render ---------------------------------------------------------------------------------------------

PROGRESS_MIN_WORKLOADS = 300  # larger renders show a progress bar on a terminal
RENDER_STAGES = ("plan", "emit", "compare", "write")
_STAGE_LABELS = {
    "plan": "checking the spec",
    "emit": "rendering files",
    "compare": "comparing with OUT",
    "write": "writing OUT",
}


class _Progress:
    """A progress bar over the render stages on stderr; does nothing when not shown."""

    def __init__(self, shown: bool):
        self.bar = None
        if shown:
            self.bar = click.progressbar(
                length=len(RENDER_STAGES),
                label="wlid render",
                file=sys.stderr,
                show_eta=False,
                show_percent=False,
                item_show_func=lambda stage: _STAGE_LABELS.get(stage, "") if stage else "",
            )
            self.bar.__enter__()
        self.done = 0

    def __call__(self, stage: str) -> None:
        if self.bar is not None:
            self.bar.update(RENDER_STAGES.index(stage) - self.done, current_item=stage)
            self.done = RENDER_STAGES.index(stage)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.update(len(RENDER_STAGES) - self.done, current_item=None)
            self.bar.__exit__(None, None, None)
            self.bar = None


def _workload_count(data: object) -> int:
    workloads = data.get("workloads") if isinstance(data, dict) else None
    return len(workloads) if isinstance(workloads, list) else 0


class _RenderOptions(NamedTuple):
    """The options of one `wlid render` run, shared by every SPEC it renders."""

    out: Path | None
    check: bool
    dry_run: bool
    diff: bool
    json: bool  # --format json
    templates: Path | None
    force: bool
    quiet: bool
    verbose: bool
    run_validate: bool
    outputs: tuple[str, ...]  # as given, for the command lines in messages
    bound: dict[str, dict[str, str]]  # read from them
    gitops: str
    ignored: tuple[str, ...] = ()  # warning codes not to print (--ignore)

    @property
    def mode(self) -> str:
        return "check" if self.check else "dry-run" if self.dry_run else "write"


@main.command(
    short_help="Render SPEC into OUT: ARM, Bicep, Kustomize, GitOps, pipelines.",
    epilog=_examples(
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
    type=click.Path(allow_dash=True, path_type=str),  # a file: write.py says "OUT is a file"
    help="Output folder [out/<name>]; - prints one environment's Kubernetes objects to stdout.",
)
@_env_option("With -o -: the environment to print [the only one].")
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
@_templates_option
@click.option("--force", is_flag=True, help="Render into a non-empty folder that wlid has never written.")
@click.option("-q", "--quiet", is_flag=True, help="Print errors only.")
@click.option("-v", "--verbose", is_flag=True, help="List every file created, changed or removed.")
@click.option(
    "--validate", "run_validate", is_flag=True, help="Validate OUT after rendering (see wlid validate)."
)
@_outputs_option
@_gitops_option
@_ignore_option
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
    from wlid_render.spec_input import STDIN

    stream = out == "-"
    _check_render_usage(specs, out, env, check, dry_run, diff, output_format, quiet, verbose, run_validate)
    specs = specs or (_spec_path(None),)
    if len(specs) > 1 and (out is not None or outputs):
        raise click.UsageError("-o/--out and --outputs take one SPEC")
    if STDIN in specs and not stream:
        raise click.UsageError(
            "a spec from standard input renders only with -o - (a tree names its spec file in its "
            "pipelines); pass the spec's path to render a tree"
        )
    bound = _read_outputs(outputs)
    if stream:
        with _without_gc():
            _render_stream(specs[0], env, templates, bound, gitops, quiet, ignored)
        return
    json_format = output_format == "json"
    options = _RenderOptions(
        out=None if out is None else Path(out),
        check=check,
        dry_run=dry_run,
        diff=diff,
        json=json_format,
        templates=templates,
        force=force,
        quiet=quiet or json_format,  # stdout holds the object only; problems are in it
        verbose=verbose,
        run_validate=run_validate,
        outputs=outputs,
        bound=bound,
        gitops=gitops,
        ignored=ignored,
    )
    code = EXIT_OK
    entries = []
    with _without_gc():
        for spec in specs:
            result, entry = _render_tree(spec, options)
            code = max(code, result)
            entries.append(entry)
    if options.json:
        from wlid_render.json_output import dumps, render_report

        click.echo(dumps(render_report(options.mode, entries)), nl=False)
    if code:
        _exit(code)


def _check_render_usage(
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
    from wlid_render.spec_input import STDIN

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


def _render_stream(
    spec: str,
    env: str | None,
    templates: Path | None,
    bound: dict[str, dict[str, str]],
    gitops: str,
    quiet: bool,
    ignored: tuple[str, ...] = (),
) -> None:
    """`-o -`: one environment's Kubernetes objects as a YAML stream on stdout; nothing is written."""
    from wlid_render.stream import environment_objects, environment_stream

    source = _load_spec(spec)
    rendering = _rendering(source, templates, bound, gitops, ignored=ignored)
    chosen = _environment(rendering.plan, env)
    _check_outputs_match(rendering.plan, bound)
    objects, findings = environment_objects(rendering.artifacts, chosen, Path("out") / rendering.plan.name)
    _echo_problems(rendering.warnings, quiet)
    if findings:  # the rendered overlay does not build: a fault of wlid, reported as such
        for finding in findings:
            click.echo(finding.format(), err=True)
        raise Failure(f"the overlay of {chosen!r} does not build; please report this as a bug of wlid")
    plan_env = next(e for e in rendering.plan.environments if e.name == chosen)
    unpinned = [name for name, _ in plan_env.client_ids if name not in plan_env.pinned]
    if unpinned and not quiet:
        click.echo(
            f"note: the client IDs of {_some(unpinned)} are Flux placeholders in these objects; "
            f"kubectl applies them as written: pin the client IDs (wlid bind --env {chosen} OUTPUTS...) "
            f"or pass --outputs {chosen}=FILE",
            err=True,
        )
    click.echo(environment_stream(objects), nl=False)


def _some(names: Sequence[str], shown: int = 5) -> str:
    """`a, b, c, d, e and 45 more`: a list in a message that stays one line long."""
    listed = ", ".join(names[:shown])
    return f"{listed} and {len(names) - shown} more" if len(names) > shown else listed


def _render_tree(spec: str, options: _RenderOptions) -> tuple[int, dict[str, Any]]:
    """Render one spec into its OUT (or compare with it); returns the exit code and its JSON entry."""
    from wlid_render.errors import Problem, SpecError
    from wlid_render.json_output import render_tree_json
    from wlid_render.repo_paths import repo_paths
    from wlid_render.write import WriteError, apply, compare

    progress = _Progress(False)
    try:
        try:
            source = _load_spec(spec)
            progress = _Progress(
                not options.quiet
                and _workload_count(source.data) > PROGRESS_MIN_WORKLOADS
                and _stderr_is_terminal()
            )
            rendering = _rendering(
                source,
                options.templates,
                options.bound,
                options.gitops,
                progress,
                # generated files name OUT and the spec relative to the Git repository holding OUT
                paths=lambda name: repo_paths(options.out or Path("out") / name, spec),
                ignored=options.ignored,
            )
            _check_outputs_match(rendering.plan, options.bound)
        except SpecError as exc:
            progress.close()
            _echo_problems(exc.problems)
            count = _error_count(exc.problems)
            _echo_summary(f"{count} error{'s' if count != 1 else ''} in {spec}; nothing written")
            return EXIT_ERROR, render_tree_json(spec, None, problems=exc.problems)
        out = options.out or Path("out") / rendering.plan.name
        artifacts = list(rendering.artifacts)
        try:  # OUT is looked at before anything is walked: a folder wlid did not write is refused
            if options.check or options.dry_run:
                progress("compare")
                comparison = compare(out, artifacts, force=options.force)
            else:
                progress("write")
                comparison = apply(out, artifacts, force=options.force)
        except WriteError as exc:
            progress.close()
            _echo_problems(rendering.warnings, options.quiet)
            _echo_summary(f"error: {exc}")
            refusal = Problem(str(exc), file=out.as_posix())
            return EXIT_ERROR, render_tree_json(spec, out.as_posix(), problems=[*rendering.warnings, refusal])
        progress.close()
        _echo_problems(rendering.warnings, options.quiet)
        entry = render_tree_json(
            spec,
            out.as_posix(),
            [(c.path, c.action) for c in comparison.changes],
            comparison.foreign,
            rendering.warnings,
        )
        if options.check:
            return _report_check(spec, out, comparison, artifacts, options), entry
        if options.dry_run:
            _report_dry_run(out, comparison, artifacts, options)
            return EXIT_OK, entry
        _report_write(out, comparison, artifacts, options)
        if options.run_validate:
            from wlid_render.validate.run import Options, validate_tree

            findings = validate_tree(out, Options())
            _print_findings(findings, "text")
            if any(f.severity == "error" for f in findings):
                return EXIT_ERROR, entry
        return EXIT_OK, entry
    finally:
        progress.close()  # also on an unexpected error: the terminal gets its cursor back


def _report_check(spec: str, out: Path, comparison, artifacts, options: _RenderOptions) -> int:  # type: ignore[no-untyped-def]
    drift = comparison.drift
    if not options.json:
        if options.diff:
            _echo_diffs(out, drift, artifacts)
        else:
            for change in drift:
                click.echo(f"would {change.action}: {(out / change.path).as_posix()}")
    if drift:
        if not options.json:
            command = _render_command(spec, out, options.templates, options.outputs, options.gitops)
            click.echo(f"{out.as_posix()} is out of date ({len(drift)} files); run: {command}")
        return EXIT_DRIFT
    if not options.quiet:
        click.echo(f"{out.as_posix()} is up to date ({len(artifacts)} files)")
    return EXIT_OK


def _report_dry_run(out: Path, comparison, artifacts, options: _RenderOptions) -> None:  # type: ignore[no-untyped-def]
    if options.json:
        return
    if options.diff:
        _echo_diffs(out, comparison.drift, artifacts)
        counts = _counts(comparison)
        click.echo(
            f"{out.as_posix()}: would create {counts['create']}, change {counts['change']}, "
            f"remove {counts['remove']}; {counts['unchanged']} unchanged"
        )
        return
    for change in comparison.changes:
        click.echo(f"{change.action}: {(out / change.path).as_posix()}")


def _report_write(out: Path, comparison, artifacts, options: _RenderOptions) -> None:  # type: ignore[no-untyped-def]
    from wlid_render.manifest import shown

    if options.verbose:
        past = {"create": "created", "change": "changed", "remove": "removed"}
        for change in comparison.drift:
            click.echo(f"{past[change.action]}: {(out / change.path).as_posix()}")
    if not options.quiet:
        counts = _counts(comparison)
        click.echo(
            f"rendered {out.as_posix()}: {counts['create']} created, {counts['change']} changed, "
            f"{counts['remove']} removed, {counts['unchanged']} unchanged"
        )
        for path in comparison.replaced:
            click.echo(f"replaced (--force): {shown((out / path).as_posix())}", err=True)
        for path in comparison.foreign:
            click.echo(f"not ours, left alone: {shown((out / path).as_posix())}", err=True)


def _counts(comparison) -> dict[str, int]:  # type: ignore[no-untyped-def]
    counts = {"create": 0, "change": 0, "remove": 0, "unchanged": 0}
    for change in comparison.changes:
        counts[change.action] += 1
    return counts


def _echo_diffs(out: Path, drift, artifacts) -> None:  # type: ignore[no-untyped-def]
    """A unified diff per created, changed or removed file, coloured on a terminal. The manifest
    (hashes of the other files) gets one line: its diff would only repeat theirs."""
    from wlid_render.diffs import coloured, file_diff, read_current
    from wlid_render.render import MANIFEST

    colour = _colour(sys.stdout)
    new = {a.path: a.data for a in artifacts}
    for change in drift:
        shown = (out / change.path).as_posix()
        old = None if change.action == "create" else read_current(out, change.path)
        if change.path == MANIFEST:
            lines = [f"{shown}: would {change.action} (the list of the files wlid wrote, with their hashes)"]
        elif change.action != "create" and old is None:
            lines = [f"{shown}: would {change.action}; not a regular file, not shown"]
        else:
            lines = file_diff(shown, old, new.get(change.path))
        for line in lines:
            click.echo(coloured(line) if colour else line, color=colour)


def _merged_outputs(paths: tuple[str, ...]) -> dict[str, str]:
    """Client IDs from several outputs files of one environment; SpecError when two disagree."""
    from wlid_render.errors import Problem, SpecError
    from wlid_render.outputs import read_outputs

    merged: dict[str, str] = {}
    where: dict[str, str] = {}
    problems = []
    for path in paths:
        for identity, client_id in read_outputs(path).items():
            if merged.setdefault(identity, client_id) != client_id:
                problems.append(
                    Problem(
                        f"identity {identity!r} has client ID {client_id} here and {merged[identity]} in "
                        f"{where[identity]}",
                        hint="pass the outputs of one environment only",
                        file=path,
                    )
                )
            where.setdefault(identity, path)
    if problems:
        raise SpecError(problems)
    return merged


def _read_outputs(options: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """`--outputs ENV=FILE` options -> env -> identity -> client ID (SpecError for a bad file)."""
    if not options:
        return {}
    from wlid_render.outputs import parse_outputs_option

    paths: dict[str, list[str]] = {}
    for option in options:
        try:
            env, path = parse_outputs_option(option)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--outputs") from None
        paths.setdefault(env, []).append(path)
    return {env: _merged_outputs(tuple(files)) for env, files in paths.items()}


def _check_outputs_match(plan, bound: dict[str, dict[str, str]]) -> None:  # type: ignore[no-untyped-def]
    """Outputs given with --outputs must name identities of their environment (SpecError otherwise)."""
    from wlid_render.outputs import match_identities

    for env in plan.environments:
        if env.name in bound:
            deployed = [name for name, _ in env.client_ids]
            match_identities(bound[env.name], env.name, [i.name for i in plan.identities], deployed, ())


# -- validate -------------------------------------------------------------------------------------------


def _print_findings(findings, output_format: str) -> None:  # type: ignore[no-untyped-def]
    from wlid_render.validate.finding import to_json, to_sarif
    from wlid_render.validate.rules import RULES

    if output_format == "json":
        click.echo(to_json(findings), nl=False)
    elif output_format == "sarif":
        click.echo(to_sarif(findings, RULES, __version__), nl=False)
    else:
        for finding in findings:
            click.echo(finding.format())


def _default_trees() -> list[Path]:
    root = Path("out")
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if (p / "azure").is_dir() or (p / "k8s").is_dir())


@main.command(
    short_help="Check rendered trees offline: schemas and identity rules.",
    epilog=_examples(
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

    from wlid_render.validate.identity import read_regions_file
    from wlid_render.validate.run import Options, validate_trees

    trees = list(outs) or _default_trees()
    if not trees:
        raise click.UsageError("no rendered tree given and none found under out/")
    if not no_kubectl and shutil.which("kubectl") is None and output_format == "text":
        click.echo("note: kubectl not found; overlays are built by wlid only (K8S002 not checked)", err=True)
    from wlid_render.input_limits import InputError

    try:
        extra_regions = read_regions_file(regions_file) if regions_file else frozenset()
    except InputError as exc:
        raise click.BadParameter(str(exc), param_hint="--regions-file") from None
    options = Options(
        kubernetes_version=kubernetes_version,
        use_kubectl=not no_kubectl,
        strict=strict_mode,
        extra_regions=extra_regions,
    )
    with _without_gc():
        findings = validate_trees(trees, options)
    _print_findings(findings, output_format)
    errors = sum(1 for f in findings if f.severity == "error")
    if output_format == "text":
        warnings = len(findings) - errors
        click.echo(f"{len(trees)} tree(s): {errors} error(s), {warnings} warning(s)", err=True)
    if errors:
        _exit(EXIT_ERROR)


# -- bind -----------------------------------------------------------------------------------------------


@main.command(
    short_help="Pin client IDs from deployment outputs into the spec.",
    epilog=_examples(
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
@_env_option("The environment the outputs belong to [the only one].")
def bind(outputs_files: tuple[str, ...], spec: str | None, env: str | None) -> None:
    """Pin client IDs from deployment OUTPUTS into the spec (comments and layout kept).

    A large spec deploys its identities in several groups: pass the outputs of every group.
    """
    from wlid_render.bind import bind_client_ids
    from wlid_render.input_limits import SPEC_MAX_BYTES, InputError, read_bounded
    from wlid_render.outputs import match_identities
    from wlid_render.spec.load import load_bytes
    from wlid_render.spec.parse import parse_environments
    from wlid_render.spec_input import STDIN
    from wlid_render.write import replace_file

    path = _spec_path(spec)
    if path == STDIN:
        raise click.UsageError("bind edits the spec file: --spec names a file, not -")
    try:
        raw = read_bounded(path, SPEC_MAX_BYTES, "the spec")
    except InputError as exc:
        raise Failure(f"{path}: {exc}") from None
    specs = parse_environments(load_bytes(raw, path))  # SpecError unless valid (and UTF-8)
    text = raw.decode("utf-8-sig")
    names = list(specs)
    chosen = _bind_environment(names, env, outputs_files)
    client_ids = _merged_outputs(outputs_files)
    declared = [i.name for i in specs[chosen].identities]
    deployed = [
        i.name for i in specs[chosen].identities if i.environments is None or chosen in i.environments
    ]
    matched = match_identities(client_ids, chosen, declared, deployed, outputs_files)
    for name in matched.unknown:
        click.echo(f"warning: the spec declares no identity {name!r}; not pinned", err=True)
    for name in matched.elsewhere:
        click.echo(f"warning: identity {name!r} is not deployed in {chosen!r}; not pinned", err=True)
    updated = bind_client_ids(text, chosen, matched.kept, file=path)
    bom = b"\xef\xbb\xbf" if raw.startswith(b"\xef\xbb\xbf") else b""
    data = bom + updated.encode("utf-8")
    if data != raw:
        replace_file(Path(path), data, raw)  # atomic; refused when the spec changed since it was read
    click.echo(f"{path}: pinned {len(matched.kept)} client ID(s) for {chosen}")
    if matched.missing:
        click.echo(
            f"not in the outputs (left as they were): {', '.join(matched.missing)}; "
            "a split spec has one outputs file per identity group",
            err=True,
        )


def _bind_environment(names: list[str], env: str | None, outputs_files: tuple[str, ...]) -> str:
    """The environment to bind; the old form `wlid bind ENV OUTPUTS...` gets a pointer to --env."""
    from wlid_render.spec_input import choose_environment

    first = outputs_files[0]
    if env is None and first in names and not os.path.exists(first):
        raise click.UsageError(
            f"{first!r} is an environment, not an outputs file: name it with --env "
            f"(wlid bind --env {first} {' '.join(outputs_files[1:]) or 'OUTPUTS...'})"
        )
    return choose_environment(names, env)


# -- whatif ---------------------------------------------------------------------------------------------


@main.command(
    short_help="Print the az what-if and create commands of an environment.",
    epilog=_examples(
        "wlid whatif --env prod                     # ./wlid.yaml, OUT out/<name>",
        "wlid whatif specs/app.yaml --env prod -o deploy/app",
    ),
)
@_spec_argument()
@_env_option("The environment to deploy [the only one].")
@click.option(
    "-o", "--out", "out", type=click.Path(path_type=Path), help="Output folder [out/<name>]."
)
@_templates_option
@_outputs_option
@_gitops_option
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
    from wlid_render.spec_input import STDIN
    from wlid_render.views.az import whatif_commands
    from wlid_render.write import compare

    path = _spec_path(spec)
    if path == STDIN:
        raise click.UsageError("whatif compares OUT with the spec file it was rendered from: pass its path")
    from wlid_render.repo_paths import repo_paths

    bound = _read_outputs(outputs)
    with _without_gc():  # rendered exactly as `wlid render SPEC -o OUT` renders it, to compare
        rendering = _rendering(
            _load_spec(path),
            templates,
            bound,
            gitops,
            paths=lambda name: repo_paths(out or Path("out") / name, path),
        )
    plan = rendering.plan
    chosen = _environment(plan, env)
    _check_outputs_match(plan, bound)
    out = out or Path("out") / plan.name
    command = _render_command(path, out, templates, outputs, gitops)
    if out.exists() and not out.is_dir():
        raise Failure(f"OUT is a file: {out.as_posix()}; name the folder the tree was rendered into")
    if not out.is_dir():
        raise Failure(f"{out.as_posix()} does not exist: run {command}")
    from wlid_render.write import UnownedTree

    try:
        comparison = compare(out, list(rendering.artifacts))
    except UnownedTree:
        raise Failure(
            f"{out.as_posix()} was not rendered by wlid (no .wlid/manifest.json): run {command}"
        ) from None
    drift = comparison.drift
    if drift:
        raise Failure(
            f"{out.as_posix()} is out of date ({len(drift)} files): run {command} (or give whatif the "
            "--outputs, --gitops and --templates that OUT was rendered with)"
        )
    click.echo(f"{out.as_posix()} is up to date", err=True)
    for line in whatif_commands(plan, chosen, out.as_posix()):
        click.echo(line)


# -- explain --------------------------------------------------------------------------------------------


@main.command(
    short_help="Show what is wired to what, per environment.",
    epilog=_examples(
        "wlid explain                          # every environment of ./wlid.yaml",
        "wlid explain specs/app.yaml --env prod",
        "wlid explain --format mermaid > graph.mmd",
        "wlid explain --format json | jq '.environments[].identities[].name'",
    ),
)
@_spec_argument()
@_env_option("Only this environment [all].")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "mermaid", "json"]),
    default="text",
    show_default=True,
    help="text: a summary per environment; mermaid: a Mermaid flowchart of the same graph; "
    "json: the same view for tools (docs/json-output.md).",
)
@_ignore_option
def explain(spec: str | None, env: str | None, output_format: str, ignored: tuple[str, ...]) -> None:
    """Summarise SPEC per environment: cluster and issuer, identities, credentials, roles, workloads."""
    from wlid_render.views.explain import environment_views, explain_mermaid, explain_text, mermaid_fits

    source, plan = _plan(_spec_path(spec))
    if env is not None:
        _environment(plan, env)
    from wlid_render.warning_codes import without_ignored

    warnings = [
        w.located(source.file, source.marks, source.key_marks) for w in without_ignored(plan.warnings, ignored)
    ]
    views = environment_views(plan, env, warnings)
    if output_format == "text":
        click.echo(explain_text(views), nl=False)
        return
    if output_format == "json":
        from wlid_render.json_output import dumps, explain_report

        click.echo(dumps(explain_report(source.file, plan.name, views)), nl=False)
        return
    graph = explain_mermaid(views)
    click.echo(graph, nl=False)
    if not mermaid_fits(graph):
        click.echo(
            "warning: the graph exceeds Mermaid's default size limits (50,000 characters, 500 edges); "
            "GitHub will not draw it (--env ENV draws one environment)",
            err=True,
        )


# -- schema, init ---------------------------------------------------------------------------------------


@main.command(
    short_help="Print the JSON Schema of the spec, for editors.",
    epilog=_examples(
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
    from wlid_render.spec.schema import schema_text

    text = schema_text()
    if output is None:
        click.echo(text, nl=False)
        return
    from wlid_render.write import replace_file

    if not output.is_file() or output.read_text("utf-8") != text:
        replace_file(output, text.encode("utf-8"))
    click.echo(f"wrote {output}", err=True)


SCHEMA_FILE = "wlid-v1.schema.json"  # the name the starter spec's yaml-language-server line points at


@main.command(
    short_help="Write a starter wlid.yaml that renders as it is.",
    epilog=_examples(
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
    from importlib import resources

    import yaml

    if path.exists() and not force:
        raise Failure(f"{path} exists; pass --force to overwrite it")
    name = "lab.yaml" if from_lab else "starter.yaml"
    text = resources.files("wlid_render.data").joinpath(name).read_text("utf-8")
    from wlid_render.write import replace_file

    replace_file(path, text.encode("utf-8"))
    spec_name = yaml.safe_load(text)["metadata"]["name"]
    shown = shlex.quote(str(path))
    what = "the lab example" if from_lab else "a starter spec; edit the values marked EDIT"
    click.echo(f"wrote {path} ({what}); next:")
    click.echo(f"  wlid render {shown}")
    click.echo(f"  wlid validate out/{spec_name}")
    schema_path = shlex.quote(str(path.parent / SCHEMA_FILE))
    click.echo(f"editor completion: wlid schema -o {schema_path} (the spec's first line points at it)")


# -- import, drift (wlid[azure]) --------------------------------------------------------------------------


@main.command(
    short_help="Write a spec from identities that exist in Azure (read-only).",
    name="import",
    epilog=_examples(
        "wlid import --subscription SUB --resource-group rg-app -o wlid.yaml",
        "wlid import --subscription SUB --resource-group rg-ids --cluster aks-prod \\",
        "    --cluster-resource-group rg-aks --name payments -o specs/payments.yaml",
    )
    + "\n\nNeeds the wlid[azure] extra and an Azure login (az login); reads, never writes.",
)
@click.option("--subscription", required=True, help="Subscription ID of the identities.")
@click.option("--resource-group", required=True, help="Resource group of the identities.")
@click.option("--cluster", "cluster_name", help="AKS cluster whose issuer the FICs trust [the only one].")
@click.option("--cluster-resource-group", help="Resource group of the cluster [--resource-group].")
@click.option("--name", help="metadata.name of the spec [from the resource group].")
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
        )
        imported = build_import(state, name=name)
    except BrownfieldError as exc:
        raise Failure(exc.message) from None
    from wlid_render.write import replace_file

    replace_file(output, imported.text.encode("utf-8"))
    click.echo(f"wrote {output}: {len(imported.identities)} identity(ies), {imported.credentials} FIC(s)")
    for skipped in imported.skipped:
        click.echo(f"not imported (listed as a comment in the spec): {skipped.label}: {skipped.reason}", err=True)


@main.command(
    short_help="Compare a spec with what exists in Azure (read-only).",
    name="drift",
    epilog=_examples(
        "wlid drift --env prod",
        "wlid drift specs/app.yaml --env prod --format json | jq .hasDrift",
        "wlid drift --env prod --strict       # FICs of other issuers count as drift too",
    )
    + "\n\nNeeds the wlid[azure] extra and an Azure login (az login); reads, never writes. "
    "Exit 1 when something differs.",
)
@_spec_argument()
@_env_option("The environment to compare [the only one].")
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

    _, plan = _plan(_spec_path(spec))
    chosen = _environment(plan, env)
    try:
        state = read_environment_state(plan, chosen)
        report = drift(plan, chosen, state, strict=strict_mode)
    except BrownfieldError as exc:
        raise Failure(exc.message) from None
    click.echo(report.to_json() if output_format == "json" else format_drift(report), nl=False)
    if report.has_drift:
        _exit(EXIT_DRIFT)


def run() -> None:
    """The `wlid` program: `main`, then a quick exit.

    A render leaves a large heap behind; tearing the interpreter down (freeing every object, clearing
    every module) costs more than a small render itself. Nothing needs it: output is flushed here,
    files are closed, locks are released by the kernel. Library callers and tests use `main`.
    """
    try:
        main()
        code = EXIT_OK
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            code = exc.code or EXIT_OK
        else:  # sys.exit("message"): print it as Python would
            print(exc.code, file=sys.stderr)
            code = EXIT_ERROR
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:  # `wlid ... | head`
        code = code or EXIT_BROKEN_PIPE
    except OSError:
        code = code or EXIT_ERROR
    os._exit(code)
