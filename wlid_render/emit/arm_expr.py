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


def value(v: object) -> str:
    """A plan Value inside an expression: a quoted literal, or the parameter that carries it."""
    from wlid_render.plan.model import ParamRef

    return param(v.name) if isinstance(v, ParamRef) else lit(str(v))


def json_value(v: object) -> str:
    """A plan Value as a JSON string value: literal text, or `[parameters('x')]`."""
    from wlid_render.plan.model import ParamRef

    return expr(param(v.name)) if isinstance(v, ParamRef) else plain(str(v))


def name_segments(resource_type: str, v: object) -> list[str]:
    """The name segments of a (possibly nested) resource as expression arguments."""
    from wlid_render.plan.model import ParamRef

    count = len(resource_type.split("/")) - 1
    if isinstance(v, ParamRef):
        if count == 1:
            return [param(v.name)]
        return [f"split({param(v.name)}, '/')[{i}]" for i in range(count)]
    return [lit(part) for part in str(v).split("/")]


def scope_path(resource_type: str, v: object) -> str:
    """The relative scope of a resource as a JSON string value (literal, or format() of parameters)."""
    from wlid_render.plan.model import ParamRef

    if not isinstance(v, ParamRef):
        return plain(relative_scope(resource_type, str(v)))
    namespace, *types = resource_type.split("/")
    pattern = "/".join([namespace, *(f"{t}/{{{i}}}" for i, t in enumerate(types))])
    return expr(call("format", lit(pattern), *name_segments(resource_type, v)))
