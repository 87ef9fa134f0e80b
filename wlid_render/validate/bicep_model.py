"""What `validate.bicep` compares: Bicep files read with tree-sitter-bicep (syntax problems, declarations)
and the same facts read from an ARM template.

tree-sitter is imported on first use; the Language and Parser are built once per process.
"""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from wlid_render.validate.arm_expressions import is_expression, split_call
from wlid_render.validate.arm_expressions import literal as arm_literal

Node = Any  # tree_sitter.Node
ScopeArg = tuple[str, str]  # ("literal", value), ("param", parameter name) or ("expr", source text)
ValueKey = tuple[Any, ...]  # see bicep_value / arm_value


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


# -- declarations ----------------------------------------------------------------------------------
@dataclass
class Decl:
    kind: str  # resource, module, param, output, var
    symbol: str
    type_or_path: str  # resource `type@api`, module path, param/output type; "" for var
    existing: bool
    body: Node  # the value, the object (or if statement) of a resource/module, or the type of a param
    decorators: list[Node]
    line: int


_KINDS = {
    "resource_declaration": "resource",
    "module_declaration": "module",
    "parameter_declaration": "param",
    "output_declaration": "output",
    "variable_declaration": "var",
}


def declarations(root: Node) -> list[Decl]:
    out: list[Decl] = []
    pending: list[Node] = []
    for node in named(root):
        if node.type == "decorators":
            pending = named(node)
            continue
        kind = _KINDS.get(node.type)
        parts = named(node)
        if kind is not None and len(parts) >= 2:
            if kind in ("resource", "module"):
                try:
                    type_or_path = decode_string(parts[1])
                except NotALiteral:
                    type_or_path = source(parts[1])
            else:
                type_or_path = "" if kind == "var" else source(parts[1])
            existing = any(c.type == "existing" for c in node.children)
            line = node.start_point[0] + 1
            out.append(Decl(kind, source(parts[0]), type_or_path, existing, parts[-1], pending, line))
        pending = []
    return out


def target_scope(root: Node) -> str:
    for node in named(root):
        if node.type == "target_scope_assignment":
            try:
                return str(decode_string(named(node)[0]))
            except NotALiteral:
                return source(named(node)[0])
    return "resourceGroup"


# -- the model -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Scope:
    function: str  # resourceGroup, subscription...
    args: tuple[ScopeArg, ...]

    def __str__(self) -> str:
        shown = (repr(value) if kind == "literal" else value for kind, value in self.args)
        return f"{self.function}({', '.join(shown)})"


def scope_of(node: Node) -> Scope:
    try:
        function, args = call_parts(node)
    except NotALiteral:
        return Scope(source(node), ())
    values: list[ScopeArg] = []
    for arg in args:
        if arg.type == "identifier":  # a parameter, if the file declares it (see BicepFile.param)
            values.append(("param", source(arg)))
            continue
        try:
            values.append(("literal", decode_string(arg)))
        except NotALiteral:
            values.append(("expr", source(arg)))
    return Scope(function, tuple(values))


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    default: Node | None
    line: int


@dataclass(frozen=True)
class Resource:
    symbol: str
    type: str
    api_version: str
    existing: bool
    name: str | None  # the name when it is a string literal
    name_text: str  # the name as written
    parent: str | None  # symbol
    depends_on: tuple[str, ...]  # symbols (or the text of other expressions)
    props: dict[str, Node]
    line: int
    condition: Node | None = None  # the expression of `if (...)`, without parentheses


@dataclass(frozen=True)
class Module:
    symbol: str
    path: str  # as written, relative to the declaring file
    name: str | None
    name_text: str
    scope: Scope | None
    condition: str | None  # the expression of `if (...)`, without parentheses
    params: tuple[str, ...]
    line: int
    args: tuple[tuple[str, Node], ...] = ()  # param name -> value node, as passed
    depends_on: tuple[str, ...] = ()  # explicit dependsOn: symbols (or the text of other expressions)
    reads: tuple[str, ...] = ()  # the symbols its body reads (Bicep adds a dependency on each)
    condition_node: Node | None = None  # the expression of `if (...)`, without parentheses
    name_key: str = ""  # the deployment name as `deployment_name_key` reads the ARM side's


