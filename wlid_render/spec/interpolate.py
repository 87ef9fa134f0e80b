"""`${env}` and `${vars.NAME}` in the strings of a spec, resolved for one environment.

Only those two forms are read; any other `${...}` (e.g. a Flux variable in an env value) stays as it
is. `$${` writes a literal `${`. `apiVersion`, `kind` and the `metadata`, `environments` and `gitops`
blocks are not interpolated: they say what the document and the environments are.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from wlid_render.errors import Path, Problem
from wlid_render.suggest import did_you_mean

NOT_INTERPOLATED = frozenset({"apiVersion", "kind", "metadata", "environments", "gitops"})
_REFERENCE = re.compile(r"\$\$\{|\$\{(env|vars\.([A-Za-z_][A-Za-z0-9_]*))\}")


def environment_names(data: Any) -> list[str]:
    """The environments a loaded spec declares, sorted; `default` when it declares none."""
    envs = data.get("environments") if isinstance(data, dict) else None
    if isinstance(envs, dict) and envs:
        return sorted(str(k) for k in envs)
    return ["default"]


def environment_vars(data: Any, env: str) -> dict[str, str]:
    envs = data.get("environments") if isinstance(data, dict) else None
    block = envs.get(env) if isinstance(envs, dict) else None
    values = block.get("vars") if isinstance(block, dict) else None
    return {str(k): v for k, v in values.items() if isinstance(v, str)} if isinstance(values, dict) else {}


def _substitute(text: str, env: str, values: Mapping[str, str], path: Path, problems: list[Problem]) -> str:
    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$${":
            return "${"
        if match.group(1) == "env":
            return env
        name = match.group(2)
        if name in values:
            return values[name]
        guess = did_you_mean(name, values)
        problems.append(
            Problem(
                f"unknown variable ${{vars.{name}}} in environment {env!r}",
                path,
                hint=f"did you mean {guess}?" if guess else f"define it under environments.{env}.vars",
            )
        )
        return match.group(0)

    return _REFERENCE.sub(replace, text) if "$" in text else text


def interpolate(data: Any, env: str, values: Mapping[str, str], at: Path = ()) -> tuple[Any, list[Problem]]:
    """A copy of the loaded spec (or of the part of it at path `at`) with every reference resolved for
    `env`, and the unknown ones."""
    problems: list[Problem] = []

    def walk(node: Any, path: Path) -> Any:
        if isinstance(node, str):
            return _substitute(node, env, values, path, problems)
        if isinstance(node, dict):
            return {
                k: (v if not path and k in NOT_INTERPOLATED else walk(v, (*path, k))) for k, v in node.items()
            }
        if isinstance(node, list):
            return [walk(v, (*path, i)) for i, v in enumerate(node)]
        return node

    return walk(data, at), problems


def uses_references(data: Any) -> bool:
    """Whether any string `interpolate` would look at refers to `${env}` or `${vars.*}` (or is `$${`)."""
    if isinstance(data, dict):
        return any(refers(v) for k, v in data.items() if k not in NOT_INTERPOLATED)
    return refers(data)


def refers(data: Any) -> bool:
    """Whether any string in `data` refers to `${env}` or `${vars.*}` (or is `$${`)."""
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            if "${" in node and _REFERENCE.search(node):
                return True
        elif isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False
