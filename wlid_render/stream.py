"""One environment's Kubernetes objects as one YAML stream: what `wlid render -o - --env ENV` prints.

The stream is built from the rendered artifacts in memory, the way `kubectl kustomize
k8s/overlays/ENV` builds the written tree: the overlay is built by the offline builder of `wlid
validate` (validate/overlays.py) over the artifacts instead of files on disk, and the objects come
out in kustomize's default ("legacy") order. Pure: nothing is read or written.

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
from typing import Any

from wlid_render.emit.artifact import Artifact, to_yaml_documents
from wlid_render.validate.finding import Finding
from wlid_render.validate.overlays import build_overlay
from wlid_render.validate.tree import RenderedTree

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
