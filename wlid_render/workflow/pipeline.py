"""The pipeline: loaded spec -> Plan -> Artifacts. Pure: nothing is read or written here.

`render_source` is every stage of a render in memory (the spec already loaded); `render_plan` the
emit stage over every output kind, the manifest last. The workflow operations (workflow/tree.py,
stream.py, deploy.py) run it and then compare with or write OUT.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

from wlid_render.emit.arm import emit_arm
from wlid_render.emit.artifact import Artifact, to_json
from wlid_render.emit.bicep import emit_bicep
from wlid_render.emit.gitops import emit_gitops
from wlid_render.emit.k8s import emit_kubernetes
from wlid_render.emit.pipelines import emit_pipelines
from wlid_render.emit.readme import emit_readme
from wlid_render.errors import Problem
from wlid_render.manifest import MANIFEST, manifest
from wlid_render.plan.model import Plan
from wlid_render.plan.source import plan_source
from wlid_render.repo_paths import DEFAULT_SPEC, RepoPaths, default_paths
from wlid_render.spec.load import Source, load_file


class Rendering(NamedTuple):
    plan: Plan
    artifacts: tuple[Artifact, ...]
    warnings: tuple[Problem, ...]


def render_plan(
    plan: Plan,
    templates: Path | None = None,
    gitops: str = "both",
    bound: Mapping[str, Mapping[str, str]] | None = None,
    spec_path: str = DEFAULT_SPEC,
    paths: RepoPaths | None = None,
) -> list[Artifact]:
    """Every file of OUT for a plan, sorted by path, the manifest included.

    `paths`: OUT and the spec as the repository sees them (see repo_paths.py); the pipelines and
    OUT/README.md name them, and the GitOps objects use OUT's when the spec sets no `gitops.path`.
    Default: `out/<name>` and `spec_path`.
    """
    repo = paths or RepoPaths(f"out/{plan.name}", spec_path)
    if plan.gitops is not None and plan.gitops.path is None:  # gitops.path defaults to where OUT is
        plan = replace(plan, gitops=plan.gitops._replace(path=repo.out.removeprefix("./").strip("/")))
    artifacts = [*emit_arm(plan), *emit_bicep(plan, templates), *emit_kubernetes(plan)]
    artifacts += emit_gitops(plan, gitops, bound)  # type: ignore[arg-type]
    artifacts += emit_pipelines(plan, repo)
    artifacts.append(emit_readme(plan, [a.path for a in artifacts], repo))
    artifacts.sort()
    paths_ = [a.path.lower() for a in artifacts]  # case-insensitive filesystems must not merge two files
    if len(set(paths_)) != len(paths_):  # pragma: no cover - a bug in an emitter, not a user error
        raise AssertionError(f"two files would share a path: {sorted(paths_)}")
    return [*artifacts, Artifact(MANIFEST, to_json(manifest(artifacts)))]


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
    artifacts = render_plan(plan, templates, gitops, bound, paths=repo)
    return Rendering(plan, tuple(artifacts), warnings)
