"""ARM001-ARM006: each top-level template (azure/main.json, azure/identities-NNN.json) and every
template nested in it, as the ARM template reader (arm_template) reads them: the official schemas,
expressions, references, the order of federated credentials, limits."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from wlid_render.validate.arm_expressions import is_expression, scan
from wlid_render.validate.arm_names import dependency_key
from wlid_render.validate.arm_schema import template_problems
from wlid_render.validate.arm_template import (
    DEPLOYMENT,
    FIC_TYPE,
    ArmResource,
    ArmTemplate,
    JsonPath,
    inline_template,
    template_file,
)
from wlid_render.validate.finding import FileFindings, Finding
from wlid_render.validate.templates import MAIN_TEMPLATE, TopTemplate, top_templates
from wlid_render.validate.tree import RenderedTree

MAIN = MAIN_TEMPLATE.json
MAX_RESOURCES, MAX_PARAMETERS, MAX_VARIABLES, MAX_OUTPUTS = 800, 256, 256, 64
MAX_WHATIF_NESTED = 500  # what-if gives up on a template with more nested templates
MAX_EXPRESSION = 24_576
MAX_TEMPLATE_BYTES, MAX_RESOURCE_BYTES = 4 * 1024 * 1024, 1024 * 1024


def check_template(tree: RenderedTree) -> list[Finding]:
    """ARM001-ARM006 on each top-level template and every nested template in it."""
    findings: list[Finding] = []
    for template in top_templates(tree):
        _check_one(tree, template, findings)
    return findings


def _check_one(tree: RenderedTree, top: TopTemplate, findings: list[Finding]) -> None:
    ctx = FileFindings(tree, top.json, findings)
    arm = template_file(tree, top.json)
    if arm is None:
        ctx.add("ARM001", "(root): the template is not a JSON object")
        return
    _file_limits(ctx, arm.doc)
    for template in arm.walk():
        for path, message in template_problems(template.doc, template.path):
            ctx.add("ARM001", message, path)
        _expressions(ctx, template)
        _dependencies(ctx, template)
        _fic_ordering(ctx, template)
        _limits(ctx, template.doc, template.path)


# -- ARM002, ARM003 ------------------------------------------------------------------------------
def _strings(node: Any, path: JsonPath) -> Iterator[tuple[JsonPath, str]]:
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "template" and path and path[-1] == "properties":
                continue  # a nested template has its own scope; it is checked on its own
            yield from _strings(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _strings(value, (*path, i))


_scan = lru_cache(maxsize=1 << 16)(scan)  # the same expressions recur in every identity's template


def _expressions(ctx: FileFindings, template: ArmTemplate) -> None:
    for path, value in _strings(template.doc, template.path):
        if not is_expression(value):
            continue
        if len(value) > MAX_EXPRESSION:
            ctx.add("ARM006", f"an expression of {len(value)} characters (ARM allows {MAX_EXPRESSION})", path)
        result = _scan(value)
        for problem in result.problems:
            ctx.add("ARM002", f"expression {value[:80]!r}: {problem}", path)
        for name in result.parameters:
            if name not in template.params:
                ctx.add("ARM003", f"parameters({name!r}) is not declared in this template", path)
        for name in result.variables:
            if name not in template.variables:
                ctx.add("ARM003", f"variables({name!r}) is not declared in this template", path)


# -- ARM004 --------------------------------------------------------------------------------------
def _dependencies(ctx: FileFindings, template: ArmTemplate) -> None:
    keys = {r.key for r in template.members} - {None}
    names = {k[1] for k in keys if k} | {str(r.raw_name) for r in template.members}
    deployments = {k[1] for k in keys if k and k[0] == DEPLOYMENT}
    for resource in template.members:
        for j, entry in enumerate(resource.depends_on):
            key = dependency_key(entry) if isinstance(entry, str) else None
            path = (*resource.path, "dependsOn", j)
            if isinstance(key, str) and key not in names:
                ctx.add("ARM004", f"dependsOn {entry!r} names no resource of this template", path)
            elif isinstance(key, tuple) and key not in keys:
                if key[0] == DEPLOYMENT and key[1] in deployments:
                    continue
                ctx.add("ARM004", f"dependsOn {entry[:120]!r} names no resource of this template", path)


# -- ARM005 --------------------------------------------------------------------------------------
def _serial(resource: ArmResource) -> bool:
    """A copy loop that writes one instance at a time."""
    copy = resource.raw.get("copy")
    if not isinstance(copy, dict) or not copy:
        return False
    return str(copy.get("mode", "")).lower() == "serial" and copy.get("batchSize") == 1


def _fic_ordering(ctx: FileFindings, template: ArmTemplate) -> None:
    """FICs of one identity must be written one after another: their dependencies must order them all."""
    fics: dict[str, list[ArmResource]] = {}
    for resource in template.members:
        key = resource.key
        if key and key[0] == FIC_TYPE and "/" in key[1] and not _serial(resource):
            identity, _ = key[1].split("/", 1)
            fics.setdefault(identity, []).append(resource)
    for identity, members in fics.items():
        if len(members) < 2:
            continue
        by_name = {r.name: r for r in members if r.name is not None}
        after = {
            name: {key[1] for key in r.depends if key[0] == FIC_TYPE and key[1] in by_name}
            for name, r in by_name.items()
        }
        closure = {name: _reach(name, after) for name in by_name}
        for a, b in ((a, b) for a in by_name for b in by_name if a < b):
            if a not in closure[b] and b not in closure[a]:
                ctx.add(
                    "ARM005",
                    f"federated credentials {a} and {b} of identity {identity} may be written in parallel; "
                    "Azure answers 409 ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity "
                    "(chain them with dependsOn)",
                    by_name[b].path,
                )


def _reach(start: str, edges: dict[str, set[str]]) -> set[str]:
    seen: set[str] = set()
    stack = list(edges.get(start, ()))
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            stack.extend(edges.get(node, ()))
    return seen


# -- ARM006 --------------------------------------------------------------------------------------
def _instances(resource: Any) -> int:
    """How many resources one definition deploys: its copy count when it is a literal, else 1."""
    copy = resource.get("copy") if isinstance(resource, dict) else None
    return copy["count"] if isinstance(copy, dict) and isinstance(copy.get("count"), int) else 1


def _limits(ctx: FileFindings, template: dict[str, Any], prefix: JsonPath) -> None:
    count = 0
    for resource in template.get("resources", []):
        count += _instances(resource)
        size = len(json.dumps(resource, separators=(",", ":")))
        if size > MAX_RESOURCE_BYTES:
            ctx.add("ARM006", f"a resource definition of {size} bytes (ARM allows 1 MB)", prefix)
    for what, found, limit in (
        ("resources", count, MAX_RESOURCES),
        ("parameters", len(template.get("parameters", {}) or {}), MAX_PARAMETERS),
        ("variables", len(template.get("variables", {}) or {}), MAX_VARIABLES),
        ("outputs", len(template.get("outputs", {}) or {}), MAX_OUTPUTS),
    ):
        if found > limit:
            ctx.add("ARM006", f"{found} {what} in one template; ARM allows {limit}", prefix)


def deployed_counts(template: dict[str, Any]) -> tuple[int, int]:
    """(resources, nested deployments) a template deploys, those of its inline nested templates and
    copy-loop instances included."""
    resources = deployments = 0
    for resource in template.get("resources", []) or []:
        instances = _instances(resource)
        resources += instances
        if isinstance(resource, dict) and str(resource.get("type", "")).lower() == DEPLOYMENT:
            deployments += instances
        inner = inline_template(resource)
        if inner is not None:
            inner_resources, inner_deployments = deployed_counts(inner)
            resources += instances * inner_resources
            deployments += instances * inner_deployments
    return resources, deployments


def _file_limits(ctx: FileFindings, doc: dict[str, Any]) -> None:
    """Limits of the template file as a whole: its size, and what it deploys with its nested templates."""
    size = len(ctx.tree.text(ctx.rel).encode("utf-8"))
    if size > MAX_TEMPLATE_BYTES:
        ctx.add("ARM006", f"the template has {size} bytes; ARM allows 4 MB")
    resources, deployments = deployed_counts(doc)
    own = sum(_instances(r) for r in doc.get("resources", []) or [])
    if resources > MAX_RESOURCES >= own:  # beyond ARM's own limit, _limits reports an error
        ctx.add(
            "ARM006",
            f"{resources} resources with those of its nested templates; wlid keeps each top-level "
            f"deployment within {MAX_RESOURCES} (re-render to split it)",
            severity="warning",
        )
    if deployments > MAX_WHATIF_NESTED:
        ctx.add(
            "ARM006",
            f"{deployments} nested templates; what-if gives up past {MAX_WHATIF_NESTED}",
            severity="warning",
        )