@dataclass(frozen=True)
class Output:
    name: str
    type: str
    line: int
    value: Node | None = None


@dataclass(frozen=True)
class BicepFile:
    target_scope: str
    params: tuple[Param, ...]
    resources: tuple[Resource, ...]
    modules: tuple[Module, ...]
    outputs: tuple[Output, ...]

    def resource(self, symbol: str) -> Resource | None:
        return next((r for r in self.resources if r.symbol == symbol), None)

    def module(self, symbol: str) -> Module | None:
        return next((m for m in self.modules if m.symbol == symbol), None)

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    def name_key(self, resource: Resource) -> NameKey | None:
        """The name of a resource (with its parents' for `parent:`) as parts: literals and parameters of
        this file; None when a name is another expression."""
        chain: list[Resource] = []  # the resource, its parent, its parent's parent...
        current: Resource | None = resource
        while current is not None:
            if current.symbol in {r.symbol for r in chain}:
                return None
            chain.append(current)
            if current.parent is None:
                break
            current = self.resource(current.parent)
            if current is None:
                return None
        parts: list[NamePart] = []
        for child in reversed(chain):
            node = child.props.get("name")
            if node is None:
                return None
            if node.type == "identifier" and self.param(source(node)) is not None:
                own: list[NamePart] = [(source(node), None)]
            else:
                try:
                    own = [decode_string(node)]
                except NotALiteral:
                    return None
            parent = self.resource(child.parent) if child.parent else None
            count = name_segments(child.type) - (name_segments(parent.type) if parent else 0)
            parts += normal_name(own, count)
        return tuple(parts)

    def full_name(self, resource: Resource) -> str | None:
        """`parent/child` for a child declared with `parent:`; None when a name is not a literal."""
        parts: list[str] = []
        seen: set[str] = set()
        current: Resource | None = resource
        while current is not None:
            if current.name is None or current.symbol in seen:
                return None
            seen.add(current.symbol)
            parts.append(current.name)
            if current.parent is None:
                return "/".join(reversed(parts))
            current = self.resource(current.parent)
        return None


def _name(props: dict[str, Node]) -> tuple[str | None, str]:
    node = props.get("name")
    if node is None:
        return None, ""
    try:
        return decode_string(node), source(node)
    except NotALiteral:
        return None, source(node)


def _symbols(node: Node | None) -> tuple[str, ...]:
    if node is None:
        return ()
    return tuple(source(n) for n in named(node)) if node.type == "array" else (source(node),)


def _props(body: Node) -> dict[str, Node]:
    try:
        return properties(body)
    except NotALiteral:
        return {}


def unwrap(node: Node) -> Node:
    """The expression inside parentheses: `((a))` -> `a`."""
    while node.type == "parenthesized_expression" and len(named(node)) == 1:
        node = named(node)[0]
    return node


def _condition_node(body: Node) -> Node | None:
    return unwrap(named(body)[0]) if body.type == "if_statement" else None


def _resource(decl: Decl) -> Resource:
    props = _props(decl.body)
    name, name_text = _name(props)
    type_, _, api = decl.type_or_path.partition("@")
    parent = source(props["parent"]) if "parent" in props else None
    depends = _symbols(props.get("dependsOn"))
    condition = _condition_node(decl.body)
    return Resource(
        decl.symbol, type_, api, decl.existing, name, name_text, parent, depends, props, decl.line, condition
    )


_SPACE = re.compile(r"\s+")
_TRIPLE_QUOTE = b"'" * 3


def deployment_name_key(value: Any) -> str:
    """A nested deployment's name, comparable with `bicep_name_key`: the literal name, or the
    expression (an ARM `format(...)` of a name computed at deployment) without white space."""
    if not isinstance(value, str):
        return str(value)
    if not is_expression(value):
        return arm_plain(value)
    return _SPACE.sub("", value)


