"""Block-style YAML text for plain data, written directly: the bytes of `emit.artifact.canonical_yaml`.

The plain equivalent it must match: `canonical_yaml`, that is `yaml.dump(value, Dumper=CSafeDumper,
sort_keys=False, default_flow_style=False, allow_unicode=True, width=1_000_000)` with the string
representer of `emit.artifact` (strings that `yaml_scalars.reads_as_non_string` single-quoted). It
exists for speed: PyYAML's representer and emitter take most of a large render's time. Proven by
tests/fast/test_serialise.py (property tests against `canonical_yaml`, every awkward string in every
place, and what is left to PyYAML).

`dump` writes dicts with string keys, lists, strings, ints, floats, bools and None the way
`canonical_yaml` does: block collections, indentless sequences under mapping keys, `{}` and `[]` for
empty collections, and for every string the style libyaml's emitter would pick (plain, single-quoted
or double-quoted with escapes).

What this writer does not reproduce raises `Unsupported`, and `dump_or` hands that value to the
canonical writer instead: a root that is not a collection, a collection that appears twice (PyYAML
writes an anchor and an alias), a key that is not a short one-line string, a string spanning lines
that can be single-quoted (its continuation lines depend on the indentation), a very long string (the
emitter may fold it), a lone surrogate, and every type other than the ones above. Without libyaml
(PyYAML's pure-Python emitter writes some strings differently) every value goes to the canonical
writer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Any, NamedTuple

import yaml

from wlid_render.yaml_scalars import FLOAT_TAG, implicit_tag, reads_as_non_string

# This writer reproduces libyaml's emitter, which the canonical writer uses when PyYAML has it.
LIBYAML: bool = yaml.__with_libyaml__


class Unsupported(Exception):
    """The value holds something this writer does not reproduce byte for byte."""


def dump_or(value: Any, canonical: Callable[[Any], str]) -> str:
    """`canonical(value)`, the text of the canonical writer: written here where this module reproduces
    it byte for byte, by `canonical` itself for the rest."""
    if LIBYAML:
        try:
            return dump(value)
        except Unsupported:
            pass
    return canonical(value)


# Longest string written here. libyaml folds a scalar at a space once the line passes the width
# (1,000,000 columns); an escaped character takes at most 10 columns, so shorter strings never fold.
MAX_STRING = 50_000
# libyaml writes a key as a simple key (`key: value`) only up to 128 bytes of UTF-8.
MAX_KEY_BYTES = 128

# Strings that are plain unless a YAML reader takes them for another type: printable ASCII, not
# starting with an indicator, no `: `, ` #` or two spaces, no space at either end, no `:` at the end.
# Whatever this does not match takes the full analysis in `string_text`.
_PLAIN_CANDIDATE = re.compile(
    r"[A-Za-z0-9_/$(=^~<](?:[A-Za-z0-9_./$(){}\[\]\-+=@,;~^%&*!|<>?'\"`#]|:(?! |$)| (?![ #]|$))*"
)

_LINE_BREAK = re.compile("[\n\r\x85\u2028\u2029]")
# What keeps a one-line printable string from being a plain scalar in block context.
_BLOCK_INDICATOR = re.compile(r"""---|\.\.\.|[#,\[\]{}&*!|>'"%@`]|[?:-](?: |$)|.*(?::(?: |$)| #)""", re.S)

_ESCAPES = {
    "\x00": "\\0",
    "\x07": "\\a",
    "\x08": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\x0b": "\\v",
    "\x0c": "\\f",
    "\r": "\\r",
    "\x1b": "\\e",
    '"': '\\"',
    "\\": "\\\\",
    "\x85": "\\N",
    "\u2028": "\\L",
    "\u2029": "\\P",
}


class _Unusual(NamedTuple):
    """Patterns for strings that are not printable ASCII, compiled when the first one comes (their
    character ranges take about a millisecond to compile, and most specs never need them)."""

    # Characters libyaml does not count as printable. With `allow_unicode` it counts LF, ASCII
    # 0x20-0x7E, 0xA0-0xD7FF and 0xE000-0xFFFD but the byte-order mark; nothing beyond the BMP. A string
    # holding any other character is double-quoted, with escapes.
    not_printable: re.Pattern[str]
    surrogate: re.Pattern[str]
    space_around_break: re.Pattern[str]
    # Escaped in double quotes: what is not printable, line breaks (LF is printable, the Unicode line
    # and paragraph separators too), the quote and the backslash.
    double_quoted_escape: re.Pattern[str]


@cache
def _unusual() -> _Unusual:
    return _Unusual(
        not_printable=re.compile(
            "[\x00-\x09\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufeff\ufffe\uffff\U00010000-\U0010ffff]"
        ),
        surrogate=re.compile("[\ud800-\udfff]"),
        space_around_break=re.compile("[\n\r\x85\u2028\u2029] | [\n\r\x85\u2028\u2029]"),
        double_quoted_escape=re.compile(
            '[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufeff\ufffe\uffff\U00010000-\U0010ffff"\\\\\u2028\u2029]'
        ),
    )


# Rendered text of strings seen before; cleared when it grows past _CACHE_LIMIT entries.
_scalars: dict[str, str] = {}
_keys: dict[str, str] = {}
_CACHE_LIMIT = 100_000
_CACHED_LENGTH = 256


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    escaped = _ESCAPES.get(char)
    if escaped is not None:
        return escaped
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02X}"
    if code <= 0xFFFF:
        return f"\\u{code:04X}"
    return f"\\U{code:08X}"


