"""The `wlid` command line: the only place that prints and exits.

Exit codes: 0 ok, 1 drift (`render --check`), 2 invalid spec or usage (or a failed write).
Heavy modules are imported inside the commands so that `wlid --help` stays fast.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from wlid_render import __version__

EXIT_DRIFT = 1
EXIT_INVALID = 2

# The spec is validated with wlid's own pydantic models only: skip pydantic's search of every installed
# distribution for plugins (entry points), which costs milliseconds at each start.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")


def _colour() -> bool:
    """Colour on stderr: only on a terminal, never with NO_COLOR set."""
    from wlid_render.diagnostics import colour_wanted

    return colour_wanted(click.get_text_stream("stderr"))


def _stderr_is_terminal() -> bool:
    from wlid_render.diagnostics import is_terminal

    return is_terminal(click.get_text_stream("stderr"))


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


def _echo_problems(problems, quiet: bool = False) -> None:  # type: ignore[no-untyped-def]
    """Every problem as `FILE:LINE:COL: path: message (hint: ...)`, the source line and a caret below.

    `quiet`: errors only."""
    shown = [p for p in problems if not quiet or p.severity == "error"]
    if not shown:
        return
    from wlid_render.diagnostics import SourceLines, format_problem
    from wlid_render.errors import sort_problems

    colour = _colour()
    sources = SourceLines()
    for problem in sort_problems(shown):
        click.echo(format_problem(problem, sources, colour), err=True, color=colour)


def _echo_summary(text: str) -> None:
    colour = _colour()
    click.echo(click.style(text, fg="red", bold=True) if colour else text, err=True, color=colour)


def _warning_codes(ctx: click.Context, param: click.Parameter, codes: tuple[str, ...]) -> tuple[str, ...]:
    """`--ignore CODE`: codes of warning_codes.WARNINGS only (a usage error names the closest)."""
    from wlid_render.warning_codes import unknown_code_hint

    for code in codes:
        hint = unknown_code_hint(code)
        if hint is not None:
            raise click.BadParameter(f"unknown warning code {code!r}; {hint}")
    return codes


IGNORE_OPTION = click.option(
    "--ignore",
    "ignored",
    multiple=True,
    metavar="CODE",
    callback=_warning_codes,
    help="Do not print warnings with this code (repeatable; e.g. W006; see docs/warnings.md).",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="wlid")
def main() -> None:
    """Render Azure Workload Identity wiring for AKS (ARM, Bicep, Kustomize) from one spec."""


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
                file=click.get_text_stream("stderr"),
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


@main.command()
@click.argument(
    "specs", metavar="SPEC...", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=str)
)
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
@click.option("-v", "--verbose", is_flag=True, help="List every file created, changed or removed.")
@click.option(
    "--validate", "run_validate", is_flag=True, help="Validate OUT after rendering (see wlid validate)."
)
@click.option(
    "--outputs",
    "outputs",
    multiple=True,
    metavar="ENV=FILE",
    help="Client IDs of ENV from `az deployment group show ... --query properties.outputs` (repeatable).",
)
@click.option(
    "--gitops",
    type=click.Choice(["flux", "argocd", "both", "none"]),
    default="both",
    show_default=True,
    help="GitOps objects to render under OUT/gitops (needs the spec's gitops block).",
)
@IGNORE_OPTION
def render(
    specs: tuple[str, ...],
    out: Path | None,
    check: bool,
    dry_run: bool,
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

    Several SPECs render one after the other, each into its default OUT (out/<name>); the exit code is
    the highest of theirs (so `--check` over several specs fails when any of them drifts).
    """
    from wlid_render.errors import SpecError

    if check and dry_run:
        raise click.UsageError("--check and --dry-run exclude each other")
    if quiet and verbose:
        raise click.UsageError("--quiet and --verbose exclude each other")
    if len(specs) > 1 and (out is not None or outputs):
        raise click.UsageError("-o/--out and --outputs take one SPEC")
    try:
        bound = _read_outputs(outputs)
    except SpecError as exc:
        _echo_problems(exc.problems)
        count = sum(1 for p in exc.problems if p.severity == "error")
        _echo_summary(f"{count} error{'s' if count != 1 else ''} in {specs[0]}; nothing written")
        sys.exit(EXIT_INVALID)
    code = 0
    with _without_gc():
        for spec in specs:
            code = max(
                code,
                _render_one(
                    spec,
                    out,
                    check,
                    dry_run,
                    templates,
                    force,
                    quiet,
                    verbose,
                    run_validate,
                    bound,
                    gitops,
                    ignored,
                ),
            )
    if code:
        sys.exit(code)


