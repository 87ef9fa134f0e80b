"""A scanner for ARM template expressions: balance, function names, referenced parameters/variables.

It does not evaluate anything; it reads enough of the grammar to find what the schema cannot check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

# ARM template functions (Microsoft Learn, "ARM template functions"), lower-case. Functions whose name
# starts with "list" (listKeys, listSecrets, ...) are resource list* functions and are accepted too.
# `fail` is Bicep's documented fail() ("Bicep functions - flow control"), which `bicep build` writes to
# the template as it is and the ARM template engine evaluates (Azure/bicep SnapshotCommandTests: "The
# template variable 'foo' is not valid: condition must be false").
KNOWN_FUNCTIONS = frozenset(
    [
        "add",
        "and",
        "array",
        "base64",
        "base64tojson",
        "base64tostring",
        "bool",
        "cidrhost",
        "cidrsubnet",
        "coalesce",
        "concat",
        "contains",
        "copyindex",
        "createarray",
        "createobject",
        "datauri",
        "datauritostring",
        "datetimeadd",
        "datetimefromepoch",
        "datetimetoepoch",
        "deployment",
        "div",
        "empty",
        "endswith",
        "environment",
        "equals",
        "extensionresourceid",
        "fail",
        "false",
        "filter",
        "first",
        "flatten",
        "float",
        "format",
        "greater",
        "greaterorequals",
        "groupby",
        "guid",
        "if",
        "indexfromend",
        "indexof",
        "int",
        "intersection",
        "items",
        "join",
        "json",
        "lambda",
        "lambdavariables",
        "last",
        "lastindexof",
        "length",
        "less",
        "lessorequals",
        "managementgroup",
        "managementgroupresourceid",
        "map",
        "mapvalues",
        "max",
        "min",
        "mod",
        "mul",
        "newguid",
        "not",
        "null",
        "objectkeys",
        "or",
        "padleft",
        "parameters",
        "parsecidr",
        "pickzones",
        "providers",
        "range",
        "reduce",
        "reference",
        "references",
        "replace",
        "resourcegroup",
        "resourceid",
        "shallowmerge",
        "skip",
        "sort",
        "split",
        "startswith",
        "string",
        "sub",
        "subscription",
        "subscriptionresourceid",
        "substring",
        "take",
        "tenant",
        "tenantresourceid",
        "tobject",
        "toobject",
        "tolower",
        "toupper",
        "trim",
        "true",
        "tryget",
        "tryindexfromend",
        "union",
        "uniquestring",
        "uri",
        "uricomponent",
        "uricomponenttostring",
        "utcnow",
        "variables",
    ]
)

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"-?[0-9]+")


def is_expression(value: str) -> bool:
    return value.startswith("[") and value.endswith("]") and not value.startswith("[[")


@dataclass
class Scan:
    problems: list[str] = field(default_factory=list)
    functions: list[str] = field(default_factory=list)
    parameters: list[str] = field(default_factory=list)
    variables: list[str] = field(default_factory=list)


_LITERAL = re.compile(r"'((?:[^']|'')*)'")


def plain(value: str) -> str:
    """The value ARM takes from a JSON string that is not an expression: a leading `[[` stands for `[`
    (how `arm_expr.plain` writes a value that starts with `[`)."""
    return value[1:] if value.startswith("[[") else value


def literals(expression: str) -> list[str]:
    """The value of every quoted literal of an expression, in order."""
    return [m.replace("''", "'") for m in _LITERAL.findall(expression)]


def _string(body: str, i: int) -> tuple[str, int] | None:
    """The literal starting at body[i] == "'" and the index after it; None when unterminated."""
    match = _LITERAL.match(body, i)
    if match is None:
        return None
    return match.group(1).replace("''", "'"), match.end()


def scan(expression: str) -> Scan:
    """Scan `[...]`: report imbalance, unknown functions, and collect parameters()/variables() names."""
    result = Scan()
    body = expression[1:-1]
    stack: list[str] = []
    i = 0
    pending: str | None = None  # "parameters" / "variables" waiting for its literal argument
    while i < len(body):
        ch = body[i]
        if ch.isspace() or ch == ",":
            i += 1
        elif ch == "'":
            literal = _string(body, i)
            if literal is None:
                result.problems.append("unterminated string literal")
                return result
            if pending and body[literal[1] :].lstrip().startswith(")"):
                (result.parameters if pending == "parameters" else result.variables).append(literal[0])
            pending = None
            i = literal[1]
        elif ch in "([":
            stack.append(ch)
            i += 1
        elif ch in ")]":
            opener = "(" if ch == ")" else "["
            if not stack or stack.pop() != opener:
                result.problems.append(f"unbalanced {ch!r} at position {i + 1}")
                return result
            i += 1
        elif ch == ".":
            match = _IDENT.match(body, i + 1)
            i = match.end() if match else i + 1
        elif match := _IDENT.match(body, i):
            name = match.group()
            i = match.end()
            rest = body[i:].lstrip()
            if rest.startswith("("):
                result.functions.append(name)
                folded = name.lower()
                if folded not in KNOWN_FUNCTIONS and not folded.startswith("list"):
                    result.problems.append(f"unknown function {name!r}")
                pending = folded if folded in ("parameters", "variables") else None
            elif name.lower() not in ("true", "false", "null"):
                result.problems.append(f"unexpected word {name!r}")
        elif match := _NUMBER.match(body, i):
            i = match.end()
        else:
            result.problems.append(f"unexpected character {ch!r} at position {i + 1}")
            return result
    if stack:
        result.problems.append(f"{len(stack)} unclosed {'(' if stack[-1] == '(' else '['}")
    return result


@lru_cache(maxsize=1 << 16)
def split_call(text: str) -> tuple[str, tuple[str, ...]] | None:
    """`name(arg, 'x', f(y))` -> ("name", ("arg", "'x'", "f(y)")) for a single top-level call.

    Cached: the templates of a tree repeat the same calls in every identity's nested deployment."""
    match = _IDENT.match(text)
    if not match or not text[match.end() :].startswith("(") or not text.endswith(")"):
        return None
    inner = text[match.end() + 1 : -1]
    args, depth, start, i = [], 0, 0, 0
    while i < len(inner):
        ch = inner[i]
        if ch == "'":
            literal = _string(inner, i)
            if literal is None:
                return None
            i = literal[1]
            continue
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
            if depth < 0:
                return None
        elif ch == "," and depth == 0:
            args.append(inner[start:i].strip())
            start = i + 1
        i += 1
    if inner.strip():
        args.append(inner[start:].strip())
    return match.group(), tuple(args)


def parameter_name(value: object) -> str | None:
    """`[parameters('x')]` -> x; None for any other value."""
    if not isinstance(value, str) or not is_expression(value):
        return None
    call = split_call(value[1:-1].strip())
    if call is None or call[0].lower() != "parameters" or len(call[1]) != 1:
        return None
    return literal(call[1][0])


def literal(arg: str) -> str | None:
    """The value of a quoted literal argument, or None when the argument is not a plain literal."""
    if arg.startswith("'"):
        parsed = _string(arg, 0)
        if parsed and parsed[1] == len(arg):
            return parsed[0]
    return None
