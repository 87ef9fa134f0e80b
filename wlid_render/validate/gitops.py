"""GitOps checks of a rendered tree: the Flux and Argo CD objects under OUT/gitops, and what they apply.

GITOPS001 (error)  an object under OUT/gitops does not match its schema: Flux Kustomization and
                   GitRepository and Argo CD Application against the JSON schemas of their CRDs
                   (bundled, see wlid_render/data/crd_schemas/NOTICE.md), a ConfigMap against the
                   Kubernetes schema; every object's metadata against Kubernetes' ObjectMeta, with a
                   name.
GITOPS002 (warning) an object under OUT/gitops of a kind without a bundled schema: not checked.
GITOPS003 (error)  Flux post-build substitution would rewrite a value: an object of a folder that a
                   Flux Kustomization substitutes (or of an overlay that carries client-ID
                   placeholders, which only substitution fills) holds `${` or `$$` and does not opt
                   out with `kustomize.toolkit.fluxcd.io/substitute: disabled`. Flux replaces every
                   `${VAR}` of such an object (undefined ones with ""), turns `$$` into `$`, and fails
                   the whole Kustomization on a malformed `${...}` (fluxcd/pkg
                   kustomize/kustomize_varsub.go, envsubst). The client-ID placeholder annotation of
                   a ServiceAccount is what substitution is for and is not reported.
GITOPS004 (error)  an Argo CD Application syncs automatically an overlay whose ServiceAccounts still
                   carry client-ID placeholders: Argo CD does not substitute, and it would deploy the
                   literal `${WLID_CLIENT_ID_...}`.

Repository paths (`spec.path` of a Flux Kustomization, `spec.source.path` of an Application) are
matched to the tree by their `k8s/overlays/...` part: the tree may sit anywhere in the repository.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from typing import Any

import jsonschema
from jsonschema.protocols import Validator

from wlid_render.kubernetes_keys import CLIENT_ID, FLUX_SUBSTITUTE, FLUX_SUBSTITUTE_DISABLED
from wlid_render.validate.finding import Finding
from wlid_render.validate.k8s import DEFAULT_VERSION, dotted, schema_document, schema_registry, validator_for
from wlid_render.validate.overlays import OVERLAYS_DIR, BuiltObject, blame, build_folder
from wlid_render.validate.tree import Path_, RenderedTree, TreeError

GITOPS_DIR = "gitops/"
FLUX_KUSTOMIZATION_GROUP = "kustomize.toolkit.fluxcd.io/"
ARGOCD_GROUP = "argoproj.io/"
PLACEHOLDER = re.compile(r"\$\{WLID_CLIENT_ID_[A-Z0-9_]+\}")
_REWRITTEN = re.compile(r"\$[{$]")  # what Flux's expansion changes: `${...}` and `$$`


@dataclass(frozen=True)
class GitOpsObject:
    rel: str  # tree-relative file under gitops/
    index: int  # document index in it (empty documents not counted)
    doc: dict[str, Any]

    @property
    def label(self) -> str:
        meta = self.doc.get("metadata") if isinstance(self.doc.get("metadata"), dict) else {}
        namespace = meta.get("namespace")
        name = meta.get("name")
        return f"{self.doc.get('kind')} {namespace}/{name}" if namespace else f"{self.doc.get('kind')} {name}"

    def is_kind(self, group: str, kind: str) -> bool:
        api_version = self.doc.get("apiVersion")
        return isinstance(api_version, str) and api_version.startswith(group) and self.doc.get("kind") == kind


def gitops_objects(tree: RenderedTree) -> list[GitOpsObject]:
    """Every YAML document under gitops/ that is a mapping, in file and document order."""
    found = []
    for rel in tree.files:
        if not rel.startswith(GITOPS_DIR) or not rel.endswith((".yaml", ".yml")):
            continue
        try:
            documents = tree.yaml_documents(rel)
        except TreeError:
            continue  # reported by the schema check
        found += [GitOpsObject(rel, i, doc) for i, doc in enumerate(documents) if isinstance(doc, dict)]
    return found


def overlay_folder(tree: RenderedTree, repository_path: Any) -> str | None:
    """The tree folder a repository path names (`./out/x/k8s/overlays/prod/shop` -> `k8s/overlays/prod/shop`)."""
    if not isinstance(repository_path, str):
        return None
    marker = f"{OVERLAYS_DIR}/"
    position = repository_path.find(marker)
    if position < 0:
        return None
    folder = repository_path[position:].strip("/")
    return folder if (tree.root / folder).is_dir() else None


def _spec(doc: dict[str, Any]) -> dict[str, Any]:
    spec = doc.get("spec")
    return spec if isinstance(spec, dict) else {}


def _meta(obj: dict[str, Any]) -> dict[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, dict) else {}


def _strings(node: Any, path: Path_ = ()) -> Iterator[tuple[Path_, str]]:
    """(path, text) of every string of a document, mapping keys included (their path is the key's)."""
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, dict):
        for key, value in node.items():
            if isinstance(key, str):
                yield (*path, key), key
            yield from _strings(value, (*path, key))
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _strings(item, (*path, i))