def _render_one(
    spec: str,
    out: Path | None,
    check: bool,
    dry_run: bool,
    templates: Path | None,
    force: bool,
    quiet: bool,
    verbose: bool,
    run_validate: bool,
    bound: dict[str, dict[str, str]],
    gitops: str,
    ignored: tuple[str, ...] = (),
) -> int:
    """Render one spec; returns the exit code."""
    from wlid_render.errors import SpecError
    from wlid_render.load import load_file
    from wlid_render.render import render_source
    from wlid_render.warning_codes import without_ignored
    from wlid_render.write import UnownedTree, WriteError, apply, compare

    progress = _Progress(False)
    try:
        try:
            source = load_file(spec)
            progress = _Progress(
                not quiet
                and _workload_count(source.data) > PROGRESS_MIN_WORKLOADS
                and _stderr_is_terminal()
            )
            rendering = render_source(source, templates, bound=bound, gitops=gitops, progress=progress)
            rendering = rendering._replace(warnings=without_ignored(rendering.warnings, ignored))
        except SpecError as exc:
            progress.close()
            _echo_problems(exc.problems)
            count = sum(1 for p in exc.problems if p.severity == "error")
            _echo_summary(f"{count} error{'s' if count != 1 else ''} in {spec}; nothing written")
            return EXIT_INVALID
        out = out or Path("out") / rendering.plan.name
        artifacts = list(rendering.artifacts)
        refused = False
        if check or dry_run:
            progress("compare")
            comparison = compare(out, artifacts)
            refused = comparison.unowned_tree and dry_run and not force
        else:
            progress("write")
            try:
                comparison = apply(out, artifacts, force=force)
            except UnownedTree:
                refused = True
            except WriteError as exc:
                progress.close()
                _echo_problems(rendering.warnings, quiet)
                _echo_summary(f"error: {exc}")
                return EXIT_INVALID
        progress.close()
        _echo_problems(rendering.warnings, quiet)
        if check:
            drift = comparison.drift
            for change in drift:
                click.echo(f"would {change.action}: {(out / change.path).as_posix()}")
            if drift:
                click.echo(
                    f"{out.as_posix()} is out of date ({len(drift)} files); run: wlid render {spec} -o {out}"
                )
                return EXIT_DRIFT
            if not quiet:
                click.echo(f"{out.as_posix()} is up to date ({len(artifacts)} files)")
            return 0
        if refused:
            click.echo(
                f"{out.as_posix()} has files that wlid did not write (no .wlid/manifest.json); "
                "choose an empty folder or pass --force",
                err=True,
            )
            return EXIT_INVALID
        if dry_run:
            for change in comparison.changes:
                click.echo(f"{change.action}: {(out / change.path).as_posix()}")
            return 0
        if verbose:
            past = {"create": "created", "change": "changed", "remove": "removed"}
            for change in comparison.drift:
                click.echo(f"{past[change.action]}: {(out / change.path).as_posix()}")
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
        if run_validate:
            from wlid_render.validate.run import Options, validate_tree

            findings = validate_tree(out, Options())
            _print_findings(findings, "text")
            if any(f.severity == "error" for f in findings):
                return EXIT_DRIFT
        return 0
    finally:
        progress.close()  # also on an unexpected error: the terminal gets its cursor back


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


@main.command()
@click.argument("outs", nargs=-1, type=click.Path(file_okay=False, exists=True, path_type=Path))
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
    """Check rendered trees (default: every tree under out/) offline; exit 1 on an error finding."""
    import shutil

    from wlid_render.validate.identity import read_regions_file
    from wlid_render.validate.run import Options, validate_trees

    trees = list(outs) or _default_trees()
    if not trees:
        raise click.UsageError("no rendered tree given and none found under out/")
    if not no_kubectl and shutil.which("kubectl") is None and output_format == "text":
        click.echo("note: kubectl not found; overlays are built by wlid only (K8S002 not checked)", err=True)
    options = Options(
        kubernetes_version=kubernetes_version,
        use_kubectl=not no_kubectl,
        strict=strict_mode,
        extra_regions=read_regions_file(regions_file) if regions_file else frozenset(),
    )
    with _without_gc():
        findings = validate_trees(trees, options)
    _print_findings(findings, output_format)
    errors = sum(1 for f in findings if f.severity == "error")
    if output_format == "text":
        warnings = len(findings) - errors
        click.echo(f"{len(trees)} tree(s): {errors} error(s), {warnings} warning(s)", err=True)
    if errors:
        sys.exit(EXIT_DRIFT)