def bicep_name_key(node: Node | None, params: set[str]) -> str:
    """As `deployment_name_key`, for a Bicep `name`: a literal, or an interpolated string read as the
    `format()` that `bicep build` compiles it to (each hole's text, `parameters('x')` for a parameter)."""
    if node is None:
        return ""
    try:
        return decode_string(node)
    except NotALiteral:
        pass
    if node.type != "string" or node.text[:1] != b"'" or node.text[:3] == _TRIPLE_QUOTE:
        return _SPACE.sub("", source(node))
    pattern: list[str] = []
    args: list[str] = []
    for child in node.children[1:-1]:
        text = child.text.decode("utf-8")
        if child.type == "interpolation":
            hole = named(child)[0] if named(child) else child
            arg = source(hole)
            args.append(f"parameters('{arg}')" if hole.type == "identifier" and arg in params else arg)
            pattern.append("{" + str(len(args) - 1) + "}")
        else:
            literal_text = decode_escapes(text) if child.type == "escape_sequence" else text
            pattern.append(literal_text.replace("{", "{{").replace("}", "}}"))
    quoted = "".join(pattern).replace("'", "''")
    return _SPACE.sub("", f"[format('{quoted}', {', '.join(args)})]")


def identifiers_read(node: Node) -> list[str]:
    """The identifiers an expression reads: not object keys, property names or function names."""
    out: list[str] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == "identifier":
            out.append(source(current))
            continue
        parts = named(current)
        if current.type in ("object_property", "call_expression") and parts:
            parts = parts[1:]  # the key; the function name
        stack.extend(reversed(parts))
    return out


def _module(decl: Decl, params: set[str]) -> Module:
    props = _props(decl.body)
    name, name_text = _name(props)
    scope = scope_of(props["scope"]) if "scope" in props else None
    condition = None
    if decl.body.type == "if_statement":
        condition = source(named(decl.body)[0]).strip().removeprefix("(").removesuffix(")").strip()
    args = tuple(_props(props["params"]).items()) if "params" in props else ()
    depends = _symbols(props.get("dependsOn"))
    reads = tuple(
        dict.fromkeys(
            symbol for key, value in props.items() if key != "dependsOn" for symbol in identifiers_read(value)
        )
    )
    if decl.body.type == "if_statement":
        reads = tuple(dict.fromkeys([*identifiers_read(named(decl.body)[0]), *reads]))
    return Module(
        decl.symbol,
        decl.type_or_path,
        name,
        name_text,
        scope,
        condition,
        tuple(k for k, _ in args),
        decl.line,
        args,
        depends,
        reads,
        _condition_node(decl.body),
        bicep_name_key(props.get("name"), params),
    )


def read_bicep(root: Node) -> BicepFile:
    decls = declarations(root)
    params = tuple(
        Param(d.symbol, d.type_or_path, None if d.body.type == "type" else d.body, d.line)
        for d in decls
        if d.kind == "param"
    )
    return BicepFile(
        target_scope=target_scope(root),
        params=params,
        resources=tuple(_resource(d) for d in decls if d.kind == "resource"),
        modules=tuple(_module(d, {p.name for p in params}) for d in decls if d.kind == "module"),
        outputs=tuple(Output(d.symbol, d.type_or_path, d.line, d.body) for d in decls if d.kind == "output"),
    )


# -- names that may read parameters ----------------------------------------------------------------
# A NamePart is a literal name segment, or a parameter: (name, None) for the whole value, (name, i) for
# `split(parameters(name), '/')[i]`. A NameKey holds one part per name segment of the resource type
# (`Microsoft.Storage/storageAccounts/blobServices`: two), as both sides write it once read.
ParamPart = tuple[str, int | None]
NamePart = str | ParamPart
NameKey = tuple[NamePart, ...]


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


_SPLIT_INDEX = re.compile(r"(split\(.*\))\s*\[\s*(\d+)\s*\]", re.DOTALL)


