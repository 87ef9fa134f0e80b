"""What the Bicep reader and the ARM reader both produce, so that BICEP002 can compare the two sides.

- Name keys: a resource's name as parts that may read parameters, normalised to one part per name
  segment of its type, as both sides write it once read.
- Scopes: where a module (Bicep) or a nested deployment (ARM) deploys to.
- Value keys: what an expression reads (a literal, a parameter, a property of a resource, an output of
  a deployment...), and ID keys: the resource IDs a role assignment's guid() name is computed from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# -- names that may read parameters ----------------------------------------------------------------
# A NamePart is a literal name segment, or a parameter: (name, None) for the whole value, (name, i) for
# `split(parameters(name), '/')[i]`. A NameKey holds one part per name segment of the resource type
# (`Microsoft.Storage/storageAccounts/blobServices`: two), as both sides write it once read.
ParamPart = tuple[str, int | None]
NamePart = str | ParamPart
NameKey = tuple[NamePart, ...]

RESOURCE_TYPE = re.compile(r"[A-Za-z0-9]+(?:\.[A-Za-z0-9]+)+(?:/[A-Za-z0-9]+)+")
_SPACE = re.compile(r"\s+")


def name_segments(resource_type: str) -> int:
    """How many segments the name of a resource of this type has: one per type after the namespace."""
    return max(len(resource_type.split("/")) - 1, 1)


def normal_name(parts: list[NamePart], count: int) -> list[NamePart]:
    """Literals split at `/`; a whole parameter naming `count` > 1 segments becomes `split(x, '/')[i]`
    for each, as Bicep compiles `name: x` of a child type."""
    out: list[NamePart] = []
    for part in parts:
        out += part.split("/") if isinstance(part, str) else [part]
    if count > 1 and len(out) == 1 and not isinstance(out[0], str) and out[0][1] is None:
        return [(out[0][0], i) for i in range(count)]
    return out


def show_part(part: NamePart) -> str:
    if isinstance(part, str):
        return part
    return f"<{part[0]}>" if part[1] is None else f"<{part[0]}>[{part[1]}]"


def show_name(key: NameKey) -> str:
    """`a/b` for literals; a parameter shows as `<name>` (or `<name>[i]` for one segment of it)."""
    return "/".join(map(show_part, key))


def compact(text: str) -> str:
    """An expression without white space: how deployment names computed at deployment compare."""
    return _SPACE.sub("", text)


# -- scopes ----------------------------------------------------------------------------------------
ScopeArg = tuple[str, str]  # ("literal", value), ("param", parameter name) or ("expr", source text)


@dataclass(frozen=True)
class Scope:
    function: str  # resourceGroup, subscription...
    args: tuple[ScopeArg, ...]

    def __str__(self) -> str:
        shown = (repr(value) if kind == "literal" else value for kind, value in self.args)
        return f"{self.function}({', '.join(shown)})"


# -- values: what an expression reads, comparable across Bicep and ARM ----------------------------
# A ValueKey is ("literal", type name, value), ("param", name), ("property", lower-case resource type,
# full name, "a.b") for a property of a resource of the same file/template, ("output", deployment name,
# output name) for an output of a module/nested deployment, ("array", keys), ("object",) for `{}`, or
# ("if", condition, then, else) for `c ? a : b` / `if(c, a, b)`.
# Other expressions have no key: they cannot be compared offline.
ValueKey = tuple[Any, ...]


def literal_key(value: Any) -> ValueKey:
    return ("literal", type(value).__name__, value)


# -- role assignment names: guid() of resource IDs ---------------------------------------------------
# An IdKey is ("id", "resourcegroup") or ("id", "subscription") for `resourceGroup().id` /
# `subscription().id`, ("id", lower-case type, name key) for the ID of a resource of the deployment's
# scope, ("subscriptionResourceId", lower-case type, name key), a ValueKey, or ("?", text) for what
# cannot be read offline.
SCOPE_ID = re.compile(r"(resourceGroup|subscription)\(\s*\)\s*\.\s*id", re.IGNORECASE)
_ID_FUNCTIONS = {"resourceid": "id", "subscriptionresourceid": "subscriptionResourceId"}


def id_key(function: str, parts: list[NamePart] | None) -> tuple[Any, ...] | None:
    """resourceId('T', names...) or subscriptionResourceId('T', names...), names read as `parts`."""
    kind = _ID_FUNCTIONS.get(function.lower())
    if kind is None or not parts or not isinstance(parts[0], str) or not RESOURCE_TYPE.fullmatch(parts[0]):
        return None
    resource_type, names = parts[0], parts[1:]
    return kind, resource_type.lower(), tuple(normal_name(names, name_segments(resource_type)))