@main.command()
@click.argument("env")
@click.argument(
    "outputs_files", metavar="OUTPUTS...", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=str)
)
@click.option(
    "--spec",
    default="wlid.yaml",
    show_default=True,
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="The spec to update.",
)
def bind(env: str, outputs_files: tuple[str, ...], spec: Path) -> None:
    """Pin ENV's client IDs from deployment OUTPUTS into the spec (comments and layout kept).

    A large spec deploys its identities in several groups: pass the outputs of every group.
    """
    from wlid_render.bind import bind_client_ids
    from wlid_render.errors import SpecError
    from wlid_render.load import load_text
    from wlid_render.spec_errors import parse_environments

    try:
        client_ids = _merged_outputs(outputs_files)
        raw = spec.read_bytes()
        text = raw.decode("utf-8-sig")
        specs = parse_environments(load_text(text, str(spec)))
        if env not in specs:
            raise click.BadParameter(f"no environment {env!r}; the spec has: {', '.join(sorted(specs))}")
        declared = {i.name: i for i in specs[env].identities}
        kept = {}
        for name, client_id in sorted(client_ids.items()):
            identity = declared.get(name)
            if identity is None or (identity.environments is not None and env not in identity.environments):
                click.echo(f"warning: identity {name!r} is not deployed in {env!r}; not pinned", err=True)
            else:
                kept[name] = client_id
        updated = bind_client_ids(text, env, kept, file=str(spec))
    except SpecError as exc:
        _echo_problems(exc.problems)
        sys.exit(EXIT_INVALID)
    bom = b"\xef\xbb\xbf" if raw.startswith(b"\xef\xbb\xbf") else b""
    data = bom + updated.encode("utf-8")
    if data != raw:
        spec.write_bytes(data)
    click.echo(f"{spec}: pinned {len(kept)} client ID(s) for {env}")


@main.command()
@click.argument("spec", type=click.Path(dir_okay=False, path_type=str))
@click.argument("env")
@click.option(
    "-o", "--out", "out", type=click.Path(file_okay=False, path_type=Path), help="Output folder [out/<name>]."
)
def whatif(spec: str, env: str, out: Path | None) -> None:
    """Print the az commands that preview (what-if) and deploy ENV from OUT; runs nothing."""
    from wlid_render.errors import SpecError
    from wlid_render.load import load_file
    from wlid_render.render import plan_source
    from wlid_render.whatif import whatif_commands

    try:
        plan = plan_source(load_file(spec))
    except SpecError as exc:
        _echo_problems(exc.problems)
        sys.exit(EXIT_INVALID)
    try:
        lines = whatif_commands(plan, env, (out or Path("out") / plan.name).as_posix())
    except KeyError as exc:
        raise click.BadParameter(str(exc.args[0]), param_hint="ENV") from None
    for line in lines:
        click.echo(line)


@main.command()
@click.argument("spec", type=click.Path(dir_okay=False, path_type=str))
@click.option("--env", "env", metavar="ENV", help="Only this environment [all].")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "mermaid"]),
    default="text",
    show_default=True,
    help="text: a summary per environment; mermaid: a Mermaid flowchart of the same graph.",
)
@IGNORE_OPTION
def explain(spec: str, env: str | None, output_format: str, ignored: tuple[str, ...]) -> None:
    """Summarise SPEC per environment: cluster and issuer, identities, credentials, roles, workloads."""
    from wlid_render.errors import SpecError
    from wlid_render.explain import environment_views, explain_mermaid, explain_text, mermaid_fits
    from wlid_render.load import load_file
    from wlid_render.render import plan_source
    from wlid_render.warning_codes import without_ignored

    try:
        source = load_file(spec)
        plan = plan_source(source)
    except SpecError as exc:
        _echo_problems(exc.problems)
        sys.exit(EXIT_INVALID)
    warnings = [
        w.located(source.file, source.marks, source.key_marks) for w in without_ignored(plan.warnings, ignored)
    ]
    try:
        views = environment_views(plan, env, warnings)
    except KeyError as exc:
        raise click.BadParameter(str(exc.args[0]), param_hint="--env") from None
    if output_format == "text":
        click.echo(explain_text(views), nl=False)
        return
    graph = explain_mermaid(views)
    click.echo(graph, nl=False)
    if not mermaid_fits(graph):
        click.echo(
            "warning: the graph exceeds Mermaid's default size limits (50,000 characters, 500 edges); "
            "GitHub will not draw it (--env ENV draws one environment)",
            err=True,
        )


