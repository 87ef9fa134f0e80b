"""Map keys of the spec that kustomize would read as strategic-merge directives: refused.

In a strategic-merge patch a key that starts with `$` is an instruction, not data: `$patch: delete`
removes the map (or the whole object) it stands in, `$patch: replace` replaces instead of merging,
`$retainKeys`, `$setElementOrder/<list>` and `$deleteFromPrimitiveList/<list>` reorder or drop items
(Kubernetes, "Update API Objects in Place Using kubectl patch" and the strategic merge patch design;
kustomize applies the same rules). wlid writes the values that differ between environments as such
patches, so a user map key (a label, annotation or resource name, any key of any map of the spec)
could become one. No Kubernetes field or label/annotation key starts with `$`: such a key is always a
mistake, and refusing it in the spec is the only place it can be located for the user.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from wlid_render.errors import Path, Problem

DIRECTIVE_PREFIX = "$"


CONTAINERS = (BaseModel, dict, list, tuple)


def _keys(node: Any, path: Path, found: list[Path]) -> None:
    """Add to `found` the path of every map key of a spec value that starts with `$`, in document
    order. Only containers are descended into: most values of a spec are strings."""
    if isinstance(node, BaseModel):
        for name, value in node.__dict__.items():  # the fields, in their order
            if isinstance(value, CONTAINERS):
                _keys(value, (*path, name), found)
    elif isinstance(node, dict):
        for key, value in node.items():
            if isinstance(key, str) and key.startswith(DIRECTIVE_PREFIX):
                found.append((*path, key))
            if isinstance(value, CONTAINERS):
                _keys(value, (*path, key), found)
    else:
        for i, item in enumerate(node):
            if isinstance(item, CONTAINERS):
                _keys(item, (*path, i), found)


def directive_keys(spec: BaseModel) -> list[Problem]:
    """An error for every map key of the spec that would be a strategic-merge directive."""
    found: list[Path] = []
    _keys(spec, (), found)
    return [
        Problem(
            f"map key {path[-1]!r} starts with '$': kustomize and Kubernetes read such keys of a "
            "strategic-merge patch as directives ($patch, $retainKeys, $setElementOrder/...), not data",
            path,
            hint="no Kubernetes field, label or annotation key starts with '$'; rename the key",
        )
        for path in found
    ]
