"""Every credential-looking string of a loaded spec, and every literal under a credential name, with
the path where it is and the way to keep it out of the spec."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from wlid_render.errors import Path, Problem
from wlid_render.plan.secrets.fast_path import spec_is_clean
from wlid_render.plan.secrets.kinds import credential_kind
from wlid_render.plan.secrets.names import NAMED_MAPS, NOT_A_VALUE, names_a_secret
from wlid_render.plan.secrets.text import compiled
from wlid_render.spec.compose import NOT_A_SECRET
from wlid_render.spec.interpolate import NOT_INTERPOLATED, environment_names, environment_vars, interpolate

_HINT_ENV = (
    "reference a Kubernetes Secret instead: {name}: {{secretKeyRef: {{name: <secret>, key: <key>}}}}, "
    "or keep it in Key Vault and let the workload read it with its identity"
)
_HINT_ARGS = (
    "pass it in an env value from a Secret ({{secretKeyRef: ...}}) and write $(NAME) here, "
    "or keep it in Key Vault and let the workload read it with its identity"
)
_HINT_OTHER = "keep it in Key Vault (or a Kubernetes Secret) and out of the spec"
_ESCAPE = f"if it is not a secret, tag the value {NOT_A_SECRET}"


def secret_problems(data: Any, not_secrets: frozenset[Path] = frozenset()) -> list[Problem]:
    """Every credential-looking string of a loaded spec, and every literal under a credential name.

    `data` is the spec as loaded (before `${env}`/`${vars.*}` are resolved): each string is checked
    as written, and a string with references once more per environment, resolved (a credential may
    be put together from variables). Values at `not_secrets` paths are let through.
    """
    if not not_secrets and spec_is_clean(data):
        return []
    return every_problem(data, not_secrets)


def every_problem(data: Any, not_secrets: frozenset[Path]) -> list[Problem]:
    problems: list[Problem] = []
    referencing: list[tuple[Path, str]] = []
    flagged_vars: set[tuple[str, str]] = set()  # (environment, var) whose value is refused already
    for path, value, named in _strings(data):
        if path in not_secrets:
            continue
        kind = credential_kind(value)
        if kind:
            problems.append(_looks_like(path, kind))
        elif named and not compiled(NOT_A_VALUE).fullmatch(value) and names_a_secret(str(path[-1])):
            problems.append(_named(path))
        else:
            if "${" in value and path[0] not in NOT_INTERPOLATED:
                referencing.append((path, value))
            continue
        if len(path) == 4 and path[0] == "environments" and path[2] == "vars":
            flagged_vars.add((str(path[1]), str(path[3])))
    for path, items in _string_lists(data):
        if any((*path, i) in not_secrets for i in range(len(items))):
            continue
        if any(credential_kind(item) for item in items):
            continue  # reported at the item
        kind = credential_kind("".join(items), False) or credential_kind("\n".join(items), False)
        if kind:
            problems.append(_looks_like(path, f"{kind}, split over the items of this list"))
    if referencing and isinstance(data, dict):
        problems += _resolved(data, referencing, not_secrets, flagged_vars)
    return problems


def _resolved(
    data: dict[str, Any],
    referencing: list[tuple[Path, str]],
    not_secrets: frozenset[Path],
    flagged: set[tuple[str, str]],
) -> list[Problem]:
    """Strings with references, resolved in each environment (tagged or refused variables left out)."""
    problems = []
    reported: set[Path] = set()
    for env in environment_names(data):
        values = environment_vars(data, env)
        for name in list(values):
            if ("environments", env, "vars", name) in not_secrets or (env, name) in flagged:
                values[name] = ""
        for path, text in referencing:
            if path in reported:
                continue
            kind = credential_kind(interpolate(text, env, values)[0])
            if kind:
                reported.add(path)
                problems.append(_looks_like(path, kind, env))
    return problems


def _looks_like(path: Path, kind: str, env: str | None = None) -> Problem:
    where = f"environment {env!r}: with its variables, " if env else ""
    message = f"{where}this value looks like {kind}; secrets do not belong in the spec (it ends up in Git)"
    return Problem(message, path, hint=f"{_hint(path)}; {_ESCAPE}")


def _named(path: Path) -> Problem:
    name = str(path[-1])
    message = f"{name} says it holds a credential, and its value is a literal: it would end up in Git"
    return Problem(message, path, hint=f"{_hint(path)}; {_ESCAPE}")


def _hint(path: Path) -> str:
    if len(path) >= 2 and path[-2] == "env":
        return _HINT_ENV.format(name=path[-1])
    if len(path) >= 2 and path[-2] in ("args", "command"):
        return _HINT_ARGS
    return _HINT_OTHER


def _strings(data: Any) -> Iterator[tuple[Path, str, bool]]:
    """(path, string, under a named map) for every string value and mapping key of the data."""
    stack: list[tuple[Any, Path, bool]] = [(data, (), False)]
    while stack:
        node, path, named = stack.pop()
        if isinstance(node, str):
            yield path, node, named
        elif isinstance(node, dict):
            inside = bool(path) and path[-1] in NAMED_MAPS
            for key, value in node.items():
                if isinstance(key, str):
                    yield (*path, key), key, False  # a key lands in the output too
                stack.append((value, (*path, key), inside))
        elif isinstance(node, list):
            stack.extend((item, (*path, i), False) for i, item in enumerate(node))


def _string_lists(data: Any) -> Iterator[tuple[Path, list[str]]]:
    """Lists of two or more strings (args, command, ...): a credential may be split over them."""
    stack: list[tuple[Any, Path]] = [(data, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            stack.extend((value, (*path, key)) for key, value in node.items())
        elif isinstance(node, list):
            if len(node) > 1 and all(isinstance(item, str) for item in node):
                yield path, node
            else:
                stack.extend((item, (*path, i)) for i, item in enumerate(node))
