"""Split per-environment versions of a Kubernetes object into what all share and per-environment patches.

The patches are strategic-merge patches: maps merge key by key, and the lists Kubernetes merges by a
key (containers and env by `name`, ports by `containerPort`, ...) merge item by item, so a patch only
carries the values that differ. Other lists are replaced whole. Applying an environment's patch to the
common part gives that environment's object (items a patch adds to a merged list come after the
common ones).
"""

from __future__ import annotations

from typing import Any

MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "env": "name",
    "ports": "containerPort",
    "volumes": "name",
    "volumeMounts": "mountPath",
}
IDENTITY_KEYS = ("apiVersion", "kind")


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


def common(values: list[Any], key: str | None = None) -> Any:
    """What every value shares; MISSING when nothing is shared."""
    first = values[0]
    if all(v == first for v in values[1:]):
        return first
    if all(isinstance(v, dict) for v in values):
        out = {}
        for k in first:
            if all(k in v for v in values):
                shared = common([v[k] for v in values], k)
                if shared is not MISSING:
                    out[k] = shared
        return out or MISSING
    merge_key = MERGE_KEYS.get(key or "")
    if merge_key and all(isinstance(v, list) for v in values):
        indexed = [{item.get(merge_key): item for item in v if isinstance(item, dict)} for v in values]
        out_list = []
        for item in first:
            k = item.get(merge_key) if isinstance(item, dict) else None
            if k is not None and all(k in index for index in indexed):
                shared = common([index[k] for index in indexed], None)
                if shared is not MISSING and shared.get(merge_key) == k:
                    out_list.append(shared)
        return out_list or MISSING
    return MISSING


def diff(value: Any, base: Any, key: str | None = None) -> Any:
    """The patch that turns `base` (a common part of `value`) into `value`; MISSING when equal."""
    if value == base:
        return MISSING
    if isinstance(value, dict) and isinstance(base, dict):
        out = {}
        for k, v in value.items():
            d = diff(v, base[k], k) if k in base else v
            if d is not MISSING:
                out[k] = d
        return out or MISSING
    merge_key = MERGE_KEYS.get(key or "")
    if merge_key and isinstance(value, list) and isinstance(base, list):
        by_key = {item.get(merge_key): item for item in base if isinstance(item, dict)}
        items = []
        for item in value:
            old = by_key.get(item.get(merge_key)) if isinstance(item, dict) else None
            if old is None:
                items.append(item)
                continue
            d = diff(item, old)
            if d is not MISSING:
                items.append({merge_key: item[merge_key], **{k: v for k, v in d.items() if k != merge_key}})
        return items or MISSING
    return value


def patch_for(obj: dict[str, Any], base: dict[str, Any]) -> dict[str, Any] | None:
    """A strategic-merge patch document for one object, or None when the object equals the base."""
    changes = diff(obj, base)
    if changes is MISSING:
        return None
    meta = obj["metadata"]
    identity: dict[str, Any] = {k: obj[k] for k in IDENTITY_KEYS}
    identity["metadata"] = {k: meta[k] for k in ("name", "namespace") if k in meta}
    extra_meta = {k: v for k, v in changes.pop("metadata", {}).items() if k not in ("name", "namespace")}
    identity["metadata"].update(extra_meta)
    return {**identity, **{k: v for k, v in changes.items() if k not in IDENTITY_KEYS}}
