"""Kustomize Components of a rendered tree (`k8s/components/<kind>_<namespace>_<name>/`).

K8S005 (error)  a Component patch that finds its object by the patch's own metadata, or names a
                namespace: in a consuming kustomization that sets `namespace:` over manifests
                without one, kustomize applies the Component before that namespace and stops with
                "failed to find unique target for patch". A patch must say `target` (group,
                version, kind, name) and leave the namespace out.

A Component is not built here (its consumer is elsewhere); `component_patches` also gives the
identity rules the pod templates the Components patch in.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import Any

from wlid_render.validate.finding import Finding
from wlid_render.validate.overlays import KUSTOMIZATION_NAMES
from wlid_render.validate.tree import Path_, RenderedTree, TreeError

COMPONENT_KIND = "Component"
RULE = "K8S005"


@dataclass(frozen=True)
class ComponentPatch:
    """One document of a patch file of a Component."""

    kustomization: str  # tree-relative path of the Component's kustomization
    entry: int  # index of the entry in its `patches`
    file: str  # tree-relative path of the patch file
    index: int  # document index in that file (empty documents not counted)
    doc: dict[str, Any]
    target: dict[str, Any] | None  # the entry's target, if any


def components(tree: RenderedTree) -> list[str]:
    """Tree-relative paths of every kustomization of kind Component, sorted."""
    found = []
    for rel in tree.files:
        if posixpath.basename(rel) not in KUSTOMIZATION_NAMES:
            continue
        try:
            docs = tree.yaml_documents(rel)
        except TreeError:
            continue
        if len(docs) == 1 and isinstance(docs[0], dict) and docs[0].get("kind") == COMPONENT_KIND:
            found.append(rel)
    return found


def component_patches(tree: RenderedTree) -> list[ComponentPatch]:
    """Every patch document of every Component whose entry names a local file."""
    patches = []
    for rel in components(tree):
        folder = posixpath.dirname(rel)
        entries = tree.yaml_documents(rel)[0].get("patches") or []
        for i, entry in enumerate(entries if isinstance(entries, list) else []):
            if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
                continue
            file = posixpath.normpath(posixpath.join(folder, entry["path"]))
            if not tree.exists(file):
                continue
            try:
                docs = tree.yaml_documents(file)
            except TreeError:
                continue
            target = entry.get("target") if isinstance(entry.get("target"), dict) else None
            for index, doc in enumerate(docs):
                if isinstance(doc, dict):
                    patches.append(ComponentPatch(rel, i, file, index, doc, target))
    return patches


def _finding(tree: RenderedTree, rel: str, path: Path_, message: str, index: int = 0) -> Finding:
    return Finding(tree.display(rel), tree.line_of(rel, path, index), RULE, "error", message)


def check_components(tree: RenderedTree) -> list[Finding]:
    """K8S005 for every Component patch of the tree."""
    findings = []
    for patch in component_patches(tree):
        meta = patch.doc.get("metadata") if isinstance(patch.doc.get("metadata"), dict) else {}
        what = f"{patch.doc.get('kind')} {meta.get('name')}"
        if patch.target is None:
            findings.append(
                _finding(
                    tree,
                    patch.kustomization,
                    ("patches", patch.entry),
                    f"the patch of {what} has no target: kustomize matches it by its own metadata, which "
                    "fails in a consumer that sets namespace: (failed to find unique target for patch); "
                    "add target: {group, version, kind, name}",
                )
            )
        elif "namespace" in patch.target:
            findings.append(
                _finding(
                    tree,
                    patch.kustomization,
                    ("patches", patch.entry, "target", "namespace"),
                    f"the target of the patch of {what} names a namespace: a consumer's namespace: is set "
                    "after the Component, so the target matches nothing; leave the namespace out",
                )
            )
        if "namespace" in meta:
            findings.append(
                _finding(
                    tree,
                    patch.file,
                    ("metadata", "namespace"),
                    f"the patch of {what} names metadata.namespace: in a consumer that sets namespace: "
                    "over manifests without one it matches nothing; leave it out",
                    patch.index,
                )
            )
    return findings
