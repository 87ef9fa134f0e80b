"""A small, offline Kustomize builder for the overlays wlid writes. Pure; no kubectl.

Each folder under `k8s/overlays/` is an environment. Its kustomization lists `resources` (files, or
folders holding a kustomization of their own, built recursively) and `patches` entries with a `path`:
strategic-merge patch files. wlid writes one folder per namespace in each overlay, which includes
that namespace's base folder `k8s/base/<ns>`; a folder is built once and its objects are shared by
every overlay that includes it. Each document of a patch file is a patch of its own, applied in file
order and matched to an object by apiVersion, kind, metadata.name and metadata.namespace (no
namespace and `default` are the same). Merging follows kustomize's strategic merge for what wlid
writes: maps merge recursively, the lists Kubernetes merges by a key (containers and env by `name`,
ports by `containerPort`, ...: MERGE_KEYS) merge item by item, other lists and scalars replace, `null`
deletes a key; patch directives such as `$patch` are refused. Any field this builder does not
implement is reported, never ignored. `wlid render -o -` prints overlays built here.

Problems are findings (rule K8S003), not exceptions. Built objects share unpatched parts with each
other and with the tree's parsed documents: treat `BuiltObject.obj` as read-only.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field, replace
from typing import Any

from wlid_render.validate.finding import Finding
from wlid_render.validate.tree import Path_, RenderedTree, TreeError

OVERLAYS_DIR = "k8s/overlays"
KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
SUPPORTED_FIELDS = frozenset({"apiVersion", "kind", "metadata", "resources", "patches"})
RULE = "K8S003"

Obj = dict[str, Any]
ObjectKey = tuple[str, str, str, str]  # apiVersion, kind, namespace ("" for none/default), name
PatchRef = tuple[str, int]  # tree-relative patch file, document index in it (empty documents not counted)


@dataclass(frozen=True)
class BuiltObject:
    obj: Obj  # the object after every patch; read-only
    source: str  # tree-relative path of the file that defines the object
    index: int  # document index in that file (empty documents not counted)
    patches: tuple[PatchRef, ...] = ()  # the patch documents applied, in order

    @property
    def key(self) -> ObjectKey:
        key = object_key(self.obj)
        assert key is not None  # only well-formed objects are built
        return key

    @property
    def label(self) -> str:
        """`Deployment orders/orders-api`, or `Namespace orders` without a namespace."""
        meta = self.obj["metadata"]
        namespace = meta.get("namespace")
        return (
            f"{self.obj['kind']} {namespace}/{meta['name']}"
            if namespace
            else f"{self.obj['kind']} {meta['name']}"
        )


def object_key(doc: Any) -> ObjectKey | None:
    """The identity kustomize matches on; None when the document is not an object."""
    if not isinstance(doc, dict) or not isinstance(doc.get("metadata"), dict):
        return None
    meta = doc["metadata"]
    parts = (doc.get("apiVersion"), doc.get("kind"), meta.get("name"))
    namespace = meta.get("namespace") or ""
    if not all(isinstance(part, str) and part for part in parts) or not isinstance(namespace, str):
        return None
    api_version, kind, name = parts
    return (api_version, kind, "" if namespace == "default" else namespace, name)


def overlay_names(tree: RenderedTree) -> list[str]:
    prefix = f"{OVERLAYS_DIR}/"
    return sorted(
        {
            f[len(prefix) :].split("/", 1)[0]
            for f in tree.files
            if f.startswith(prefix) and "/" in f[len(prefix) :]
        }
    )


def kustomization_file(tree: RenderedTree, folder: str) -> str | None:
    return next((f"{folder}/{name}" for name in KUSTOMIZATION_NAMES if tree.exists(f"{folder}/{name}")), None)


# Lists that Kubernetes merges item by item, by the key named here: the `x-kubernetes-patch-merge-key`
# of the pod spec, container and object metadata fields in the Kubernetes OpenAPI schema (the bundled
# copies in wlid_render/data/k8s_schemas carry them), which kustomize reads for the built-in kinds.
# Field names are unique among the kinds wlid renders (a Service's `ports`, merged by `port`, is not one).
MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "ports": "containerPort",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "volumes": "name",
    "imagePullSecrets": "name",
    "hostAliases": "ip",
    "topologySpreadConstraints": "topologyKey",
    "resourceClaims": "name",
    "schedulingGates": "name",
    "ownerReferences": "uid",
}


def merge(base: Obj, patch: Obj) -> Obj:
    """Strategic merge: maps merge key by key, the lists of MERGE_KEYS merge item by item (an item with
    a new key goes after the existing ones), other lists and scalars replace, None deletes. Inputs
    untouched."""
    out = dict(base)
    for key, value in patch.items():
        current = out.get(key)
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict):
            out[key] = merge(current if isinstance(current, dict) else {}, value)
        elif isinstance(value, list) and isinstance(current, list) and key in MERGE_KEYS:
            out[key] = _merge_items(current, value, MERGE_KEYS[key])
        else:
            out[key] = value
    return out


def _merge_items(base: list[Any], patch: list[Any], merge_key: str) -> list[Any]:
    out = list(base)
    where = {item[merge_key]: i for i, item in enumerate(out) if isinstance(item, dict) and merge_key in item}
    for item in patch:
        keyed = isinstance(item, dict) and merge_key in item
        index = where.get(item[merge_key]) if keyed else None
        if index is None:
            if keyed:
                where[item[merge_key]] = len(out)
            out.append(item)
        else:
            out[index] = merge(out[index], item)
    return out


def sets_path(patch: Obj, path: Path_) -> bool:
    """Whether applying the patch decides the value at path (sets, replaces a parent of, or deletes it)."""
    node: Any = patch
    for part in path:
        if not isinstance(node, dict):
            return True  # the patch replaced a list or scalar above the path
        if part not in node:
            return False
        node = node[part]
    return bool(path)


def line_in_document(tree: RenderedTree, rel: str, index: int, path: Path_) -> int | None:
    """The line of a value (nearest parent) in document `index` of a YAML file, single or multi-document.

    `index` counts documents as `RenderedTree.yaml_documents` does, without the empty ones, so a
    file with a stray `---` (one document and an empty one) still gets lines.
    """
    return tree.line_of(rel, path, index)


@dataclass
class _Builder:
    tree: RenderedTree
    findings: list[Finding] = field(default_factory=list)
    built: dict[str, list[BuiltObject]] = field(default_factory=dict)
    stack: list[str] = field(default_factory=list)

    def report(self, rel: str, path: Path_ | None, message: str, index: int = 0) -> None:
        line = None if path is None else line_in_document(self.tree, rel, index, path)
        self.findings.append(Finding(self.tree.display(rel), line, RULE, "error", message))

    def documents(self, rel: str, at: tuple[str, Path_]) -> list[Any] | None:
        if not self.tree.exists(rel):
            self.report(*at, f"{self.tree.display(rel)} does not exist")
            return None
        try:
            return self.tree.yaml_documents(rel)
        except TreeError as exc:
            self.report(rel, None, str(exc))
            return None

    def overlay(self, name: str) -> list[BuiltObject]:
        folder = f"{OVERLAYS_DIR}/{name}"
        if kustomization_file(self.tree, folder) is None:
            self.report(folder, None, f"overlay {name} has no kustomization.yaml")
            return []
        return self.folder(folder)

    def folder(self, folder: str) -> list[BuiltObject]:
        """The objects of a kustomization folder, built once per folder."""
        if folder not in self.built:
            self.stack.append(folder)
            self.built[folder] = self.kustomization(kustomization_file(self.tree, folder) or "")
            self.stack.pop()
        return self.built[folder]

    def kustomization(self, rel: str) -> list[BuiltObject]:
        docs = self.documents(rel, (rel, ()))
        if docs is None:
            return []
        if len(docs) != 1 or not isinstance(docs[0], dict):
            self.report(rel, None, "a kustomization must be a single YAML mapping")
            return []
        spec = docs[0]
        self.check_fields(rel, spec)
        folder = posixpath.dirname(rel)
        objects: dict[ObjectKey, BuiltObject] = {}  # insertion order is resource order
        for i, entry in enumerate(self.entries(rel, spec, "resources")):
            for built in self.resource(folder, entry, (rel, ("resources", i))):
                self.add(objects, built)
        for i, entry in enumerate(self.entries(rel, spec, "patches")):
            self.patch_entry(folder, entry, (rel, ("patches", i)), objects)
        return list(objects.values())

    def check_fields(self, rel: str, spec: Obj) -> None:
        kind = spec.get("kind", "Kustomization")
        if kind != "Kustomization":
            self.report(rel, ("kind",), f"kind {kind} is not supported by wlid validate (only Kustomization)")
        for key in spec:
            if key not in SUPPORTED_FIELDS:
                self.report(
                    rel,
                    (key,),
                    f"{key} is not supported by wlid validate; this kustomization is not fully checked",
                )

    def entries(self, rel: str, spec: Obj, key: str) -> list[Any]:
        value = spec.get(key, [])
        if not isinstance(value, list):
            self.report(rel, (key,), f"{key} must be a list")
            return []
        return value

    def resolve(self, folder: str, entry: Any, at: tuple[str, Path_]) -> str | None:
        """The tree-relative path an entry names, or None (reported) when it is not a local path in the tree."""
        if not isinstance(entry, str) or not entry:
            self.report(*at, "expected a relative path")
            return None
        if "://" in entry or entry.startswith(("git@", "github.com/")):
            self.report(*at, f"remote resource {entry} is not supported by wlid validate")
            return None
        rel = posixpath.normpath(posixpath.join(folder, entry))
        if posixpath.isabs(entry) or rel == ".." or rel.startswith("../"):
            self.report(*at, f"{entry} is outside the rendered tree")
            return None
        return rel

    def resource(self, folder: str, entry: Any, at: tuple[str, Path_]) -> list[BuiltObject]:
        rel = self.resolve(folder, entry, at)
        if rel is None:
            return []
        if self.tree.is_dir(rel):
            if kustomization_file(self.tree, rel) is None:
                self.report(*at, f"{self.tree.display(rel)} has no kustomization.yaml")
                return []
            if rel in self.stack:
                self.report(*at, f"{entry} includes itself (cycle through {self.tree.display(rel)})")
                return []
            return self.folder(rel)
        docs = self.documents(rel, at)
        return [] if docs is None else self.file_objects(rel, docs)

    def file_objects(self, rel: str, docs: list[Any]) -> list[BuiltObject]:
        objects = []
        for index, doc in enumerate(docs):
            if object_key(doc) is None:
                where = f"document {index + 1} of {self.tree.display(rel)}" if len(docs) > 1 else "it"
                message = f"{where} is not a Kubernetes object (needs apiVersion, kind and metadata.name)"
                self.report(rel, (), message, index)
            else:
                objects.append(BuiltObject(doc, rel, index))
        return objects

    def add(self, objects: dict[ObjectKey, BuiltObject], built: BuiltObject) -> None:
        other = objects.get(built.key)
        if other is None:
            objects[built.key] = built
            return
        message = f"{built.label} is defined twice (also in {self.tree.display(other.source)})"
        self.report(built.source, ("metadata", "name"), message, built.index)

    def patch_entry(
        self, folder: str, entry: Any, at: tuple[str, Path_], objects: dict[ObjectKey, BuiltObject]
    ) -> None:
        if not isinstance(entry, dict) or set(entry) != {"path"}:
            self.report(*at, "only patches entries of the form `- path: FILE` are supported by wlid validate")
            return
        rel = self.resolve(folder, entry["path"], (at[0], (*at[1], "path")))
        docs = None if rel is None else self.documents(rel, (at[0], (*at[1], "path")))
        if rel is None or docs is None:
            return
        for index, doc in enumerate(docs):
            self.apply(rel, index, doc, objects)

    def apply(self, rel: str, index: int, patch: Any, objects: dict[ObjectKey, BuiltObject]) -> None:
        key = object_key(patch)
        if key is None:
            self.report(rel, (), "a patch needs apiVersion, kind and metadata.name", index)
            return
        directive = _directive(patch)
        if directive is not None:
            message = f"patch directive {directive[-1]} is not supported by wlid validate"
            self.report(rel, directive, message, index)
            return
        target = objects.get(key)
        if target is None:
            what = f"{key[1]} {key[2]}/{key[3]}" if key[2] else f"{key[1]} {key[3]}"
            message = f"patch matches no object: no {what} with apiVersion {key[0]} in the resources"
            self.report(rel, ("metadata", "name"), message, index)
            return
        patched = merge(target.obj, patch)
        objects[key] = replace(target, obj=patched, patches=(*target.patches, (rel, index)))


def _directive(node: Any, path: Path_ = ()) -> Path_ | None:
    """The path of the first `$patch`-style directive key in a patch, if any."""
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(key, str) and key.startswith("$"):
                return (*path, key)
            found = _directive(value, (*path, key))
            if found is not None:
                return found
    elif isinstance(node, list):
        for i, item in enumerate(node):
            found = _directive(item, (*path, i))
            if found is not None:
                return found
    return None


def build_folder(tree: RenderedTree, folder: str) -> list[BuiltObject]:
    """The objects of one kustomization folder of the tree (e.g. a namespace folder of an overlay);
    its problems are those `build_overlays` reports."""
    if kustomization_file(tree, folder) is None:
        return []
    return _Builder(tree).folder(folder)


def build_folders(tree: RenderedTree, folders: list[str]) -> dict[str, list[BuiltObject]]:
    """The objects of several kustomization folders, each folder they include built once for all;
    problems are left to `build_overlays`."""
    builder = _Builder(tree)
    return {folder: builder.folder(folder) if kustomization_file(tree, folder) else [] for folder in folders}


def build_overlays(tree: RenderedTree) -> tuple[dict[str, list[BuiltObject]], list[Finding]]:
    """Environment name -> its objects in resource order, and the problems met (rule K8S003)."""
    builder = _Builder(tree)
    overlays = {name: builder.overlay(name) for name in overlay_names(tree)}
    return overlays, builder.findings


def build_overlay(tree: RenderedTree, name: str) -> tuple[list[BuiltObject], list[Finding]]:
    """The objects of one environment's overlay in resource order, and the problems met (rule K8S003)."""
    builder = _Builder(tree)
    return builder.overlay(name), builder.findings


def blame(tree: RenderedTree, built: BuiltObject, path: Path_) -> tuple[str, int | None]:
    """The file (base or the last patch document that set the path) and line a person must fix.

    Each applied patch is looked up by its own document index, so that in a multi-document patch
    file the line is that of the document that patched this object, and when several documents
    patch the same object the last one applied wins, as it does in the build.
    """
    for patch, index in reversed(built.patches):
        try:
            doc = tree.yaml_documents(patch)[index]
        except (TreeError, IndexError):
            continue
        if isinstance(doc, dict) and sets_path(doc, path):
            return patch, line_in_document(tree, patch, index, path)
    return built.source, line_in_document(tree, built.source, built.index, path)
