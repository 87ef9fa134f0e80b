"""Validate loaded values against the spec models and turn pydantic errors into located problems.

pydantic reports locations as tuples that mix data keys with union-branch tags; this module walks
the data alongside the location to recover the dotted spec path, merges the errors of the branches of
one union into one message, and suggests the closest key for a misspelt one.
"""

from __future__ import annotations

import types
import typing
from collections import defaultdict
from collections.abc import Callable
from typing import Annotated, Any, NamedTuple

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from wlid_render.errors import Path, Problem, SpecError
from wlid_render.spec.interpolate import (
    NOT_INTERPOLATED,
    environment_names,
    environment_vars,
    interpolate,
    refers,
)
from wlid_render.spec.load import Source
from wlid_render.spec.models import Spec
from wlid_render.suggest import closest, did_you_mean

_TYPE_NAMES = {
    "string_type": "a string",
    "int_type": "an integer",
    "bool_type": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "literal_error": None,
}


def _yaml_type(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, int):
        return f"an integer ({value})"
    if isinstance(value, float):
        return f"a number ({value})"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _data_path(data: Any, loc: tuple[Any, ...], missing: bool) -> Path:
    """Keep the parts of a pydantic location that step into the data; drop union-branch tags."""
    path: list[str | int] = []
    node = data
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        if (isinstance(node, dict) and isinstance(part, str) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        ):
            node = node[part]
            path.append(part)
        elif missing and isinstance(node, dict) and isinstance(part, str) and last:
            path.append(part)  # a missing key
    return tuple(path)


