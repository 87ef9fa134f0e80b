"""How `wlid validate` reads the names in an ARM template, one way for every rule: a resource's name,
the resource a dependsOn entry names, the name of a nested deployment.

- A name as name parts (keys.py): literal segments and parameters, from a literal (the `[[` escape
  undone), `[parameters('x')]`, or `[format(...)]` of literals and parameters; the name known before
  deployment is one whose parts are all literals.
- A dependsOn entry: `resourceId('T', 'a', 'b')` of literals -> ('t', 'a/b'),
  `extensionResourceId(<scope>, 'T', 'a')` -> ('t', 'a'), a bare name as it is.

Expressions are read with arm_expressions (split_call, literal), never by patterns over their text.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from wlid_render.validate.arm_expressions import is_expression, literal, plain, split_call
from wlid_render.validate.keys import NameKey, NamePart, ParamPart, compact, name_segments, normal_name

DepKey = tuple[str, str]  # (lower-case resource type, full name)
_FORMAT_ITEM = re.compile(r"\{\{|\}\}|\{(\d+)\}|[{}]")
_SPLIT_INDEX = re.compile(r"(split\(.*\))\s*\[\s*(\d+)\s*\]", re.DOTALL)


# -- names ---------------------------------------------------------------------------------------
def param_part(text: str) -> ParamPart | None:
    """`parameters('x')` -> ("x", None); `split(parameters('x'), '/')[1]` -> ("x", 1)."""
    text = text.strip()
    call = split_call(text)
    if call is not None:
        if call[0].lower() == "parameters" and len(call[1]) == 1:
            name = literal(call[1][0])
            return (name, None) if name is not None else None
        return None
    match = _SPLIT_INDEX.fullmatch(text)
    inner = split_call(match[1]) if match else None
    if match is None or inner is None or inner[0].lower() != "split" or len(inner[1]) != 2:
        return None
    whole = param_part(inner[1][0])
    if whole is None or whole[1] is not None or literal(inner[1][1]) != "/":
        return None
    return whole[0], int(match[2])


def _format_parts(pattern: str, args: list[NamePart]) -> list[NamePart] | None:
    """The segments of `format(pattern, args)`; None when a parameter is only part of a segment, or the
    pattern is not one ARM formats offline (.NET composite formatting: `{{` and `}}` are braces)."""
    tokens: list[NamePart] = []
    pos = 0
    for match in _FORMAT_ITEM.finditer(pattern):
        if match.start() > pos:
            tokens.append(pattern[pos : match.start()])
        if match[0] in ("{{", "}}"):
            tokens.append(match[0][0])
        elif match[1] is not None and int(match[1]) < len(args):
            tokens.append(args[int(match[1])])
        else:
            return None  # beyond the arguments, a lone brace, an alignment or a format string
        pos = match.end()
    if pos < len(pattern):
        tokens.append(pattern[pos:])
    segments: list[NamePart] = []
    text = ""  # the literal text of the segment being read
    after_parameter = False
    for token in tokens:
        if not isinstance(token, str):
            if text or after_parameter:
                return None
            segments.append(token)
            after_parameter = True
            continue
        if after_parameter:
            if not token.startswith("/"):
                return None
            token = token[1:]
            after_parameter = False
        *done, text = (text + token).split("/")
        segments += done
    if not after_parameter:
        segments.append(text)
    return segments


@lru_cache(maxsize=1 << 16)
def _name_parts(value: str) -> tuple[NamePart, ...] | None:
    if not is_expression(value):
        return tuple(plain(value).split("/"))
    body = value[1:-1].strip()
    if (whole := param_part(body)) is not None:
        return (whole,)
    call = split_call(body)
    if call is None or call[0].lower() != "format" or not call[1]:
        return None
    pattern = literal(call[1][0])
    args: list[NamePart] = []
    for arg in call[1][1:]:
        text = literal(arg)
        part = text if text is not None else param_part(arg)
        if part is None:
            return None
        args.append(part)
    parts = _format_parts(pattern, args) if pattern is not None else None
    return tuple(parts) if parts is not None else None


def name_parts(value: Any) -> list[NamePart] | None:
    """A JSON string as name parts, literals split at `/`: a literal, `[parameters('x')]`, or
    `[format(...)]` of literals and parameters (whole, or split at `/`); None for other expressions.
    Cached: the templates of a tree repeat the same names in every identity's nested deployment."""
    parts = _name_parts(value) if isinstance(value, str) else None
    return list(parts) if parts is not None else None


def name_key(resource_type: str, value: Any) -> NameKey | None:
    """A resource's name as a name key: one part per name segment of its type."""
    parts = name_parts(value)
    return tuple(normal_name(parts, name_segments(resource_type))) if parts is not None else None


def static_name(value: Any) -> str | None:
    """A name ARM knows before deployment: a literal, or format() of literals; else None."""
    parts = name_parts(value)
    if parts is None or not all(isinstance(p, str) for p in parts):
        return None
    return "/".join(parts)  # type: ignore[arg-type]


def relative_scope_key(value: Any) -> tuple[str, NameKey] | None:
    """`Microsoft.KeyVault/vaults/kv` or `[format('Microsoft.KeyVault/vaults/{0}', parameters('x'))]`
    -> (lower-case resource type, name key)."""
    parts = name_parts(value)
    if parts is None or len(parts) < 3 or len(parts) % 2 == 0:
        return None
    types = [parts[0], *parts[1::2]]
    if not all(isinstance(t, str) and t for t in types):
        return None
    names = parts[2::2]
    return "/".join(map(str, types)).lower(), tuple(normal_name(names, len(names)))


def deployment_name_key(value: Any) -> str:
    """A nested deployment's name, comparable with `bicep_file.bicep_name_key`: the literal name, or the
    expression (an ARM `format(...)` of a name computed at deployment) without white space."""
    if not isinstance(value, str):
        return str(value)
    if not is_expression(value):
        return plain(value)
    return compact(value)


# -- dependencies --------------------------------------------------------------------------------
@lru_cache(maxsize=1 << 16)
def dependency_key(entry: str) -> DepKey | str | None:
    """What a dependsOn entry names: (type, name) of `resourceId(...)` of literals or
    `extensionResourceId(<scope>, 'T', 'a')`, a bare name as it is, or None when it cannot be read."""
    if not is_expression(entry):
        return entry
    call = split_call(entry[1:-1])
    if not call:
        return None
    function, args = call[0].lower(), call[1]
    if function == "resourceid":
        values = [literal(a) for a in args]
        types = [i for i, v in enumerate(values) if v and "/" in v and "." in v.split("/")[0]]
        if not types or any(v is None for v in values[types[0] :]):
            return None
        return values[types[0]].lower(), "/".join(values[types[0] + 1 :])  # type: ignore[union-attr,arg-type]
    if function == "extensionresourceid" and len(args) == 3:
        rtype, name = literal(args[1]), literal(args[2])
        if rtype and name:
            return rtype.lower(), name
    return None


def dependency_keys(entries: tuple[Any, ...]) -> frozenset[DepKey]:
    """The dependencies of a resource as keys; one that cannot be read is ("?", the entry)."""
    out = set()
    for entry in entries:
        if isinstance(entry, str):
            key = dependency_key(entry)
            out.add(key if isinstance(key, tuple) else ("?", entry))
    return frozenset(out)
