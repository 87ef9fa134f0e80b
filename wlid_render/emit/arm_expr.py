"""Building ARM template expressions safely from plan values."""

from __future__ import annotations


def lit(value: str) -> str:
    """A string literal inside an expression: quoted, with `'` doubled."""
    return "'" + value.replace("'", "''") + "'"


def expr(body: str) -> str:
    """A JSON string value that ARM evaluates: `[body]`."""
    return f"[{body}]"


def plain(value: str) -> str:
    """A JSON string value that ARM must take literally.

    ARM reads a string that starts with `[` and ends with `]` as an expression; such a literal is
    written with `[[`. Other strings are taken as they are.
    """
    return "[" + value if value.startswith("[") and value.endswith("]") else value


def call(function: str, *args: str) -> str:
    return f"{function}({', '.join(args)})"


def param(name: str) -> str:
    return call("parameters", lit(name))


def variable(name: str) -> str:
    return call("variables", lit(name))


def resource_id(resource_type: str, *names: str) -> str:
    return call("resourceId", lit(resource_type), *(lit(n) for n in names))


def relative_scope(resource_type: str, name: str) -> str:
    """`Microsoft.Storage/storageAccounts/blobServices` + `sa/default` -> the scope path of the resource."""
    namespace, *types = resource_type.split("/")
    names = name.split("/")
    return "/".join([namespace, *(part for pair in zip(types, names, strict=True) for part in pair)])
