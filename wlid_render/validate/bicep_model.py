"""What `validate.bicep` compares: Bicep files read with tree-sitter-bicep (syntax problems, declarations)
and the same facts read from an ARM template.

tree-sitter is imported on first use; the Language and Parser are built once per process.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

Node = Any  # tree_sitter.Node
ScopeArg = tuple[str, str]  # ("literal", value) or ("expr", source text)


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


def decode_string(node: Node) -> str:
    """The value of a single-quoted Bicep string without interpolation. Stricter than the grammar."""
    if node.type != "string":
        raise NotALiteral(f"{node.type} is not a string: {source(node)!r}")
    text = node.text
    children = node.children
    if text[:1] != b"'" or text[:3] == b"'''" or children[0].type != "'" or children[-1].type != "'":
        raise NotALiteral(f"not a single-quoted string: {text!r}")
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


@dataclass(frozen=True)
class Output:
    name: str
    type: str
    line: int


@dataclass(frozen=True)
class BicepFile:
    target_scope: str
    params: tuple[Param, ...]
    resources: tuple[Resource, ...]
    modules: tuple[Module, ...]
    outputs: tuple[Output, ...]

    def resource(self, symbol: str) -> Resource | None:
        return next((r for r in self.resources if r.symbol == symbol), None)

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


def _resource(decl: Decl) -> Resource:
    props = _props(decl.body)
    name, name_text = _name(props)
    type_, _, api = decl.type_or_path.partition("@")
    parent = source(props["parent"]) if "parent" in props else None
    depends = _symbols(props.get("dependsOn"))
    return Resource(
        decl.symbol, type_, api, decl.existing, name, name_text, parent, depends, props, decl.line
    )


def _module(decl: Decl) -> Module:
    props = _props(decl.body)
    name, name_text = _name(props)
    scope = scope_of(props["scope"]) if "scope" in props else None
    condition = None
    if decl.body.type == "if_statement":
        condition = source(named(decl.body)[0]).strip().removeprefix("(").removesuffix(")").strip()
    params = tuple(_props(props["params"])) if "params" in props else ()
    return Module(decl.symbol, decl.type_or_path, name, name_text, scope, condition, params, decl.line)


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
        modules=tuple(_module(d) for d in decls if d.kind == "module"),
        outputs=tuple(Output(d.symbol, d.type_or_path, d.line) for d in decls if d.kind == "output"),
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
        return ("expr", match[1])
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


@dataclass(frozen=True)
class ArmDeployment:
    name: str
    scope: Scope
    condition: str | None  # a parameter name, or the expression as written
    params: tuple[str, ...]
    template: ArmTemplate | None


@dataclass(frozen=True)
class ArmTemplate:
    target_scope: str
    params: dict[str, dict[str, Any]]
    resources: tuple[ArmResource, ...]  # without nested deployments
    deployments: tuple[ArmDeployment, ...]
    outputs: dict[str, dict[str, Any]]


def _condition(value: Any) -> str | None:
    if value is None:
        return None
    match = _ARM_PARAMETER.fullmatch(value) if isinstance(value, str) else None
    return match[1] if match else str(value)


def _arm_deployment(resource: dict[str, Any]) -> ArmDeployment:
    properties = _dict(resource.get("properties"))
    template = properties.get("template")
    return ArmDeployment(
        name=str(resource.get("name")),
        scope=arm_scope(resource),
        condition=_condition(resource.get("condition")),
        params=tuple(_dict(properties.get("parameters"))),
        template=arm_template(template) if isinstance(template, dict) else None,
    )


def _arm_resource(resource: dict[str, Any]) -> ArmResource:
    depends = resource.get("dependsOn")
    scope = resource.get("scope")
    return ArmResource(
        type=str(resource.get("type", "")),
        api_version=str(resource.get("apiVersion", "")),
        name=arm_static_name(resource.get("name")),
        depends=frozenset(arm_dependency(d) for d in depends if isinstance(d, str))
        if isinstance(depends, list)
        else frozenset(),
        properties=_dict(resource.get("properties")),
        scope=arm_plain(scope) if isinstance(scope, str) else None,
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
