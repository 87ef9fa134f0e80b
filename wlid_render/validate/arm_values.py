"""The ARM side of value keys (see keys.py): what an expression of a template reads, the resource IDs
a role assignment's guid() name is computed from, and the outputs of nested deployments a value reads."""

from __future__ import annotations

import json
import re
from typing import Any

from wlid_render.validate.arm_expressions import is_expression, literal, plain, split_call
from wlid_render.validate.arm_names import param_part
from wlid_render.validate.arm_template import DEPLOYMENT
from wlid_render.validate.keys import SCOPE_ID, NamePart, ValueKey, id_key, literal_key


def _closing_paren(text: str, start: int) -> int | None:
    """The index of the `)` closing the `(` at text[start]."""
    depth, i = 0, start
    while i < len(text):
        ch = text[i]
        if ch == "'":  # skip the literal; '' is a quote inside it
            i += 1
            while i < len(text) and (text[i] != "'" or text.startswith("''", i)):
                i += 2 if text.startswith("''", i) else 1
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
            if depth == 0:
                return i if ch == ")" else None
        i += 1
    return None


_ARM_PATH = re.compile(r"(?:\.[A-Za-z_]\w*)+")


def arm_reference(body: str) -> tuple[str, str, list[str]] | None:
    """`reference(resourceId('T', 'a', 'b'), 'api').x.y` -> ("t", "a/b", ["x", "y"])."""
    if not body.startswith("reference("):
        return None
    end = _closing_paren(body, len("reference"))
    if end is None or not _ARM_PATH.fullmatch(body[end + 1 :]):
        return None
    call = split_call(body[: end + 1])
    if call is None or len(call[1]) != 2 or literal(call[1][1]) is None:
        return None
    target = split_call(call[1][0])
    if target is None or target[0] != "resourceId" or len(target[1]) < 2:
        return None
    literals = [literal(a) for a in target[1]]
    if any(v is None for v in literals):
        return None
    resource_type, *names = (str(v) for v in literals)
    return resource_type.lower(), "/".join(names), body[end + 2 :].split(".")


def arm_value(value: Any) -> ValueKey | None:
    if value is None or isinstance(value, bool | int):
        return literal_key(value)
    if isinstance(value, list):
        items = [arm_value(v) for v in value]
        return None if None in items else ("array", tuple(items))
    if isinstance(value, dict):
        return ("object",) if not value else None
    if not isinstance(value, str):
        return None
    if not is_expression(value):
        return literal_key(plain(value))
    return arm_expression_value(value[1:-1])


_ARM_INTEGER = re.compile(r"-?[0-9]+")


def arm_expression_value(body: str) -> ValueKey | None:
    """As `arm_value`, for an expression without its brackets (or an argument of one)."""
    body = body.strip()
    if (text := literal(body)) is not None:
        return literal_key(text)
    if _ARM_INTEGER.fullmatch(body):
        return literal_key(int(body))
    call = split_call(body)
    if call is not None:
        function, args = call[0].lower(), call[1]
        if function in ("true", "false", "null") and not args:
            return literal_key(None if function == "null" else function == "true")
        if function == "parameters" and len(args) == 1 and (name := literal(args[0])) is not None:
            return ("param", name)
        if function == "if" and len(args) == 3:
            keys = [arm_expression_value(a) for a in args]
            return None if None in keys else ("if", *keys)
        if function == "coalesce" and len(args) == 2:
            keys = [arm_expression_value(a) for a in args]
            return None if None in keys else ("coalesce", *keys)
        if function == "tryget":
            return _arm_safe_output_read(args)
        return None
    reference = arm_reference(body)
    if reference is None:
        return None
    resource_type, name, path = reference
    if resource_type == DEPLOYMENT:
        if len(path) == 3 and path[0] == "outputs" and path[2] == "value":
            return ("output", name, path[1])
        return None
    return ("property", resource_type, name, ".".join(path))