def arm_param_part(text: str) -> ParamPart | None:
    """`parameters('x')` -> ("x", None); `split(parameters('x'), '/')[1]` -> ("x", 1)."""
    text = text.strip()
    call = split_call(text)
    if call is not None:
        if call[0].lower() == "parameters" and len(call[1]) == 1:
            name = arm_literal(call[1][0])
            return (name, None) if name is not None else None
        return None
    match = _SPLIT_INDEX.fullmatch(text)
    inner = split_call(match[1]) if match else None
    if match is None or inner is None or inner[0].lower() != "split" or len(inner[1]) != 2:
        return None
    whole = arm_param_part(inner[1][0])
    if whole is None or whole[1] is not None or arm_literal(inner[1][1]) != "/":
        return None
    return whole[0], int(match[2])


def _format_parts(pattern: str, args: list[NamePart]) -> list[NamePart] | None:
    """The segments of `format(pattern, args)`; None when a parameter is only part of a segment."""
    tokens: list[NamePart] = []
    for piece in re.split(r"(\{\d+\})", pattern):
        if re.fullmatch(r"\{\d+\}", piece):
            index = int(piece[1:-1])
            if index >= len(args):
                return None
            tokens.append(args[index])
        elif piece:
            tokens.append(piece)
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


def arm_name_parts(value: Any) -> list[NamePart] | None:
    """A JSON string as name parts, literals split at `/`: a literal, `[parameters('x')]`, or
    `[format(...)]` of literals and parameters (whole, or split at `/`); None for other expressions."""
    if not isinstance(value, str):
        return None
    if not is_expression(value):
        return list(arm_plain(value).split("/"))
    body = value[1:-1].strip()
    if (whole := arm_param_part(body)) is not None:
        return [whole]
    call = split_call(body)
    if call is None or call[0].lower() != "format" or not call[1]:
        return None
    pattern = arm_literal(call[1][0])
    args: list[NamePart] = []
    for arg in call[1][1:]:
        text = arm_literal(arg)
        part = text if text is not None else arm_param_part(arg)
        if part is None:
            return None
        args.append(part)
    return _format_parts(pattern, args) if pattern is not None else None


def arm_name_key(resource_type: str, value: Any) -> NameKey | None:
    parts = arm_name_parts(value)
    return tuple(normal_name(parts, name_segments(resource_type))) if parts is not None else None


def arm_relative_scope(value: Any) -> tuple[str, NameKey] | None:
    """`Microsoft.KeyVault/vaults/kv` or `[format('Microsoft.KeyVault/vaults/{0}', parameters('x'))]`
    -> (lower-case resource type, name key)."""
    parts = arm_name_parts(value)
    if parts is None or len(parts) < 3 or len(parts) % 2 == 0:
        return None
    types = [parts[0], *parts[1::2]]
    if not all(isinstance(t, str) and t for t in types):
        return None
    names = parts[2::2]
    return "/".join(map(str, types)).lower(), tuple(normal_name(names, len(names)))