def _opted_out(obj: dict[str, Any]) -> bool:
    meta = _meta(obj)
    labels = meta.get("labels") if isinstance(meta.get("labels"), dict) else {}
    annotations = meta.get("annotations") if isinstance(meta.get("annotations"), dict) else {}
    return FLUX_SUBSTITUTE_DISABLED in (labels.get(FLUX_SUBSTITUTE), annotations.get(FLUX_SUBSTITUTE))


def _placeholders(objects: list[BuiltObject]) -> list[str]:
    """The client-ID placeholders of the ServiceAccounts of a build, sorted."""
    found = set()
    for built in objects:
        if built.obj.get("kind") == "ServiceAccount":
            annotations = _meta(built.obj).get("annotations") or {}
            value = annotations.get(CLIENT_ID) if isinstance(annotations, dict) else None
            if isinstance(value, str) and PLACEHOLDER.fullmatch(value):
                found.add(value)
    return sorted(found)


# Where a client-ID placeholder belongs: the ServiceAccount's annotation, and the client ID of a
# SecretProviderClass (the Secrets Store CSI provider reads it there, not from the ServiceAccount).
_CLIENT_ID_PLACES = frozenset(
    {
        ("ServiceAccount", ("metadata", "annotations", CLIENT_ID)),
        ("SecretProviderClass", ("spec", "parameters", "clientID")),
    }
)
OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
MESSAGE_LIMIT = 300


@functools.cache
def crd_validator(api_version: str, kind: str) -> Validator | None:
    """The validator of a bundled CRD schema (`<group>/<kind>_<version>.json`), or None."""
    group, _, version = api_version.rpartition("/")
    if not group or not version:
        return None
    path = resources.files("wlid_render.data") / "crd_schemas" / group / f"{kind.lower()}_{version}.json"
    if not path.is_file():
        return None
    schema = json.loads(path.read_text("utf-8"))
    return jsonschema.Draft7Validator(schema)


@functools.cache
def metadata_validator(version: str) -> Validator:
    """Kubernetes' ObjectMeta of a version, from the vendored Kubernetes schemas."""
    document = schema_document(version)
    schema = {"$schema": document["$schema"], "$ref": f"{document['$id']}#/$defs/{OBJECT_META}"}
    cls = jsonschema.validators.validator_for(document)
    return cls(schema, registry=schema_registry(version))


def _short(message: str) -> str:
    return message if len(message) <= MESSAGE_LIMIT else message[: MESSAGE_LIMIT - 3] + "..."


