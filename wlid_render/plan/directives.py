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

from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from wlid_render.errors import Path, Problem

DIRECTIVE_PREFIX = "$"


def _keys(node: Any, path: Path) -> Iterator[Path]:
    """The path of every map key of a spec value that starts with `$`."""
    if isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from _keys(getattr(node, name), (*path, name))
    elif isinstance(node, dict):
        for key, value in node.items():
            if isinstance(key, str) and key.startswith(DIRECTIVE_PREFIX):
                yield (*path, key)
            yield from _keys(value, (*path, key))
    elif isinstance(node, list | tuple):
        for i, item in enumerate(node):
            yield from _keys(item, (*path, i))


def directive_keys(spec: BaseModel) -> list[Problem]:
    """An error for every map key of the spec that would be a strategic-merge directive."""
    return [
        Problem(
            f"map key {path[-1]!r} starts with '$': kustomize and Kubernetes read such keys of a "
            "strategic-merge patch as directives ($patch, $retainKeys, $setElementOrder/...), not data",
            path,
            hint="no Kubernetes field, label or annotation key starts with '$'; rename the key",
        )
        for path in _keys(spec, ())
    ]