def _unwrap(annotation: Any, step: str | int) -> Any:
    """The annotation reached by stepping into `annotation` with a key or an index."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0], step)
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            found = _unwrap(arg, step)
            if found is not None:
                return found
        return None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        field = annotation.model_fields.get(step) if isinstance(step, str) else None
        return field.annotation if field else None
    if origin is list and isinstance(step, int):
        return typing.get_args(annotation)[0]
    if origin is dict and isinstance(step, str):
        return typing.get_args(annotation)[1]
    return None


def _model_at(path: Path) -> type[BaseModel] | None:
    annotation: Any = Spec
    for step in path:
        annotation = _unwrap(annotation, step)
        if annotation is None:
            return None
    candidates = [annotation]
    while candidates:
        current = candidates.pop()
        if typing.get_origin(current) in (typing.Annotated, typing.Union, types.UnionType):
            candidates.extend(typing.get_args(current))
        elif isinstance(current, type) and issubclass(current, BaseModel):
            return current
    return None


def _problem(source: Source, path: Path, errors: list[dict[str, Any]]) -> Problem:
    kinds = {e["type"] for e in errors}
    first = errors[0]
    if kinds == {"extra_forbidden"}:
        key = str(path[-1])
        allowed = _allowed(path[:-1])
        guess = did_you_mean(key, allowed)
        hint = (
            f"did you mean {guess}?" if guess else (f"allowed keys: {', '.join(allowed)}" if allowed else "")
        )
        return Problem(f"unknown key {key!r}", path, hint=hint, mark=source.key_marks.get(path))
    if kinds == {"missing"}:
        return Problem(f"required key {path[-1]!r} is missing", path[:-1], mark=source.marks.get(path[:-1]))
    expected = [_TYPE_NAMES[k] for k in sorted(kinds) if _TYPE_NAMES.get(k)]
    literals = [e for e in errors if e["type"] == "literal_error"]
    if literals:
        allowed = literals[0].get("ctx", {}).get("expected", "")
        shown = repr(first["input"])
        if len(shown) > 80:
            shown = f"{shown[:60]}... ({len(str(first['input']))} characters)"
        return Problem(f"must be {allowed}, got {shown}", path)
    if expected and len(expected) == len(kinds):
        choices = " or ".join(dict.fromkeys(expected))
        named = _kubernetes_list_name(first["input"]) if "a mapping" in expected else None
        if named is not None:
            example = f"{named}: ..." if named else "NAME: ..."
            return Problem(
                f"expected {choices} (KEY: value), got a list of name/value entries as Kubernetes writes them",
                path,
                hint=f"write KEY: value, one per line, e.g. {example}",
            )
        hint = ""
        if isinstance(first["input"], bool | int | float) and "a string" in expected:
            hint = "YAML reads yes/no/on/off/true/false and bare numbers as non-strings; quote the value"
        return Problem(f"expected {choices}, got {_yaml_type(first['input'])}", path, hint=hint)
    specific = [e for e in errors if not e["type"].endswith("_type")] or errors
    message = specific[0]["msg"].removeprefix("Value error, ")
    if message and message[0].isupper() and specific[0]["type"] != "value_error":
        message = message[0].lower() + message[1:]
    return Problem(message, path)


def _kubernetes_list_name(value: Any) -> str | None:
    """For a list of `{name: ..., ...}` entries (Kubernetes' form of env and the like): the first name
    when it prints well, "" when it does not; None for any other value."""
    if not isinstance(value, list) or not value:
        return None
    if not all(isinstance(item, dict) and "name" in item for item in value):
        return None
    name = value[0]["name"]
    return name if isinstance(name, str) and name.isprintable() and 0 < len(name) <= 40 else ""


def _misspelt(grouped: dict[Path, list[dict[str, Any]]]) -> set[Path]:
    """Paths of required keys reported missing where an unknown key beside them is a misspelling of
    them: the did-you-mean of the unknown key says it all, once."""
    unknown: dict[Path, list[str]] = defaultdict(list)
    for path, errors in grouped.items():
        if path and all(e["type"] == "extra_forbidden" for e in errors):
            unknown[path[:-1]].append(str(path[-1]))
    found = set()
    for path, errors in grouped.items():
        if not path or path[:-1] not in unknown or any(e["type"] != "missing" for e in errors):
            continue
        key = str(path[-1])
        if any(key in closest(typo, _allowed(path[:-1])) for typo in unknown[path[:-1]]):
            found.add(path)
    return found


def _allowed(path: Path) -> list[str]:
    model = _model_at(path)
    return sorted(model.model_fields) if model else []


def _validate(
    source: Source, check: Callable[[Any], Any], data: Any, at: Path = ()
) -> tuple[Any, list[Problem]]:
    """`check(data)` (a model's or a type's validation) and its errors as located problems; `at` is
    where `data` sits in the spec."""
    try:
        return check(data), []
    except ValidationError as exc:
        grouped: dict[Path, list[dict[str, Any]]] = defaultdict(list)
        for error in exc.errors(include_url=False):
            grouped[(*at, *_data_path(data, error["loc"], error["type"] == "missing"))].append(error)
        problems = []
        misspelt = _misspelt(grouped)
        inner = {path[:i] for path in grouped for i in range(len(path))}  # paths with others below
        for path, errors in grouped.items():
            if path in misspelt:
                continue
            if path in inner and all(e["type"].endswith("_type") for e in errors):
                continue  # another branch of the union got further: report that one
            problems.append(_problem(source, path, errors).located(source.file, source.marks))
        return None, problems


class _Part(NamedTuple):
    """A part of the spec that uses `${env}` or `${vars.*}`: a top-level value or an item of a
    top-level list, and how to validate it on its own."""

    at: Path
    data: Any
    check: Callable[[Any], Any]


def _varying_parts(data: dict[str, Any]) -> list[_Part]:
    """The parts of the spec that differ between environments: every item of a top-level list (an
    identity, a ServiceAccount, a workload) and every other top-level value that uses a reference."""
    parts = []
    for key, value in data.items():
        field = Spec.model_fields.get(key) if key not in NOT_INTERPOLATED else None
        if field is None or not refers(value):
            continue  # not interpolated, or unknown (refused as it is)
        item = _item_type(field.annotation)
        if item is not None and isinstance(value, list):
            check = _checker(item)
            parts += [_Part((key, i), v, check) for i, v in enumerate(value) if refers(v)]
        else:
            annotation = (
                Annotated[(field.annotation, *field.metadata)] if field.metadata else field.annotation
            )
            parts.append(_Part((key,), value, _checker(annotation)))
    return parts


def _item_type(annotation: Any) -> Any:
    return typing.get_args(annotation)[0] if typing.get_origin(annotation) is list else None


def _checker(annotation: Any) -> Callable[[Any], Any]:
    """Validation of one value of this type as Spec validates it (strictly)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation.model_validate  # the model's own configuration: strict, frozen, no extras
    return TypeAdapter(annotation, config=ConfigDict(strict=True)).validate_python


def _replaced(data: dict[str, Any], parts: dict[Path, Any]) -> dict[str, Any]:
    """The loaded spec with its parts at these paths replaced; `data` itself when there are none."""
    if not parts:
        return data
    out = dict(data)
    for at, value in parts.items():
        if len(at) == 1:
            out[str(at[0])] = value
        else:
            key, index = str(at[0]), at[1]
            if out[key] is data[key]:
                out[key] = list(data[key])
            out[key][index] = value
    return out


def _assembled(first: Spec, parts: dict[Path, Any]) -> Spec:
    """The spec of the first environment with the parts that differ replaced by another's."""
    update: dict[str, Any] = {}
    for at, value in parts.items():
        if len(at) == 1:
            update[str(at[0])] = value
        else:
            key, index = at
            items = update.setdefault(str(key), list(getattr(first, str(key))))
            items[index] = value  # type: ignore[index]
    return first.model_copy(update=update)


def parse_environments(source: Source) -> dict[str, Spec]:
    """The spec of every environment: `${env}` and `${vars.NAME}` resolved, then validated.

    The whole spec is validated once, with the parts that use references resolved for the first
    environment; for each other environment only those parts are resolved and validated again, and its
    Spec is the first one with them replaced. Work grows with the environments times the parts that
    differ, not times the whole spec (which holds the environments themselves). Parts that do not
    differ are the same objects in every environment's Spec. Every problem of every environment is
    collected; one that is the same in several environments is reported once, each place it is found.
    Raises SpecError.
    """
    data = source.data
    names = environment_names(data)
    parts = _varying_parts(data)
    problems: list[Problem] = []
    specs: dict[str, Spec] = {}
    spec: Spec | None = None
    for env in names:
        values = environment_vars(data, env)
        resolved: dict[Path, Any] = {}
        for part in parts:
            resolved[part.at], unknown = interpolate(part.data, env, values, part.at)
            problems += [p.located(source.file, source.marks) for p in unknown]
        if env == names[0]:
            spec, invalid = _validate(source, Spec.model_validate, _replaced(data, resolved))
            problems += invalid
            if spec is not None:
                specs[env] = spec
            continue
        valid: dict[Path, Any] = {}
        for part in parts:
            checked, invalid = _validate(source, part.check, resolved[part.at], part.at)
            problems += invalid
            if not invalid:
                valid[part.at] = checked
        if spec is not None and len(valid) == len(parts):
            specs[env] = _assembled(spec, valid) if parts else spec
    if problems:
        raise SpecError(list(dict.fromkeys(problems)))
    return specs
