"""The Bicep reader: a parsed Bicep file read into a small model of what it declares.

`read_bicep` gives a BicepFile: its target scope, parameters, resources, modules and outputs, with the
names, scopes, conditions and dependencies BICEP002 compares with the ARM template; `read_bicepparam`
gives the `using` and the values of a `.bicepparam` file.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from wlid_render.validate.bicep_syntax import (
    Node,
    NotALiteral,
    call_parts,
    decode_escapes,
    decode_string,
    literal,
    named,
    properties,
    source,
    unwrap,
)
from wlid_render.validate.keys import NameKey, NamePart, Scope, ScopeArg, compact, name_segments, normal_name


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


_TRIPLE_QUOTE = b"'" * 3


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
        return compact(source(node))
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
    return compact(f"[format('{quoted}', {', '.join(args)})]")


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
