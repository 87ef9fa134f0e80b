"""AZ001: tags of the managed identities within Azure's limits.

Microsoft Learn, "Use tags to organize your Azure resources", Limitations: at most 50 tags per
resource; a tag name at most 512 characters, without `< > % & \\ ? /`; a tag value at most 256
characters. Names are case-insensitive, so two names that differ only in case are one tag. A value
set per environment is checked in every environment's parameters file.
"""

from __future__ import annotations

from typing import Any

from wlid_render.validate.arm_expressions import parameter_name, plain
from wlid_render.validate.azure_tree import environment_parameters, resolve, tree_identities
from wlid_render.validate.finding import Finding
from wlid_render.validate.tree import RenderedTree

MAX_TAGS, MAX_NAME, MAX_VALUE = 50, 512, 256
FORBIDDEN = "<>%&\\?/"


def _name_problems(name: str, seen: dict[str, str]) -> list[str]:
    out = []
    if not name:
        out.append("a tag name cannot be empty")
    if len(name) > MAX_NAME:
        out.append(f"tag name {name[:40]!r}... has {len(name)} characters; Azure allows {MAX_NAME}")
    bad = sorted({c for c in name if c in FORBIDDEN})
    if bad:
        out.append(
            f"tag name {name[:80]!r} contains {' '.join(bad)}; Azure refuses < > % & \\ ? / in tag names"
        )
    if name.lower() in seen:
        out.append(
            f"tags {seen[name.lower()]!r} and {name!r} are one tag: Azure compares tag names ignoring case"
        )
    seen[name.lower()] = name
    return out


def _value_problem(name: str, value: Any, where: str) -> str | None:
    if isinstance(value, str) and len(value) > MAX_VALUE:
        return f"tag {name!r}{where} has a value of {len(value)} characters; Azure allows {MAX_VALUE}"
    return None


def check_tags(tree: RenderedTree) -> list[Finding]:
    findings: list[Finding] = []
    for identity in tree_identities(tree):
        tags = identity.tags
        if not isinstance(tags, dict):
            continue
        rel = identity.template.json
        path = (*identity.path, "tags")

        def add(message: str, at: tuple[str | int, ...] = path, file: str = rel) -> None:
            findings.append(Finding(tree.display(file), tree.line_of(file, at), "AZ001", "error", message))

        if len(tags) > MAX_TAGS:
            add(f"identity {identity.name} carries {len(tags)} tags; Azure allows {MAX_TAGS} per resource")
        seen: dict[str, str] = {}
        files = environment_parameters(tree, identity.template)
        for name, value in tags.items():
            for problem in _name_problems(str(name), seen):
                add(f"identity {identity.name}: {problem}", (*path, name))
            parameter = parameter_name(value)
            if parameter is None:  # the same value everywhere, written in the template
                literal = plain(value) if isinstance(value, str) else value
                if (problem := _value_problem(str(name), literal, "")) is not None:
                    add(f"identity {identity.name}: {problem}", (*path, name))
                continue
            for params in files:
                resolved = resolve(value, params)
                if (
                    problem := _value_problem(str(name), resolved, f" in environment {params.env}")
                ) is not None:
                    add(
                        f"identity {identity.name}: {problem}", ("parameters", parameter, "value"), params.rel
                    )
    return findings