def _double_quoted(value: str) -> str:
    return '"' + _unusual().double_quoted_escape.sub(_escape, value) + '"'


def _single_quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def string_text(value: str) -> str:
    """A string as libyaml writes it in block context: plain, single-quoted or double-quoted."""
    if len(value) > MAX_STRING:
        raise Unsupported("a very long string")
    if _PLAIN_CANDIDATE.fullmatch(value):
        if reads_as_non_string(value):
            return _single_quoted(value)
        return value
    if not (value.isascii() and value.isprintable()):  # else no character needs escapes or breaks a line
        unusual = _unusual()
        if unusual.not_printable.search(value) or unusual.space_around_break.search(value):
            if unusual.surrogate.search(value):
                raise Unsupported("a lone surrogate cannot be written as UTF-8")
            return _double_quoted(value)
        if _LINE_BREAK.search(value):
            raise Unsupported("a single-quoted string spanning lines")
    if (
        not value
        or value[0] == " "
        or value[-1] == " "
        or _BLOCK_INDICATOR.match(value)
        or reads_as_non_string(value)
    ):
        return _single_quoted(value)
    return value


def _string(value: str) -> str:
    text = _scalars.get(value)
    if text is None:
        text = string_text(value)
        if len(value) <= _CACHED_LENGTH:
            if len(_scalars) >= _CACHE_LIMIT:
                _scalars.clear()
            _scalars[value] = text
    return text


def _key(value: Any) -> str:
    """`key:` for a simple key; anything else is written by PyYAML."""
    if type(value) is not str:
        raise Unsupported("a mapping key that is not a string")
    if (len(value) > MAX_KEY_BYTES // 4 and len(value.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES) or (
        _LINE_BREAK.search(value)
    ):
        raise Unsupported("a key libyaml writes as a complex key")
    text = _string(value) + ":"
    if len(_keys) >= _CACHE_LIMIT:
        _keys.clear()
    _keys[value] = text
    return text


def _float_text(value: float) -> str:
    """SafeRepresenter.represent_float, checked to read back as a float without a tag."""
    if value != value:
        text = ".nan"
    elif value == float("inf"):
        text = ".inf"
    elif value == float("-inf"):
        text = "-.inf"
    else:
        text = repr(value).lower()
        if "." not in text and "e" in text:
            text = text.replace("e", ".0e", 1)
    if implicit_tag(text) != FLOAT_TAG:
        raise Unsupported("a float PyYAML writes with a tag")
    return text


def _scalar(value: Any) -> str:
    kind = type(value)
    if kind is str:
        return _string(value)
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return repr(value)
    if value is None:
        return "null"
    if kind is float:
        return _float_text(value)
    raise Unsupported(f"a value of type {kind.__name__}")


def dump(value: Any) -> str:
    """One YAML document: the text of `canonical_yaml`, final newline included; or `Unsupported`."""
    out: list[str] = []
    seen: set[int] = set()
    kind = type(value)
    if kind is dict:
        if not value:
            return "{}\n"
        _mapping(value, "\n", out, seen)
    elif kind is list:
        if not value:
            return "[]\n"
        _sequence(value, "\n", out, seen)
    else:
        raise Unsupported("a root that is not a collection")
    out.append("\n")
    return "".join(out)


def _mapping(value: dict[Any, Any], indent: str, out: list[str], seen: set[int]) -> None:
    """Write a non-empty mapping whose first key goes where the output ends; `indent` starts a line."""
    if id(value) in seen:
        raise Unsupported("a collection that appears twice (PyYAML writes an alias)")
    seen.add(id(value))
    append = out.append
    keys = _keys
    scalars = _scalars
    first = True
    for key, item in value.items():
        if first:
            first = False
        else:
            append(indent)
        text = keys.get(key) if type(key) is str else None
        append(text if text is not None else _key(key))
        kind = type(item)
        if kind is str:
            text = scalars.get(item)
            append(" ")
            append(text if text is not None else _string(item))
        elif kind is dict:
            if item:
                inner = indent + "  "
                append(inner)
                _mapping(item, inner, out, seen)
            else:
                append(_empty(item, " {}", seen))
        elif kind is list:
            if item:
                append(indent)
                _sequence(item, indent, out, seen)
            else:
                append(_empty(item, " []", seen))
        else:
            append(" ")
            append(_scalar(item))


def _empty(item: Any, text: str, seen: set[int]) -> str:
    """`text` for an empty collection, once: PyYAML writes an alias for one that appears again."""
    if id(item) in seen:
        raise Unsupported("a collection that appears twice (PyYAML writes an alias)")
    seen.add(id(item))
    return text


def _sequence(value: list[Any], indent: str, out: list[str], seen: set[int]) -> None:
    """Write a non-empty sequence whose first `-` goes where the output ends; `indent` starts a line."""
    if id(value) in seen:
        raise Unsupported("a collection that appears twice (PyYAML writes an alias)")
    seen.add(id(value))
    append = out.append
    scalars = _scalars
    inner = indent + "  "
    first = True
    for item in value:
        if first:
            first = False
        else:
            append(indent)
        kind = type(item)
        if kind is str:
            text = scalars.get(item)
            append("- ")
            append(text if text is not None else _string(item))
        elif kind is dict:
            if item:
                append("- ")
                _mapping(item, inner, out, seen)
            else:
                append(_empty(item, "- {}", seen))
        elif kind is list:
            if item:
                append("- ")
                _sequence(item, inner, out, seen)
            else:
                append(_empty(item, "- []", seen))
        else:
            append("- ")
            append(_scalar(item))
