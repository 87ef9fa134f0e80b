"""Indented JSON text for plain data, written directly: the text of `emit.artifact.canonical_json`.

The plain equivalent it must match: `canonical_json`, that is `json.dumps(value, indent=2,
ensure_ascii=False) + "\\n"`. It exists for speed: with an indent, `json.dumps` runs its pure-Python
encoder, one generator per container; here one recursive writer collects the parts and joins them
once. Strings go through the encoder function `json.dumps` itself uses for `ensure_ascii=False` (the C
one when present), numbers through the same `repr`s. Proven by tests/fast/test_serialise.py (property
tests against `canonical_json`, examples, and what is left to `json.dumps`).

Values of any type but dict (string keys), list, str, int, float, bool and None raise `Unsupported`,
as does nesting beyond the recursion limit (or a cycle); `dump_or` then hands the value to the
canonical writer.
"""

from __future__ import annotations

from collections.abc import Callable
from json.encoder import encode_basestring
from typing import Any

_encode = encode_basestring  # what json.dumps uses when ensure_ascii is False
_int = int.__repr__
_float = float.__repr__


class Unsupported(Exception):
    """The value holds something this writer leaves to `json.dumps`."""


def dump_or(value: Any, canonical: Callable[[Any], str]) -> str:
    """`canonical(value)`, the text of the canonical writer: written here where this module reproduces
    it, by `canonical` itself for the rest."""
    try:
        return dump(value)
    except Unsupported:
        return canonical(value)


def _float_text(value: float) -> str:
    if value != value:
        return "NaN"
    if value == float("inf"):
        return "Infinity"
    if value == float("-inf"):
        return "-Infinity"
    return _float(value)


def dump(value: Any) -> str:
    """`json.dumps(value, indent=2, ensure_ascii=False)` plus a final newline."""
    parts: list[str] = []
    try:
        _value(value, "\n", parts)
    except RecursionError:
        raise Unsupported("nesting deeper than the recursion limit, or a cycle") from None
    parts.append("\n")
    return "".join(parts)


def _value(value: Any, indent: str, parts: list[str]) -> None:
    kind = type(value)
    if kind is dict:
        if value:
            _object(value, indent, parts)
        else:
            parts.append("{}")
    elif kind is list:
        if value:
            _array(value, indent, parts)
        else:
            parts.append("[]")
    else:
        parts.append(_scalar(value))


def _scalar(value: Any) -> str:
    kind = type(value)
    if kind is str:
        return _encode(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if kind is int:
        return _int(value)
    if kind is float:
        return _float_text(value)
    raise Unsupported(f"a value of type {kind.__name__}")


def _object(value: dict[Any, Any], indent: str, parts: list[str]) -> None:
    """A non-empty object; `indent` is the line start of the object itself."""
    append = parts.append
    encode = _encode
    inner = indent + "  "
    separator = "," + inner
    lead = "{" + inner
    for key, item in value.items():
        if type(key) is not str:
            raise Unsupported("an object key that is not a string")
        kind = type(item)
        if kind is str:
            append(lead + encode(key) + ": " + encode(item))
        elif kind is dict:
            append(lead + encode(key) + ": ")
            if item:
                _object(item, inner, parts)
            else:
                append("{}")
        elif kind is list:
            append(lead + encode(key) + ": ")
            if item:
                _array(item, inner, parts)
            else:
                append("[]")
        else:
            append(lead + encode(key) + ": " + _scalar(item))
        lead = separator
    append(indent + "}")


def _array(value: list[Any], indent: str, parts: list[str]) -> None:
    """A non-empty array; `indent` is the line start of the array itself."""
    append = parts.append
    encode = _encode
    inner = indent + "  "
    separator = "," + inner
    lead = "[" + inner
    for item in value:
        kind = type(item)
        if kind is str:
            append(lead + encode(item))
        elif kind is dict:
            append(lead)
            if item:
                _object(item, inner, parts)
            else:
                append("{}")
        elif kind is list:
            append(lead)
            if item:
                _array(item, inner, parts)
            else:
                append("[]")
        else:
            append(lead + _scalar(item))
        lead = separator
    append(indent + "]")