@main.command()
@click.option(
    "-o",
    "--output",
    "output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the schema to FILE instead of printing it.",
)
def schema(output: Path | None) -> None:
    """Print the JSON Schema of spec v1 (for editor completion and validation)."""
    from wlid_render.schema import schema_text

    text = schema_text()
    if output is None:
        click.echo(text, nl=False)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    if not output.is_file() or output.read_text("utf-8") != text:
        output.write_text(text, "utf-8", newline="\n")
    click.echo(f"wrote {output}", err=True)


SCHEMA_FILE = "wlid-v1.schema.json"  # the name the starter spec's yaml-language-server line points at


@main.command()
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
        click.echo(f"{path} exists; pass --force to overwrite it", err=True)
        sys.exit(EXIT_INVALID)
    name = "lab.yaml" if from_lab else "starter.yaml"
    text = resources.files("wlid_render.data").joinpath(name).read_text("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8", newline="\n")
    spec_name = yaml.safe_load(text)["metadata"]["name"]
    shown = shlex.quote(str(path))
    what = "the lab example" if from_lab else "a starter spec; edit the values marked EDIT"
    click.echo(f"wrote {path} ({what}); next:")
    click.echo(f"  wlid render {shown}")
    click.echo(f"  wlid validate out/{spec_name}")
    schema_path = shlex.quote(str(path.parent / SCHEMA_FILE))
    click.echo(f"editor completion: wlid schema -o {schema_path} (the spec's first line points at it)")


@main.command(name="import")
@click.option("--subscription", required=True, help="Subscription ID of the identities.")
@click.option("--resource-group", required=True, help="Resource group of the identities.")
@click.option("--cluster", "cluster_name", help="AKS cluster whose issuer the FICs trust [the only one].")
@click.option("--cluster-resource-group", help="Resource group of the cluster [--resource-group].")
@click.option("--name", help="metadata.name of the spec [from the resource group].")
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False, path_type=Path), required=True)
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
        )
        imported = build_import(state, name=name)
    except BrownfieldError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(EXIT_INVALID)
    output.write_text(imported.text, "utf-8")
    click.echo(f"wrote {output}: {len(imported.identities)} identity(ies), {imported.credentials} FIC(s)")
    for skipped in imported.skipped:
        what = f"{skipped.identity}/{skipped.fic}" if skipped.fic else skipped.identity
        click.echo(f"not imported (listed as a comment in the spec): {what}: {skipped.reason}", err=True)


@main.command(name="drift")
@click.argument("spec", type=click.Path(dir_okay=False, path_type=str))
@click.option("--env", "env", default="default", show_default=True, help="Environment to compare.")
@click.option(
    "--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option("--strict", "strict_mode", is_flag=True, help="FICs of other issuers count as drift too.")
def drift_command(spec: str, env: str, output_format: str, strict_mode: bool) -> None:
    """Compare SPEC's identities and FICs for ENV with what exists in Azure (read-only); exit 1 on drift."""
    from wlid_render.brownfield import BrownfieldError, drift, format_drift, read_environment_state
    from wlid_render.errors import SpecError
    from wlid_render.load import load_file
    from wlid_render.render import plan_source

    try:
        plan = plan_source(load_file(spec))
        state = read_environment_state(plan, env)
        report = drift(plan, env, state, strict=strict_mode)
    except SpecError as exc:
        _echo_problems(exc.problems)
        sys.exit(EXIT_INVALID)
    except KeyError as exc:
        raise click.BadParameter(str(exc.args[0]), param_hint="--env") from None
    except BrownfieldError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(EXIT_INVALID)
    click.echo(report.to_json() if output_format == "json" else format_drift(report), nl=False)
    if report.has_drift:
        sys.exit(EXIT_DRIFT)


def run() -> None:
    """The `wlid` program: `main`, then a quick exit.

    A render leaves a large heap behind; tearing the interpreter down (freeing every object, clearing
    every module) costs more than a small render itself. Nothing needs it: output is flushed here,
    files are closed, locks are released by the kernel. Library callers and tests use `main`.
    """
    try:
        main()
        code = 0
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            code = exc.code or 0
        else:  # sys.exit("message"): print it as Python would
            print(exc.code, file=sys.stderr)
            code = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:  # a closed pipe (`wlid ... | head`)
        code = code or 1
    os._exit(code)