def _arm_safe_output_read(args: tuple[str, ...]) -> ValueKey | None:
    """`tryGet(if(<c>, reference(<deployment>), null()), 'outputs', '<name>', 'value')` -> ("output?", ...)."""
    if len(args) != 4 or [literal(a) for a in (args[1], args[3])] != ["outputs", "value"]:
        return None
    guarded, name = split_call(args[0].strip()), literal(args[2])
    if guarded is None or guarded[0].lower() != "if" or len(guarded[1]) != 3 or name is None:
        return None
    condition, read, otherwise = guarded[1]
    if otherwise.strip() != "null()":
        return None
    target = arm_reference(read.strip() + ".outputs")
    if target is None or target[0] != DEPLOYMENT or arm_expression_value(condition) is None:
        return None
    return ("output?", target[1], name)


def _arm_id_key(text: str) -> tuple[Any, ...]:
    text = text.strip()
    if match := SCOPE_ID.fullmatch(text):
        return ("id", match[1].lower())
    call = split_call(text)
    if call is not None:
        parts: list[NamePart] = []
        for arg in call[1]:
            part = literal(arg)
            part = part if part is not None else param_part(arg)
            if part is None:
                break
            parts.append(part)
        else:
            if (key := id_key(call[0], parts)) is not None:
                return key
    value = arm_expression_value(text)
    return value if value is not None else ("?", text)


def arm_assignment_name(value: Any) -> tuple[Any, ...]:
    """`[guid(a, b, ...)]` -> ("guid", IdKey of a, of b...); a literal as a ValueKey; else ("?", text)."""
    if isinstance(value, str) and is_expression(value):
        call = split_call(value[1:-1].strip())
        if call is not None and call[0].lower() == "guid":
            return ("guid", *map(_arm_id_key, call[1]))
    key = arm_value(value) if isinstance(value, str) else None
    return key if key is not None else ("?", str(value))


def arm_leaves(value: Any, path: str = "") -> dict[str, tuple[ValueKey | None, str]]:
    """As `bicep_leaves`, for a JSON value of a template."""
    if isinstance(value, dict) and value:
        out: dict[str, tuple[ValueKey | None, str]] = {}
        for key, item in value.items():
            out.update(arm_leaves(item, f"{path}.{key}" if path else key))
        return out
    shown = value if isinstance(value, str) else json.dumps(value)
    return {path: (arm_value(value), shown)}


_ARM_OUTPUT_READ = re.compile(
    r"reference\(resourceId\('Microsoft\.Resources/deployments',\s*'((?:[^']|'')*)'\)[^)]*\)"
    r"(?:\.outputs\.(\w+)|,\s*null\(\)\),\s*'outputs',\s*'(\w+)')",
    re.IGNORECASE,
)


_ARM_GUARDED_READ = re.compile(
    r"tryGet\(if\((.*?),\s*reference\(resourceId\('Microsoft\.Resources/deployments',\s*'((?:[^']|'')*)'\)",
    re.IGNORECASE,
)


def arm_guarded_reads(value: Any) -> list[tuple[str, str]]:
    """(deployment name, condition text) of each `tryGet(if(<condition>, reference(<deployment>)...` in a
    value: an output read where a condition may leave the deployment out."""
    if isinstance(value, dict):
        return [read for item in value.values() for read in arm_guarded_reads(item)]
    if isinstance(value, list):
        return [read for item in value for read in arm_guarded_reads(item)]
    if isinstance(value, str) and is_expression(value):
        return [(m[2].replace("''", "'"), m[1].strip()) for m in _ARM_GUARDED_READ.finditer(value)]
    return []


def arm_output_reads(value: Any) -> list[tuple[str, str]]:
    """(deployment name, output name) of each `reference(<nested deployment>).outputs.<name>` in a value."""
    if isinstance(value, dict):
        return [read for item in value.values() for read in arm_output_reads(item)]
    if isinstance(value, list):
        return [read for item in value for read in arm_output_reads(item)]
    if isinstance(value, str) and is_expression(value):
        return [(m[1].replace("''", "'"), m[2] or m[3]) for m in _ARM_OUTPUT_READ.finditer(value)]
    return []