# -- values: what an expression reads, comparable across Bicep and ARM ----------------------------
# A ValueKey is ("literal", type name, value), ("param", name), ("property", lower-case resource type,
# full name, "a.b") for a property of a resource of the same file/template, ("output", deployment name,
# output name) for an output of a module/nested deployment, ("array", keys), ("object",) for `{}`, or
# ("if", condition, then, else) for `c ? a : b` / `if(c, a, b)`.
# Other expressions have no key: they cannot be compared offline.
def _literal_key(value: Any) -> ValueKey:
    return ("literal", type(value).__name__, value)


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
    by `validate.bicep.compare_output_reads`."""
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
            return _literal_key(literal(node))
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
    if call is None or len(call[1]) != 2 or arm_literal(call[1][1]) is None:
        return None
    target = split_call(call[1][0])
    if target is None or target[0] != "resourceId" or len(target[1]) < 2:
        return None
    literals = [arm_literal(a) for a in target[1]]
    if any(v is None for v in literals):
        return None
    resource_type, *names = (str(v) for v in literals)
    return resource_type.lower(), "/".join(names), body[end + 2 :].split(".")


def arm_value(value: Any) -> ValueKey | None:
    if value is None or isinstance(value, bool | int):
        return _literal_key(value)
    if isinstance(value, list):
        items = [arm_value(v) for v in value]
        return None if None in items else ("array", tuple(items))
    if isinstance(value, dict):
        return ("object",) if not value else None
    if not isinstance(value, str):
        return None
    if not is_expression(value):
        return _literal_key(arm_plain(value))
    return arm_expression_value(value[1:-1])


_ARM_INTEGER = re.compile(r"-?[0-9]+")


def arm_expression_value(body: str) -> ValueKey | None:
    """As `arm_value`, for an expression without its brackets (or an argument of one)."""
    body = body.strip()
    if (text := arm_literal(body)) is not None:
        return _literal_key(text)
    if _ARM_INTEGER.fullmatch(body):
        return _literal_key(int(body))
    call = split_call(body)
    if call is not None:
        function, args = call[0].lower(), call[1]
        if function in ("true", "false", "null") and not args:
            return _literal_key(None if function == "null" else function == "true")
        if function == "parameters" and len(args) == 1 and (name := arm_literal(args[0])) is not None:
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
    if len(args) != 4 or [arm_literal(a) for a in (args[1], args[3])] != ["outputs", "value"]:
        return None
    guarded, name = split_call(args[0].strip()), arm_literal(args[2])
    if guarded is None or guarded[0].lower() != "if" or len(guarded[1]) != 3 or name is None:
        return None
    condition, read, otherwise = guarded[1]
    if otherwise.strip() != "null()":
        return None
    target = arm_reference(read.strip() + ".outputs")
    if target is None or target[0] != DEPLOYMENT or arm_expression_value(condition) is None:
        return None
    return ("output?", target[1], name)


# -- role assignment names: guid() of resource IDs ---------------------------------------------------
# An IdKey is ("id", "resourcegroup") or ("id", "subscription") for `resourceGroup().id` /
# `subscription().id`, ("id", lower-case type, name key) for the ID of a resource of the deployment's
# scope, ("subscriptionResourceId", lower-case type, name key), a ValueKey, or ("?", text) for what
# cannot be read offline.
_SCOPE_ID = re.compile(r"(resourceGroup|subscription)\(\s*\)\s*\.\s*id", re.IGNORECASE)
_ID_FUNCTIONS = {"resourceid": "id", "subscriptionresourceid": "subscriptionResourceId"}


def _id_key(function: str, parts: list[NamePart] | None) -> tuple[Any, ...] | None:
    """resourceId('T', names...) or subscriptionResourceId('T', names...), names read as `parts`."""
    kind = _ID_FUNCTIONS.get(function.lower())
    if kind is None or not parts or not isinstance(parts[0], str) or not _RESOURCE_TYPE.fullmatch(parts[0]):
        return None
    resource_type, names = parts[0], parts[1:]
    return kind, resource_type.lower(), tuple(normal_name(names, name_segments(resource_type)))


def _arm_id_key(text: str) -> tuple[Any, ...]:
    text = text.strip()
    if match := _SCOPE_ID.fullmatch(text):
        return ("id", match[1].lower())
    call = split_call(text)
    if call is not None:
        parts: list[NamePart] = []
        for arg in call[1]:
            part = arm_literal(arg)
            part = part if part is not None else arm_param_part(arg)
            if part is None:
                break
            parts.append(part)
        else:
            if (key := _id_key(call[0], parts)) is not None:
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


def _bicep_id_key(node: Node, bicep: BicepFile) -> tuple[Any, ...]:
    node = unwrap(node)
    text = source(node)
    if match := _SCOPE_ID.fullmatch(text):
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
            if (key := _id_key(function, parts)) is not None:
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


def module_target(declaring_file: str, path: str) -> str | None:
    """The tree path of a local module file, relative to the declaring file; None for registry modules."""
    if ":" in path or path.startswith("/"):
        return None
    return posixpath.normpath(posixpath.join(posixpath.dirname(declaring_file), path))


# -- .bicepparam -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ParamValue:
    value: str | bool | int | None
    text: str  # as written
    is_literal: bool
    line: int


@dataclass(frozen=True)
class ParamsFile:
    using: str | None  # the path of `using`, None when there is none
    using_line: int | None
    values: dict[str, ParamValue]


def read_bicepparam(text: str, root: Node) -> ParamsFile:
    """A `.bicepparam`: its text, and the tree parsed from `bicepparam_as_bicep(text)`.

    `bicepparam_as_bicep` keeps byte offsets, so a `var` that was a `param` still reads `param` in `text`.
    """
    original = text.encode("utf-8")
    using, using_line = None, None
    values: dict[str, ParamValue] = {}
    for node in named(root):
        parts = named(node)
        if node.type == "using_statement" and parts:
            using_line = node.start_point[0] + 1
            try:
                using = decode_string(parts[0])
            except NotALiteral:
                using = source(parts[0])
        elif (
            node.type == "variable_declaration"
            and len(parts) >= 2
            and original[node.start_byte : node.start_byte + 5] == b"param"
        ):
            line = node.start_point[0] + 1
            try:
                values[source(parts[0])] = ParamValue(literal(parts[-1]), source(parts[-1]), True, line)
            except NotALiteral:
                values[source(parts[0])] = ParamValue(None, source(parts[-1]), False, line)
    return ParamsFile(using, using_line, values)


# -- the ARM side ----------------------------------------------------------------------------------
DEPLOYMENT = "microsoft.resources/deployments"
DepKey = tuple[str, str]  # (lower-case resource type, full name)
_ARM_LITERAL = re.compile(r"'((?:[^']|'')*)'")
_ARM_FORMAT = re.compile(r"\[format\(('(?:[^']|'')*'(?:\s*,\s*'(?:[^']|'')*')*)\)\]")
_ARM_PARAMETER = re.compile(r"\[parameters\('(\w+)'\)\]")
_RESOURCE_TYPE = re.compile(r"[A-Za-z0-9]+(?:\.[A-Za-z0-9]+)+(?:/[A-Za-z0-9]+)+")


def arm_literals(expression: str) -> list[str]:
    return [m.replace("''", "'") for m in _ARM_LITERAL.findall(expression)]


def arm_plain(value: str) -> str:
    """The value ARM takes from a JSON string written with `arm_expr.plain`."""
    return value[1:] if value.startswith("[[") else value


def arm_static_name(value: Any) -> str | None:
    """A name ARM knows before deployment: a literal, or format() of literals; else None."""
    if not isinstance(value, str):
        return None
    if not value.startswith("[") or value.startswith("[["):
        return arm_plain(value)
    match = _ARM_FORMAT.fullmatch(value)
    if not match:
        return None
    template, *args = arm_literals(match[1])
    return re.sub(r"\{(\d+)\}", lambda m: args[int(m[1])] if int(m[1]) < len(args) else m[0], template)


def arm_dependency(value: str) -> DepKey:
    """`[resourceId('T', 'a', 'b')]` or `[extensionResourceId(<scope>, 'T', 'a')]` -> ('t', 'a/b')."""
    literals = arm_literals(value)
    for index in range(len(literals) - 1, -1, -1):
        if _RESOURCE_TYPE.fullmatch(literals[index]):
            return literals[index].lower(), "/".join(literals[index + 1 :])
    return "?", value


def _scope_arg(value: Any) -> ScopeArg:
    if isinstance(value, str) and (match := _ARM_PARAMETER.fullmatch(value)):
        return ("param", match[1])
    if isinstance(value, str) and value.startswith("[") and not value.startswith("[["):
        return ("expr", value[1:-1])
    return ("literal", arm_plain(str(value)))


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _template_scope(template: dict[str, Any]) -> str:
    return (
        "subscription"
        if "subscriptionDeploymentTemplate" in str(template.get("$schema", ""))
        else "resourceGroup"
    )


def arm_scope(deployment: dict[str, Any]) -> Scope:
    """The scope of a nested deployment, as Bicep writes a module's `scope`."""
    given = {k: deployment[k] for k in ("subscriptionId", "resourceGroup") if k in deployment}
    if given.get("subscriptionId") == "[subscription().subscriptionId]":
        del given["subscriptionId"]  # the deployment's own subscription: Bicep's `subscription()`
    template = _dict(_dict(deployment.get("properties")).get("template"))
    return Scope(_template_scope(template), tuple(_scope_arg(v) for v in given.values()))


