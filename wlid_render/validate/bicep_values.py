"""The Bicep side of value keys (see keys.py): what an expression of a Bicep file reads, and the
resource IDs a role assignment's guid() name is computed from."""

from __future__ import annotations

from typing import Any

from wlid_render.validate.bicep_file import BicepFile, Module
from wlid_render.validate.bicep_syntax import (
    Node,
    NotALiteral,
    call_parts,
    decode_string,
    literal,
    named,
    properties,
    source,
    unwrap,
)
from wlid_render.validate.keys import SCOPE_ID, NamePart, ValueKey, id_key, literal_key


def _member_chain(node: Node) -> tuple[str, list[str]] | None:
    """`a.b.c` -> ("a", ["b", "c"]); None for anything else (`a.?b`, `a[0]`, calls...)."""
    path: list[str] = []
    while node.type == "member_expression":
        parts = node.children
        if len(parts) != 3 or parts[1].type != "." or parts[2].type != "property_identifier":
            return None
        path.append(source(parts[2]))
        node = parts[0]
    if node.type != "identifier":
        return None
    return source(node), path[::-1]


def module_output_read(node: Node, bicep: BicepFile) -> tuple[Module, str] | None:
    """`<module>.outputs.<name>...` or `<module>.?outputs.<name>` -> the module and the output name."""
    if (safe := _safe_output_read(node, bicep)) is not None:
        module = bicep.module(source(node.children[0].children[0]))
        return (module, str(safe[2])) if module is not None else None
    chain = _member_chain(node) if node.type == "member_expression" else None
    if chain is None or len(chain[1]) < 2 or chain[1][0] != "outputs":
        return None
    module = bicep.module(chain[0])
    return (module, chain[1][1]) if module is not None else None


def _safe_output_read(node: Node, bicep: BicepFile) -> ValueKey | None:
    """`<module>.?outputs.<name>` -> ("output?", deployment name, output name): what `bicep build`
    compiles to `tryGet(if(<the module's condition>, reference(<deployment>), null()), 'outputs',
    '<name>', 'value')`. That the ARM side guards it with its deployment's own condition is checked
    by `bicep_compare.compare_output_reads`."""
    parts = node.children
    if (
        node.type != "member_expression"
        or len(parts) != 3
        or parts[1].type != "."
        or parts[2].type != "property_identifier"
    ):
        return None
    inner = parts[0].children
    if (
        parts[0].type != "member_expression"
        or len(inner) != 3
        or inner[0].type != "identifier"
        or inner[1].type != ".?"
        or source(inner[2]) != "outputs"
    ):
        return None
    module = bicep.module(source(inner[0]))
    if module is None:
        return None
    return ("output?", module.name or module.name_text, source(parts[2]))


def bicep_value(node: Node, bicep: BicepFile) -> ValueKey | None:
    node = unwrap(node)
    if node.type == "binary_expression" and len(node.children) == 3 and node.children[1].type == "??":
        keys = [bicep_value(node.children[0], bicep), bicep_value(node.children[2], bicep)]
        return None if None in keys else ("coalesce", *keys)
    if (safe := _safe_output_read(node, bicep)) is not None:
        return safe
    if node.type == "ternary_expression" and len(named(node)) == 3:
        keys = [bicep_value(n, bicep) for n in named(node)]
        return None if None in keys else ("if", *keys)
    if node.type in ("string", "boolean", "number", "null"):
        try:
            return literal_key(literal(node))
        except NotALiteral:
            return None
    if node.type == "identifier":
        name = source(node)
        return ("param", name) if bicep.param(name) is not None else None
    if node.type == "array":
        items = [bicep_value(n, bicep) for n in named(node)]
        return None if None in items else ("array", tuple(items))
    if node.type == "object" and not named(node):
        return ("object",)
    if node.type != "member_expression":
        return None
    if (read := module_output_read(node, bicep)) is not None:
        module, output = read
        chain = _member_chain(node)
        if chain is not None and len(chain[1]) == 2:
            return ("output", module.name or module.name_text, output)
        return None
    chain = _member_chain(node)
    resource = bicep.resource(chain[0]) if chain else None
    if chain is None or resource is None or resource.existing or chain[1][:1] != ["properties"]:
        return None
    full = bicep.full_name(resource)
    if full is None or len(chain[1]) < 2:
        return None
    return ("property", resource.type.lower(), full, ".".join(chain[1][1:]))


def bicep_leaves(node: Node, bicep: BicepFile, path: str = "") -> dict[str, tuple[ValueKey | None, str]]:
    """Path in an object ("" for the value itself) -> (ValueKey or None, source text)."""
    if node.type == "object" and named(node):
        out: dict[str, tuple[ValueKey | None, str]] = {}
        for key, value in properties(node).items():
            out.update(bicep_leaves(value, bicep, f"{path}.{key}" if path else key))
        return out
    return {path: (bicep_value(node, bicep), " ".join(source(node).split()))}


def _bicep_id_key(node: Node, bicep: BicepFile) -> tuple[Any, ...]:
    node = unwrap(node)
    text = source(node)
    if match := SCOPE_ID.fullmatch(text):
        return ("id", match[1].lower())
    chain = _member_chain(node) if node.type == "member_expression" else None
    if chain is not None and chain[1] == ["id"] and (resource := bicep.resource(chain[0])) is not None:
        name = bicep.name_key(resource)
        if name is not None and "scope" not in resource.props:  # a resource of the deployment's scope
            return ("id", resource.type.lower(), name)
    if node.type == "call_expression":
        try:
            function, args = call_parts(node)
        except NotALiteral:
            function, args = "", []
        parts: list[NamePart] = []
        for arg in args:
            if arg.type == "identifier" and bicep.param(source(arg)) is not None:
                parts.append((source(arg), None))
                continue
            try:
                parts.append(decode_string(arg))
            except NotALiteral:
                break
        else:
            if (key := id_key(function, parts)) is not None:
                return key
    value = bicep_value(node, bicep)
    return value if value is not None else ("?", " ".join(text.split()))


def bicep_assignment_name(node: Node | None, bicep: BicepFile) -> tuple[Any, ...]:
    """As `arm_assignment_name`, for the `name` of a Bicep resource."""
    if node is None:
        return ("?", "")
    if node.type == "call_expression":
        try:
            function, args = call_parts(node)
        except NotALiteral:
            function, args = "", []
        if function.lower() == "guid":
            return ("guid", *(_bicep_id_key(a, bicep) for a in args))
    key = bicep_value(node, bicep)
    return key if key is not None else ("?", " ".join(source(node).split()))
