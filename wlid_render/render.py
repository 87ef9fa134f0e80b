"""The pipeline: spec file -> loaded values -> Spec -> Plan -> Artifacts. No I/O beyond reading the spec."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

from wlid_render import __version__
from wlid_render.emit.artifact import Artifact, to_json
from wlid_render.errors import Problem, SpecError
from wlid_render.plan.build import build_plan
from wlid_render.plan.model import Plan
from wlid_render.plan.secrets import secret_problems
from wlid_render.repo_paths import DEFAULT_SPEC, RepoPaths, default_paths
from wlid_render.spec.load import Source, load_file
from wlid_render.spec.parse import parse_environments

MANIFEST = ".wlid/manifest.json"


class Rendering(NamedTuple):
    plan: Plan
    artifacts: tuple[Artifact, ...]
    warnings: tuple[Problem, ...]


def plan_source(source: Source, bound: Mapping[str, Mapping[str, str]] | None = None) -> Plan:
    """Validate and resolve a loaded spec; problems come back located in the spec file.

    `bound`: client IDs per environment read from deployment outputs (see outputs.read_outputs).
    """
    leaks = secret_problems(source.data, source.not_secrets)  # every string: it all goes to Git
    try:
        plan = build_plan(parse_environments(source), bound)
    except SpecError as exc:
        raise SpecError(
            p.located(source.file, source.marks, source.key_marks) for p in (*leaks, *exc.problems)
        ) from None
    if leaks:
        raise SpecError(p.located(source.file, source.marks, source.key_marks) for p in leaks)
    return plan


def manifest(artifacts: list[Artifact]) -> Artifact:
    """The record of the files wlid owns in OUT, so that a re-render removes only its own files."""
    files = [{"path": a.path, "sha256": hashlib.sha256(a.data).hexdigest()} for a in artifacts]
    return Artifact(MANIFEST, to_json({"generator": "wlid", "version": __version__, "files": files}))


def render_plan(
    plan: Plan,
    templates: Path | None = None,
    gitops: str = "both",
    spec_path: str = DEFAULT_SPEC,
    paths: RepoPaths | None = None,
) -> list[Artifact]:
    """Every file of OUT for a plan, sorted by path, the manifest included.

    Client IDs read from deployment outputs are in the plan already (build_plan pins them), so the
    emitters need nothing besides it.

    `paths`: OUT and the spec as the repository sees them (see repo_paths.py); the pipelines and
    OUT/README.md name them, and the GitOps objects use OUT's when the spec sets no `gitops.path`.
    Default: `out/<name>` and `spec_path`.
    """
    from wlid_render.emit.arm import emit_arm
    from wlid_render.emit.bicep import emit_bicep
    from wlid_render.emit.gitops import emit_gitops
    from wlid_render.emit.k8s import emit_kubernetes
    from wlid_render.emit.pipelines import emit_pipelines
    from wlid_render.emit.readme import emit_readme

    repo = paths or RepoPaths(f"out/{plan.name}", spec_path)
    if plan.gitops is not None and plan.gitops.path is None:  # gitops.path defaults to where OUT is
        plan = replace(plan, gitops=plan.gitops._replace(path=repo.out.removeprefix("./").strip("/")))
    artifacts = [*emit_arm(plan), *emit_bicep(plan, templates), *emit_kubernetes(plan)]
    artifacts += emit_gitops(plan, gitops)  # type: ignore[arg-type]
    artifacts += emit_pipelines(plan, repo)
    artifacts.append(emit_readme(plan, [a.path for a in artifacts], repo))
    artifacts.sort()
    paths_ = [a.path.lower() for a in artifacts]  # case-insensitive filesystems must not merge two files
    if len(set(paths_)) != len(paths_):  # pragma: no cover - a bug in an emitter, not a user error
        raise AssertionError(f"two files would share a path: {sorted(paths_)}")
    return [*artifacts, manifest(artifacts)]


def render_file(
    path: str,
    templates: Path | None = None,
    bound: Mapping[str, Mapping[str, str]] | None = None,
    gitops: str = "both",
    paths: RepoPaths | Callable[[str], RepoPaths] | None = None,
) -> Rendering:
    """Load, validate, plan and emit. Raises SpecError with every problem of the spec."""
    return render_source(load_file(path), templates, bound, gitops, paths=paths)


def render_source(
    source: Source,
    templates: Path | None = None,
    bound: Mapping[str, Mapping[str, str]] | None = None,
    gitops: str = "both",
    progress: Callable[[str], None] | None = None,
    paths: RepoPaths | Callable[[str], RepoPaths] | None = None,
) -> Rendering:
    """Validate, plan and emit a loaded spec. `progress` is called before each stage ("plan", "emit").

    `paths`: where OUT and the spec sit in the repository (see repo_paths.py), or a function of the
    spec's metadata.name that returns them (the default OUT depends on it); default: `out/<name>`
    and the spec's path as given (`repo_paths.default_paths`).
    """
    if progress:
        progress("plan")
    plan = plan_source(source, bound)
    warnings = tuple(
        w.located(source.file, source.marks, source.key_marks)
        for w in plan.warnings
        if not (w.code == "W006" and gitops == "none")  # no GitOps objects is what was asked for
    )
    if progress:
        progress("emit")
    if paths is None:
        repo = default_paths(plan.name, source.file)
    elif callable(paths):
        repo = paths(plan.name)
    else:
        repo = paths
    artifacts = render_plan(plan, templates, gitops, paths=repo)
    return Rendering(plan, tuple(artifacts), warnings)


class InvalidManifest(ValueError):
    """OUT/.wlid/manifest.json is not a manifest wlid wrote; the message says why."""


_UNUSUAL = re.compile(r"[\x00-\x1f\x7f\\]")


def is_relative_inside(path: str) -> bool:
    """`path` is a relative POSIX path that stays inside its folder, without control characters or
    backslashes: the shape of every path wlid writes."""
    parts = path.split("/")
    return not _UNUSUAL.search(path) and all(part not in ("", ".", "..") for part in parts)


def owned_paths(raw: bytes) -> frozenset[str]:
    """The paths a manifest on disk lists. Raises InvalidManifest when it is not one wlid wrote.

    Bounded whatever the bytes: the caller reads at most MANIFEST_MAX_BYTES, and nesting is capped.
    A listed path must be relative, inside OUT and free of control characters and backslashes, as
    every path wlid writes is.
    """
    from wlid_render.input_limits import InputError, load_json

    try:
        data = load_json(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise InvalidManifest("it is not UTF-8 text") from None
    except (InputError, ValueError) as exc:
        raise InvalidManifest(f"it is not JSON ({exc})") from None
    if (
        not isinstance(data, dict)
        or data.get("generator") != "wlid"
        or not isinstance(data.get("files"), list)
    ):
        raise InvalidManifest('it has no "generator": "wlid" and "files" list')
    paths = set()
    for entry in data["files"]:
        path = entry.get("path") if isinstance(entry, dict) else None
        if not isinstance(path, str) or not is_relative_inside(path):
            raise InvalidManifest(f"it lists {_shown(entry)}, which is not a path inside OUT")
        paths.add(path)
    return frozenset(paths)


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:75] + "...'"