@dataclass(frozen=True)
class ArmResource:
    type: str
    api_version: str
    name: str | None  # see arm_static_name
    depends: frozenset[DepKey]
    properties: dict[str, Any]
    scope: str | None
    values: dict[str, Any] = field(default_factory=dict)  # location, tags, sku, kind, identity, properties
    name_key: NameKey | None = None  # see arm_name_key
    raw_name: Any = None  # as written
    raw_scope: Any = None  # as written
    condition: Any = None  # as written; None when there is none


@dataclass(frozen=True)
class ArmDeployment:
    name: str
    scope: Scope
    condition: str | None  # a parameter name, or the expression as written
    params: tuple[str, ...]
    template: ArmTemplate | None
    depends: frozenset[DepKey] = frozenset()
    args: dict[str, Any] = field(default_factory=dict)  # parameter name -> its entry ({"value": ...})
    raw_condition: Any = None  # as written; None when there is none
    name_key: str = ""  # see deployment_name_key
    location: Any = None  # as written; None when there is none


@dataclass(frozen=True)
class ArmTemplate:
    target_scope: str
    params: dict[str, dict[str, Any]]
    resources: tuple[ArmResource, ...]  # without nested deployments
    deployments: tuple[ArmDeployment, ...]
    outputs: dict[str, dict[str, Any]]


