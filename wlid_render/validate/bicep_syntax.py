"""The Bicep syntax reader: tree-sitter-bicep parses a file; this module finds its syntax problems and
reads the values of its nodes.

Values are read stricter than the grammar: a string with interpolation or an unknown escape, or any
other expression, is not a literal (NotALiteral). tree-sitter is imported on first use; the Language
and Parser are built once per process.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

Node = Any  # tree_sitter.Node


class BicepUnavailable(RuntimeError):
    """tree-sitter or tree-sitter-bicep is not installed."""


class NotALiteral(ValueError):
    """A node is not a literal this module can read (interpolation, expression, unknown escape...)."""


@cache
def parser() -> Any:
    try:
        import tree_sitter
        import tree_sitter_bicep
    except ImportError as exc:
        raise BicepUnavailable(f"tree-sitter-bicep is not installed ({exc})") from None
    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_bicep.language()))


def parse(text: str) -> Node:
    return parser().parse(text.encode("utf-8")).root_node


def bicepparam_as_bicep(text: str) -> str:
    """tree-sitter-bicep has no `.bicepparam` grammar and rejects `param x = v` (no type).

    Read such a line as `var x = v`: `using` is part of the grammar and values are ordinary Bicep
    expressions. `param` becomes `var` and two spaces, so lines and columns stay where they were.
    """
    return re.sub(r"(?m)^param(\s+\w+\s*=)", r"var  \1", text)


# -- syntax ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SyntaxProblem:
    line: int  # 1-based
    column: int  # 1-based, in characters
    missing: str | None  # the token tree-sitter had to insert (MISSING node), else None (ERROR node)
    snippet: str  # the start of the text the parser could not place
    further: int = 0  # ERROR/MISSING nodes after this one

    def describe(self) -> str:
        what = f"MISSING {self.missing}" if self.missing is not None else "ERROR"
        return f"line {self.line}: {what} at {self.snippet!r}"


def _problem_nodes(root: Node) -> list[Node]:
    """ERROR and MISSING nodes in document order, without descending into an ERROR node."""
    out: list[Node] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "ERROR" or node.is_missing:
            out.append(node)
        elif node.has_error:
            stack.extend(reversed(node.children))
    return out


def _column(source: bytes, node: Node) -> int:
    line_start = node.start_byte - node.start_point[1]
    return len(source[line_start : node.start_byte].decode("utf-8", "replace")) + 1


def syntax_problems(root: Node) -> list[SyntaxProblem]:
    source = root.text
    nodes = _problem_nodes(root)
    out = []
    for index, node in enumerate(nodes):
        text = node.text.decode("utf-8", "replace")
        out.append(
            SyntaxProblem(
                line=node.start_point[0] + 1,
                column=_column(source, node),
                missing=node.type if node.is_missing else None,
                snippet=text.split("\n", 1)[0][:40],
                further=len(nodes) - index - 1,
            )
        )
    return out


def first_syntax_problem(text: str) -> SyntaxProblem | None:
    problems = syntax_problems(parse(text))
    return problems[0] if problems else None


# -- reading nodes ---------------------------------------------------------------------------------
def named(node: Node) -> list[Node]:
    return [c for c in node.children if c.is_named and c.type not in ("comment", "diagnostic_comment")]


def source(node: Node) -> str:
    return node.text.decode("utf-8", "replace")


# A Bicep escape, or white space that tree-sitter-bicep skips as an extra at the start of a segment.
_ESCAPE = re.compile(r"\\(?:(?P<simple>['\\nrt$])|u\{(?P<hex>[0-9A-Fa-f]{1,6})\})|(?P<space>[^\S\n\r])")


_SIMPLE = {"'": "'", "\\": "\\", "n": "\n", "r": "\r", "t": "\t", "$": "$"}


_INTERPOLATION = re.compile(r"(?<!\\)(?:\\\\)*\$\{")


_PLAIN_BREAKERS = (b"\\", b"${", b"\n", b"\r")  # a string without these is its text between the quotes


def decode_escapes(raw: str) -> str:
    """Decode text made only of Bicep escapes (and skipped white space); `\\a`, `\\x41`... fail."""
    out, pos = [], 0
    for match in _ESCAPE.finditer(raw):
        if match.start() != pos:
            raise NotALiteral(f"not a Bicep escape: {raw[pos:]!r}")
        if match["space"]:
            out.append(match["space"])
        elif match["simple"]:
            out.append(_SIMPLE[match["simple"]])
        else:
            code = int(match["hex"], 16)
            if code > 0x10FFFF:
                raise NotALiteral(f"code point out of range: {raw!r}")
            out.append(chr(code))
        pos = match.end()
    if pos != len(raw):
        raise NotALiteral(f"not a Bicep escape: {raw[pos:]!r}")
    return "".join(out)


def _plain(node: Node) -> bool:
    """A string that is one content segment between its quotes, without escapes or line breaks."""
    children = node.children
    if len(children) != 3 or children[1].type != "string_content":
        return False
    text = node.text
    return children[1].end_byte - children[1].start_byte == len(text) - 2 and not any(
        c in text for c in _PLAIN_BREAKERS
    )


def decode_string(node: Node) -> str:
    """The value of a single-quoted Bicep string without interpolation. Stricter than the grammar."""
    if node.type != "string":
        raise NotALiteral(f"{node.type} is not a string: {source(node)!r}")
    text = node.text
    children = node.children
    if text[:1] != b"'" or text[:3] == b"'''" or children[0].type != "'" or children[-1].type != "'":
        raise NotALiteral(f"not a single-quoted string: {text!r}")
    if _plain(node):  # the common case: one segment, no escape, no interpolation
        return text[1:-1].decode("utf-8")
    if _INTERPOLATION.search(text.decode("utf-8", "replace")):
        raise NotALiteral(f"interpolation in {text!r}")
    out: list[str] = []
    pos = node.start_byte + 1
    for child in children[1:-1]:
        gap = text[pos - node.start_byte : child.start_byte - node.start_byte]
        out.append(decode_escapes(gap.decode("utf-8")))  # escapes the grammar keeps anonymous, e.g. \$
        part = child.text.decode("utf-8")
        if child.type == "string_content":
            if set(part) & {"\n", "\r", "\\"}:
                raise NotALiteral(f"raw line break or backslash in {text!r}")
            out.append(part)
        elif child.type == "escape_sequence":
            out.append(decode_escapes(part))
        else:
            raise NotALiteral(f"{child.type} in string {text!r}")
        pos = child.end_byte
    out.append(decode_escapes(text[pos - node.start_byte : -1].decode("utf-8")))
    return "".join(out)


def literal(node: Node) -> str | bool | int | None:
    """A string, bool, integer or null literal."""
    if node.type == "string":
        return decode_string(node)
    if node.type == "boolean":
        return node.text == b"true"
    if node.type == "number":
        return int(node.text)
    if node.type == "null":
        return None
    raise NotALiteral(f"not a literal: {node.type} {source(node)!r}")


def properties(obj: Node) -> dict[str, Node]:
    """Key -> value node of a Bicep object (the object of `if (...) {...}` too)."""
    if obj.type == "if_statement":
        obj = named(obj)[-1]
    if obj.type != "object":
        raise NotALiteral(f"not an object: {obj.type}")
    out = {}
    for prop in named(obj):
        parts = named(prop)
        if prop.type != "object_property" or len(parts) < 2:
            continue
        key = parts[0]
        out[decode_string(key) if key.type == "string" else source(key)] = parts[-1]
    return out


def call_parts(node: Node) -> tuple[str, list[Node]]:
    if node.type != "call_expression":
        raise NotALiteral(f"not a call: {node.type} {source(node)!r}")
    parts = named(node)
    if len(parts) != 2:
        raise NotALiteral(f"unexpected call: {source(node)!r}")
    return source(parts[0]), named(parts[1])


def unwrap(node: Node) -> Node:
    """The expression inside parentheses: `((a))` -> `a`."""
    while node.type == "parenthesized_expression" and len(named(node)) == 1:
        node = named(node)[0]
    return node