class _Checks:
    def __init__(self, tree: RenderedTree, overlays: dict[str, list[BuiltObject]]):
        self.tree = tree
        self.overlays = overlays
        self.findings: list[Finding] = []
        self.seen: set[tuple[str, int | None, str]] = set()
        self.folders: dict[str, list[BuiltObject]] = {}

    def add(self, rule: str, severity: str, rel: str, line: int | None, message: str) -> None:
        key = (rel, line, message)
        if key not in self.seen:
            self.seen.add(key)
            self.findings.append(Finding(self.tree.display(rel), line, rule, severity, message))  # type: ignore[arg-type]

    def objects(self, folder: str) -> list[BuiltObject]:
        """The built objects of an overlay folder (an environment's, or one of its namespace folders)."""
        parts = folder.split("/")
        if len(parts) == 3 and parts[2] in self.overlays:
            return self.overlays[parts[2]]
        if folder not in self.folders:
            self.folders[folder] = build_folder(self.tree, folder)
        return self.folders[folder]

    # -- GITOPS001, GITOPS002 -----------------------------------------------------------------------
    def schemas(self, objects: list[GitOpsObject], version: str) -> None:
        for obj in objects:
            api_version, kind = obj.doc.get("apiVersion"), obj.doc.get("kind")
            if not isinstance(api_version, str) or not isinstance(kind, str):
                self.schema_error(obj, (), "not a Kubernetes object: apiVersion and kind must be strings")
                continue
            validator = crd_validator(api_version, kind) or validator_for(version, api_version, kind)
            if validator is None:
                self.add(
                    "GITOPS002",
                    "warning",
                    obj.rel,
                    self.tree.line_of(obj.rel, ("kind",), obj.index),
                    f"{obj.label}: no schema for kind {kind} ({api_version}); not checked",
                )
                continue
            meta = obj.doc.get("metadata")
            if not isinstance(meta, dict) or not isinstance(meta.get("name"), str) or not meta["name"]:
                self.schema_error(obj, ("metadata",), "metadata.name is required")
            elif not metadata_validator(version).is_valid(meta):
                for error in metadata_validator(version).iter_errors(meta):
                    self.schema_error(obj, ("metadata", *error.absolute_path), error.message)
            for error in validator.iter_errors(obj.doc):
                self.schema_error(obj, tuple(error.absolute_path), error.message)

    def schema_error(self, obj: GitOpsObject, path: Path_, message: str) -> None:
        shown = dotted(path)
        line = self.tree.line_of(obj.rel, path, obj.index)
        prefix = f"{obj.label}: {shown}: " if shown else f"{obj.label}: "
        self.add("GITOPS001", "error", obj.rel, line, prefix + _short(message))

    # -- GITOPS003 ---------------------------------------------------------------------------------
    def substitution(self, objects: list[GitOpsObject]) -> None:
        scopes: dict[str, str] = {}  # folder -> why it is substituted
        for obj in objects:
            if not obj.is_kind(FLUX_KUSTOMIZATION_GROUP, "Kustomization"):
                continue
            spec = _spec(obj.doc)
            post_build = spec.get("postBuild") if isinstance(spec.get("postBuild"), dict) else {}
            if not (post_build.get("substitute") or post_build.get("substituteFrom")):
                continue
            folder = overlay_folder(self.tree, spec.get("path"))
            if folder is not None:
                scopes.setdefault(folder, f"Flux {obj.label} ({self.tree.display(obj.rel)})")
        for env, built in self.overlays.items():
            if _placeholders(built):
                scopes.setdefault(f"{OVERLAYS_DIR}/{env}", f"the client-ID placeholders of overlay {env}")
        for folder, why in sorted(scopes.items()):
            for built in self.objects(folder):
                if not _opted_out(built.obj):
                    self._rewritten(built, why)

    def _rewritten(self, built: BuiltObject, why: str) -> None:
        for path, text in _strings(built.obj):
            if not _REWRITTEN.search(text):
                continue
            if (built.obj.get("kind"), path) in _CLIENT_ID_PLACES and PLACEHOLDER.fullmatch(text):
                continue
            if (  # the client ID of an identity binding's ClusterRole, bound as on the ServiceAccount
                built.obj.get("kind") == "ClusterRole"
                and len(path) == 4
                and path[0] == "rules"
                and path[2] == "resources"
                and PLACEHOLDER.fullmatch(text)
            ):
                continue
            rel, line = blame(self.tree, built, path)
            shown = text if len(text) <= 60 else text[:57] + "..."
            self.add(
                "GITOPS003",
                "error",
                rel,
                line,
                f"{built.label}: Flux post-build substitution, needed by {why}, would rewrite "
                f"{shown!r} (every ${{...}} and $$ of an object that does not opt out); annotate the "
                f"object {FLUX_SUBSTITUTE}: {FLUX_SUBSTITUTE_DISABLED}",
            )

    # -- GITOPS004 ---------------------------------------------------------------------------------
    def automated_sync(self, objects: list[GitOpsObject]) -> None:
        for obj in objects:
            if not obj.is_kind(ARGOCD_GROUP, "Application"):
                continue
            spec = _spec(obj.doc)
            policy = spec.get("syncPolicy") if isinstance(spec.get("syncPolicy"), dict) else {}
            if "automated" not in policy:
                continue
            source = spec.get("source") if isinstance(spec.get("source"), dict) else {}
            folder = overlay_folder(self.tree, source.get("path"))
            if folder is None:
                continue
            placeholders = _placeholders(self.objects(folder))
            if placeholders:
                shown = ", ".join(placeholders[:3]) + (" ..." if len(placeholders) > 3 else "")
                self.add(
                    "GITOPS004",
                    "error",
                    obj.rel,
                    self.tree.line_of(obj.rel, ("spec", "syncPolicy"), obj.index),  # its first key
                    f"{obj.label} syncs {folder} automatically, but its ServiceAccounts still carry "
                    f"client-ID placeholders ({shown}) that Argo CD does not substitute; pin the client "
                    "IDs (wlid bind) and render again, or sync by hand once they are set",
                )


def check_gitops(
    tree: RenderedTree, overlays: dict[str, list[BuiltObject]], version: str = DEFAULT_VERSION
) -> list[Finding]:
    """GITOPS001-GITOPS004 for a tree (its gitops/ folder, when there is one)."""
    checks = _Checks(tree, overlays)
    objects = gitops_objects(tree)
    checks.schemas(objects, version)
    checks.substitution(objects)
    checks.automated_sync(objects)
    return checks.findings