def condition_text(value: Any) -> str | None:
    """An ARM condition as messages show it: the parameter's name, or the expression as written."""
    if value is None:
        return None
    match = _ARM_PARAMETER.fullmatch(value) if isinstance(value, str) else None
    return match[1] if match else str(value)


RESOURCE_VALUES = ("location", "tags", "sku", "kind", "identity", "properties")


def _arm_depends(resource: dict[str, Any]) -> frozenset[DepKey]:
    depends = resource.get("dependsOn")
    if not isinstance(depends, list):
        return frozenset()
    return frozenset(arm_dependency(d) for d in depends if isinstance(d, str))


def _arm_deployment(resource: dict[str, Any]) -> ArmDeployment:
    properties = _dict(resource.get("properties"))
    template = properties.get("template")
    args = _dict(properties.get("parameters"))
    return ArmDeployment(
        name=str(resource.get("name")),
        scope=arm_scope(resource),
        condition=condition_text(resource.get("condition")),
        params=tuple(args),
        template=arm_template(template) if isinstance(template, dict) else None,
        depends=_arm_depends(resource),
        args={k: _dict(v) for k, v in args.items()},
        raw_condition=resource.get("condition"),
        name_key=deployment_name_key(resource.get("name")),
        location=resource.get("location"),
    )


def _arm_resource(resource: dict[str, Any]) -> ArmResource:
    scope = resource.get("scope")
    return ArmResource(
        type=str(resource.get("type", "")),
        api_version=str(resource.get("apiVersion", "")),
        name=arm_static_name(resource.get("name")),
        depends=_arm_depends(resource),
        properties=_dict(resource.get("properties")),
        scope=arm_plain(scope) if isinstance(scope, str) else None,
        values={k: resource[k] for k in RESOURCE_VALUES if k in resource},
        name_key=arm_name_key(str(resource.get("type", "")), resource.get("name")),
        raw_name=resource.get("name"),
        raw_scope=scope,
        condition=resource.get("condition"),
    )


def arm_template(doc: dict[str, Any]) -> ArmTemplate:
    """The facts of an ARM template (and, recursively, of its inline nested templates)."""
    resources: list[ArmResource] = []
    deployments: list[ArmDeployment] = []
    for r in _dicts(doc.get("resources")):
        if str(r.get("type", "")).lower() == DEPLOYMENT:
            deployments.append(_arm_deployment(r))
        else:
            resources.append(_arm_resource(r))
    return ArmTemplate(
        target_scope=_template_scope(doc),
        params={k: _dict(v) for k, v in _dict(doc.get("parameters")).items()},
        resources=tuple(resources),
        deployments=tuple(deployments),
        outputs={k: _dict(v) for k, v in _dict(doc.get("outputs")).items()},
    )
