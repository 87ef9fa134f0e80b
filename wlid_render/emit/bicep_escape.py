"""Turning plan values into Bicep source text: string literals, identifiers, JSON-like scalars.

Every filter returns a `BicepText`; the Bicep template environment refuses any other value in a
`{{ }}` expression (see `require_bicep_text`), so a value cannot reach a template unescaped.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any, NamedTuple

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*", re.ASCII)
_SIMPLE_ESCAPES = {"\\": "\\\\", "'": "\\'", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
# Characters written as \u{XX}: C0 and C1 controls, DEL, and the Unicode line and paragraph separators,
# which some editors and diff tools treat as line breaks.
_ESCAPED_CODE_POINTS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SURROGATE = re.compile("[\ud800-\udfff]")
# What is not written as itself: a value without any of it is its own literal body. `$` and `/` only
# matter as `${`, `//` and `/*`.
_SPECIAL = re.compile("[\\\\'\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]|\\$\\{|/[/*]")


class BicepText(str):
    """Text that is already valid Bicep source: the output of one of the filters below."""

    __slots__ = ()


class UnescapedValueError(TypeError):
    """A template wrote a value into Bicep text without passing it through a Bicep filter."""


def _escape_char(char: str) -> str:
    simple = _SIMPLE_ESCAPES.get(char)
    if simple is not None:
        return simple
    if _ESCAPED_CODE_POINTS.fullmatch(char):
        return "\\u{" + format(ord(char), "02X") + "}"
    return char


def bicep_string(value: str) -> BicepText:
    """A single-quoted Bicep string literal whose value is exactly `value` (no interpolation)."""
    if not isinstance(value, str):
        raise TypeError(f"bicep_string expects a str, got {type(value).__name__}: {value!r}")
    if not _SPECIAL.search(value):  # the common case: every character stands for itself
        return BicepText("'" + value + "'")
    if _SURROGATE.search(value):
        raise ValueError(f"{value!r} holds a lone surrogate, which a UTF-8 Bicep file cannot carry")
    return BicepText("'" + escaped_body(value) + "'")


@lru_cache(maxsize=4096)  # values repeat: every federated credential has the same audience URL
def escaped_body(value: str) -> str:
    """The text between the quotes of the literal of `value`, character by character."""
    out: list[str] = []
    # tree-sitter-bicep starts a new token at the start of the literal, after an escape, after `$`, and
    # after `#` or white space that open a segment; there it reads `//` or `/*` as a comment.
    segment_start = True
    for i, char in enumerate(value):
        following = value[i + 1 : i + 2]
        if char == "$" and following == "{":
            piece = "\\$"  # `${` would start an interpolation
        elif char == "/" and segment_start and following in ("/", "*"):
            piece = "\\u{2F}"  # the same value for Bicep, no comment for tree-sitter (editors, tests)
        else:
            piece = _escape_char(char)
        segment_start = piece != char or char == "$" or (segment_start and (char == "#" or char.isspace()))
        out.append(piece)
    return "".join(out)


class Format(NamedTuple):
    """A string made of literal text and expressions, as ARM's format(): `{0}`... stand for `args`."""

    pattern: str
    args: tuple[str, ...]  # Bicep identifiers, or expressions of TRUSTED_EXPRESSIONS


# Expressions a Format may hold besides identifiers: written by wlid's own code, never from a spec.
TRUSTED_EXPRESSIONS = frozenset({"uniqueString(resourceGroup().id)"})
_HOLE = re.compile(r"\{(\d+)\}")


def bicep_format(value: Format) -> BicepText:
    """An interpolated Bicep string `'text${arg}text'` with the value of ARM's format(pattern, args...).

    Literal text is escaped as in `bicep_string` (a `${` in it is escaped); each `{i}` becomes
    `${args[i]}`. `bicep build` compiles the result back to `format('<pattern>', args...)`.
    """
    if not isinstance(value, Format):
        raise TypeError(f"bicep_format expects a Format, got {type(value).__name__}: {value!r}")
    for arg in value.args:
        if not _IDENTIFIER.fullmatch(arg) and arg not in TRUSTED_EXPRESSIONS:
            raise ValueError(f"{arg!r} is neither a Bicep identifier nor a trusted expression")
    out: list[str] = []
    pos = 0
    for match in _HOLE.finditer(value.pattern):
        out.append(escaped_body(value.pattern[pos : match.start()]))
        out.append("${" + value.args[int(match[1])] + "}")
        pos = match.end()
    out.append(escaped_body(value.pattern[pos:]))
    return BicepText("'" + "".join(out) + "'")


def bicep_ident(value: str) -> BicepText:
    """A Bicep symbol name; raises ValueError for anything but [A-Za-z_][A-Za-z0-9_]*."""
    if not isinstance(value, str) or not _IDENTIFIER.fullmatch(value):
        raise ValueError(f"{value!r} is not a valid Bicep identifier ([A-Za-z_][A-Za-z0-9_]*)")
    return BicepText(value)


def bicep_key(value: str) -> BicepText:
    """An object property name: bare when it is an identifier (as the Bicep linter prefers), else quoted."""
    if isinstance(value, str) and _IDENTIFIER.fullmatch(value):
        return BicepText(value)
    return bicep_string(value)


def bicep_json(value: bool | int | None) -> BicepText:
    """A bool, int or null literal. Strings take `bicep_string`; Bicep has no floating point numbers."""
    if value is None:
        return BicepText("null")
    if isinstance(value, bool):
        return BicepText("true" if value else "false")
    if isinstance(value, int):
        return BicepText(str(value))
    raise TypeError(f"bicep_json takes bool, int or None, got {type(value).__name__}: {value!r}")


def bicep_value(value: str | bool | int | None) -> BicepText:
    """A scalar of any supported type: strings as `bicep_string`, the rest as `bicep_json`."""
    if isinstance(value, str):
        return bicep_string(value)
    return bicep_json(value)


def bicep_ref(value: Any) -> BicepText:
    """A plan Value: the parameter's symbol when it differs between environments, else a string literal."""
    name = getattr(value, "name", None)
    if name is not None and not isinstance(value, str):
        return bicep_ident(name)
    return bicep_string(value)


FILTERS: dict[str, Callable[[Any], BicepText]] = {
    "bicep_ref": bicep_ref,
    "bicep_string": bicep_string,
    "bicep_ident": bicep_ident,
    "bicep_key": bicep_key,
    "bicep_json": bicep_json,
    "bicep_value": bicep_value,
    "bicep_format": bicep_format,
}


def require_bicep_text(value: Any) -> BicepText:
    """Jinja `finalize`: let only filter output into the rendered text."""
    if isinstance(value, BicepText):
        return value
    raise UnescapedValueError(
        f"a template expression produced {value!r} ({type(value).__name__}) without a Bicep filter; "
        f"write it through one of: {', '.join(FILTERS)}"
    )
