"""Test helper: read rendered files back the way their consumers do, independently of wlid's own code.

`build_overlay` builds `k8s/overlays/<env>` from the rendered files like `kubectl kustomize` does for
the subset wlid writes: `resources` (files, and folders with a kustomization, recursively) and
`patches` with a `path` to strategic-merge patch documents. Maps merge key by key, the lists
Kubernetes merges by a key (containers and env by `name`, ports by `containerPort`) merge item by item
(new items after the existing ones), other lists and scalars replace, `null` deletes.
"""

from __future__ import annotations

import copy
import posixpath
from collections.abc import Mapping
from typing import Any

import yaml

MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "env": "name",
    "ports": "containerPort",
    "volumes": "name",
    "volumeMounts": "mountPath",
}

ObjectKey = tuple[str, str, str, str]  # apiVersion, kind, namespace, name


class _StrictLoader(yaml.SafeLoader):
    """A YAML 1.1 reader that refuses duplicate keys (PyYAML keeps the last one silently)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        keys = [self.construct_object(k, deep=True) for k, _ in node.value]
        duplicates = {k for k in keys if keys.count(k) > 1}
        if duplicates:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate keys {sorted(map(str, duplicates))}", node.start_mark
            )
        return super().construct_mapping(node, deep=deep)


def load_documents(text: str) -> list[Any]:
    """Every document of a YAML text, refusing duplicate keys; empty documents are dropped."""
    return [doc for doc in yaml.load_all(text, Loader=_StrictLoader) if doc is not None]


def object_key(obj: Mapping[str, Any]) -> ObjectKey:
    meta = obj.get("metadata") or {}
    namespace = meta.get("namespace") or "default"
    return (obj["apiVersion"], obj["kind"], namespace, meta["name"])


def merge(target: Any, patch: Any, key: str | None = None) -> Any:
    """A strategic-merge patch applied to a copy of `target`."""
    if isinstance(target, dict) and isinstance(patch, dict):
        out = dict(target)
        for k, v in patch.items():
            if v is None:
                out.pop(k, None)
            elif k in out:
                out[k] = merge(out[k], v, k)
            else:
                out[k] = copy.deepcopy(v)
        return out
    merge_key = MERGE_KEYS.get(key or "")
    if merge_key and isinstance(target, list) and isinstance(patch, list):
        out_list = [copy.deepcopy(item) for item in target]
        positions = {item.get(merge_key): i for i, item in enumerate(out_list) if isinstance(item, dict)}
        for item in patch:
            index = positions.get(item.get(merge_key)) if isinstance(item, dict) else None
            if index is None:
                out_list.append(copy.deepcopy(item))
            else:
                out_list[index] = merge(out_list[index], item)
        return out_list
    return copy.deepcopy(patch)


def _kustomization(files: Mapping[str, str], folder: str) -> dict[str, Any]:
    (doc,) = load_documents(files[posixpath.join(folder, "kustomization.yaml")])
    unknown = set(doc) - {"apiVersion", "kind", "resources", "patches"}
    assert not unknown, f"{folder}: kustomization fields this helper does not build: {unknown}"
    return doc


def build_folder(files: Mapping[str, str], folder: str) -> dict[ObjectKey, dict[str, Any]]:
    """The objects a kustomization folder builds (OUT-relative POSIX paths -> file text in `files`)."""
    doc = _kustomization(files, folder)
    objects: dict[ObjectKey, dict[str, Any]] = {}
    for resource in doc.get("resources", []):
        path = posixpath.normpath(posixpath.join(folder, resource))
        if posixpath.join(path, "kustomization.yaml") in files:
            built = build_folder(files, path)
        else:
            built = {object_key(o): o for o in load_documents(files[path])}
        clash = set(built) & set(objects)
        assert not clash, f"{folder}: objects defined twice: {clash}"
        objects.update(built)
    for entry in doc.get("patches", []):
        for patch in load_documents(files[posixpath.normpath(posixpath.join(folder, entry["path"]))]):
            key = object_key(patch)
            assert key in objects, f"{folder}: a patch for an object that is not there: {key}"
            objects[key] = merge(objects[key], patch)
    return objects


def build_overlay(files: Mapping[str, str], env: str) -> dict[ObjectKey, dict[str, Any]]:
    return build_folder(files, f"k8s/overlays/{env}")


def pod_template(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    """The pod (template) of a workload object: `metadata` and `spec` of the pod."""
    kind = obj["kind"]
    if kind == "Pod":
        return obj
    if kind == "CronJob":
        return obj["spec"]["jobTemplate"]["spec"]["template"]
    return obj["spec"]["template"]
