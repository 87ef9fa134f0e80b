"""One environment's Kubernetes objects as one YAML stream: what `wlid render -o - --env ENV` prints.

The stream is built from the rendered artifacts in memory, the way `kubectl kustomize
k8s/overlays/ENV` builds the written tree: the overlay is built by the offline builder of `wlid
validate` (validate/overlays.py) over the artifacts instead of files on disk, and the objects come
out in kustomize's default ("legacy") order. Nothing is written; only the spec is read
(`stream_environment`, the operation of `-o -`).

Kustomize's legacy order (kustomize api/internal/builtins/SortOrderTransformer.go, the default of
`kustomize build` and `kubectl kustomize` without `sortOptions`): objects sort by the rank of their
kind in a fixed list (Namespace first, ..., ValidatingWebhookConfiguration last; kinds not listed in
between), then by `group_version_kind`, then by `group_version_kind|namespace|name`, where an empty
group, namespace or name is written `~G`, `~X`, `~N`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple

from wlid_render.emit.artifact import Artifact, to_yaml_documents
from wlid_render.errors import Problem
from wlid_render.validate.finding import Finding
from wlid_render.validate.overlays import build_overlay
from wlid_render.validate.tree import RenderedTree
from wlid_render.workflow.inputs import SpecInput, check_outputs_match, plan_environment
from wlid_render.workflow.options import RenderOptions, rendered

ORDER_FIRST = (
    "Namespace",
    "ResourceQuota",
    "StorageClass",
    "CustomResourceDefinition",
    "ServiceAccount",
    "PodSecurityPolicy",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "ConfigMap",
    "Secret",
    "Endpoints",
    "Service",
    "LimitRange",
    "PriorityClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "Deployment",
    "StatefulSet",
    "CronJob",
    "PodDisruptionBudget",
)
ORDER_LAST = ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration")
_RANK = {
    **{kind: i - len(ORDER_FIRST) for i, kind in enumerate(ORDER_FIRST)},
    **{kind: 1 + i for i, kind in enumerate(ORDER_LAST)},
}


@dataclass
class ArtifactTree(RenderedTree):
    """The rendered tree as artifacts in memory, read through RenderedTree's interface.

    `root` only names files in messages (OUT/rel); nothing under it is read.
    """

    data: dict[str, bytes] = field(default_factory=dict)

    @classmethod
    def of(cls, root: Path, artifacts: Iterable[Artifact]) -> ArtifactTree:
        return cls(root, data={a.path: a.data for a in artifacts})

    @cached_property
    def files(self) -> list[str]:
        return sorted(p for p in self.data if not p.startswith(".wlid/"))

    def exists(self, rel: str) -> bool:
        return rel in self.data

    def is_dir(self, rel: str) -> bool:
        prefix = rel.rstrip("/") + "/"
        return any(path.startswith(prefix) for path in self.data)

    def text(self, rel: str) -> str:
        if rel not in self._text:
            self._text[rel] = self.data[rel].decode("utf-8")
        return self._text[rel]


def _sort_key(obj: dict[str, Any]) -> tuple[int, str, str]:
    api_version = obj.get("apiVersion") or ""
    group, _, version = api_version.rpartition("/")
    kind = obj.get("kind") or ""
    gvk = "_".join((group or "~G", version or "~V", kind or "~K"))
    meta = obj.get("metadata") or {}
    resid = "|".join((gvk, meta.get("namespace") or "~X", meta.get("name") or "~N"))
    return (_RANK.get(kind, 0), gvk, resid)


def kustomize_order(objects: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The objects in the order `kubectl kustomize` prints them (stable for equal keys)."""
    return sorted(objects, key=_sort_key)


def environment_objects(
    artifacts: Iterable[Artifact], env: str, out: Path = Path("OUT")
) -> tuple[list[dict[str, Any]], list[Finding]]:
    """The objects of `env`'s overlay, in kustomize's order, and the builder's problems (K8S003).

    A problem here is a fault of the rendered tree itself (the renderer's, never the user's).
    """
    tree = ArtifactTree.of(out, artifacts)
    built, findings = build_overlay(tree, env)
    return kustomize_order(b.obj for b in built), findings


def environment_stream(objects: list[dict[str, Any]]) -> str:
    """The objects as one YAML stream, documents separated by `---` (empty for no objects)."""
    return to_yaml_documents(objects) if objects else ""


class StreamOutcome(NamedTuple):
    """One environment's objects as a YAML stream, and what to tell about them."""

    environment: str
    warnings: tuple[Problem, ...]
    text: str  # the YAML stream; empty when the overlay does not build
    findings: tuple[Finding, ...]  # the overlay does not build: a fault of wlid, never of the spec
    unpinned: tuple[str, ...]  # identities whose client IDs are Flux placeholders in the objects


def stream_environment(spec: SpecInput, env: str | None, options: RenderOptions) -> StreamOutcome:
    """`wlid render -o -`: render `spec` in memory and build the overlay of `env` (the only one when
    None) as `kubectl kustomize` builds the written tree. Nothing is written."""
    rendering = rendered(spec.load(), options)
    plan = rendering.plan
    chosen = plan_environment(plan, env)
    check_outputs_match(plan, options.bound)
    objects, findings = environment_objects(rendering.artifacts, chosen, Path("out") / plan.name)
    plan_env = next(e for e in plan.environments if e.name == chosen)
    unpinned = tuple(name for name, _ in plan_env.client_ids if name not in plan_env.pinned)
    text = "" if findings else environment_stream(objects)
    return StreamOutcome(chosen, rendering.warnings, text, tuple(findings), unpinned)
