"""The pipeline: spec file -> loaded values -> Spec -> Plan -> Artifacts. No I/O beyond reading the spec."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from pathlib import Path, PurePath
from typing import NamedTuple

from wlid_render.emit.artifact import Artifact, to_json
from wlid_render.errors import Problem, SpecError
from wlid_render.load import Source, load_file
from wlid_render.plan.build import build_plan
from wlid_render.plan.model import Plan
from wlid_render.plan.secrets import secret_problems
from wlid_render.spec_errors import parse_environments

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
        raise SpecError(p.located(source.file, source.marks) for p in (*leaks, *exc.problems)) from None
    if leaks:
        raise SpecError(p.located(source.file, source.marks) for p in leaks)
    return plan


def manifest(artifacts: list[Artifact]) -> Artifact:
    """The record of the files wlid owns in OUT, so that a re-render removes only its own files."""
    files = [{"path": a.path, "sha256": hashlib.sha256(a.data).hexdigest()} for a in artifacts]
    return Artifact(MANIFEST, to_json({"generator": "wlid", "files": files}))


def render_plan(
    plan: Plan,
    templates: Path | None = None,
    gitops: str = "both",
    bound: Mapping[str, Mapping[str, str]] | None = None,
    spec_path: str = "wlid.yaml",
) -> list[Artifact]:
    """Every file of OUT for a plan, sorted by path, the manifest included.

    `spec_path` is the spec's path as the pipelines should name it (relative to the repository root).
    """
    from wlid_render.emit.arm import emit_arm
    from wlid_render.emit.bicep import emit_bicep
    from wlid_render.emit.gitops import emit_gitops
    from wlid_render.emit.k8s import emit_kubernetes
    from wlid_render.emit.pipelines import emit_pipelines
    from wlid_render.emit.readme import emit_readme

    artifacts = [*emit_arm(plan), *emit_bicep(plan, templates), *emit_kubernetes(plan)]
    artifacts += emit_gitops(plan, gitops, bound)  # type: ignore[arg-type]
    artifacts += emit_pipelines(plan, spec_path)
    artifacts.append(emit_readme(plan, [a.path for a in artifacts]))
    artifacts.sort()
    paths = [a.path.lower() for a in artifacts]  # case-insensitive filesystems must not merge two files
    if len(set(paths)) != len(paths):  # pragma: no cover - a bug in an emitter, not a user error
        raise AssertionError(f"two files would share a path: {sorted(paths)}")
    return [*artifacts, manifest(artifacts)]


def render_file(
    path: str,
    templates: Path | None = None,
    bound: Mapping[str, Mapping[str, str]] | None = None,
    gitops: str = "both",
) -> Rendering:
    """Load, validate, plan and emit. Raises SpecError with every problem of the spec."""
    return render_source(load_file(path), templates, bound, gitops)


def render_source(
    source: Source,
    templates: Path | None = None,
    bound: Mapping[str, Mapping[str, str]] | None = None,
    gitops: str = "both",
    progress: Callable[[str], None] | None = None,
) -> Rendering:
    """Validate, plan and emit a loaded spec. `progress` is called before each stage ("plan", "emit")."""
    if progress:
        progress("plan")
    plan = plan_source(source, bound)
    warnings = tuple(w.located(source.file, source.marks) for w in plan.warnings)
    if progress:
        progress("emit")
    artifacts = render_plan(plan, templates, gitops, bound, _repository_path(source.file))
    return Rendering(plan, tuple(artifacts), warnings)


def _repository_path(path: str) -> str:
    """The spec path for generated pipelines: as given when relative, else only its file name."""
    posix = PurePath(path).as_posix()
    if PurePath(path).is_absolute() or ".." in PurePath(path).parts:
        return PurePath(path).name
    return posix


def owned_paths(manifest_text: str) -> set[str]:
    """Paths listed in a manifest on disk; empty when it is unreadable."""
    try:
        data = json.loads(manifest_text)
        return {f["path"] for f in data["files"] if isinstance(f.get("path"), str)}
    except (ValueError, KeyError, TypeError, AttributeError):
        return set()
