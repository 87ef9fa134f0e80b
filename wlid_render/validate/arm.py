"""Checks of azure/main.json and the parameters files: official schemas, expressions, references, limits."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from jsonschema.exceptions import ValidationError

from wlid_render.validate.arm_expressions import is_expression, literal, scan, split_call
from wlid_render.validate.arm_schema import (
    PARAMETERS,
    TEMPLATE,
    fast_resource_check,
    nested_template_paths,
    resource_validator,
    validator,
)
from wlid_render.validate.finding import Finding
from wlid_render.validate.tree import RenderedTree

MAIN = "azure/main.json"
FIC_TYPE = "microsoft.managedidentity/userassignedidentities/federatedidentitycredentials"
MAX_RESOURCES, MAX_PARAMETERS, MAX_VARIABLES, MAX_OUTPUTS = 800, 256, 256, 64
MAX_EXPRESSION = 24_576
MAX_TEMPLATE_BYTES, MAX_RESOURCE_BYTES = 4 * 1024 * 1024, 1024 * 1024

JsonPath = tuple[str | int, ...]


@dataclass
class _Context:
    tree: RenderedTree
    rel: str
    findings: list[Finding]

    def add(self, rule: str, message: str, path: JsonPath = (), severity: str = "error") -> None:
        line = self.tree.line_of(self.rel, path) if path else None
        self.findings.append(Finding(self.tree.display(self.rel), line, rule, severity, message))  # type: ignore[arg-type]


def _explain(error: ValidationError) -> tuple[tuple[bool, bool, bool, int], ValidationError]:
    """The leaf error that best explains an anyOf failure, with its rank (lower is better).

    A resource is checked against every resource schema; the alternatives whose `type` does not match
    are not what the author meant, so an alternative is ranked by its worst leaf and the best
    alternative wins: the one for the resource's own type, reporting e.g. its unknown apiVersion.
    """
    if not error.context:
        path = list(error.absolute_path)
        tail = path[-1] if path else None
        wrong_type = tail == "type" and error.validator in ("enum", "const", "pattern")
        return (wrong_type, error.validator == "type", tail == "apiVersion", -len(path)), error
    groups: dict[Any, list[ValidationError]] = {}
    for child in error.context:
        groups.setdefault(child.schema_path[0] if child.schema_path else None, []).append(child)

    def rank(item: tuple[tuple[bool, bool, bool, int], ValidationError]) -> tuple[bool, bool, bool, int]:
        return item[0]

    return min(
        (max((_explain(child) for child in children), key=rank) for children in groups.values()), key=rank
    )


def _template_schema(ctx: _Context, template: dict[str, Any], prefix: JsonPath) -> None:
    """The template's own structure, then each resource against its type's definition."""
    resources = template.get("resources")
    if not isinstance(resources, list):
        _schema(ctx, template, TEMPLATE, prefix)
        return
    _schema(ctx, {**template, "resources": []}, TEMPLATE, prefix)
    for i, resource in enumerate(resources):
        path = (*prefix, "resources", i)
        specific = None
        if isinstance(resource, dict) and isinstance(resource.get("type"), str):
            specific = resource_validator(resource["type"], str(resource.get("apiVersion")))
        if specific is not None:
            fast = fast_resource_check(resource["type"], str(resource.get("apiVersion")))
            if fast is None or not fast.is_valid(resource):
                _report(ctx, specific.iter_errors(resource), path)
        else:  # unknown type or apiVersion: the template schema explains which ones exist
            alone = {"$schema": template.get("$schema"), "contentVersion": "1.0.0.0", "resources": [resource]}
            errors = validator(TEMPLATE).iter_errors(alone)
            _report(ctx, errors, path, strip=2)


def _report(ctx: _Context, errors: Any, prefix: JsonPath, strip: int = 0) -> None:
    for error in errors:
        deepest = _explain(error)[1]
        path = (*prefix, *list(deepest.absolute_path)[strip:])
        where = "/".join(str(p) for p in path) or "(root)"
        message = deepest.message if len(deepest.message) < 300 else deepest.message[:297] + "..."
        ctx.add("ARM001", f"{where}: {message}", path)


def _schema(ctx: _Context, doc: Any, url: str, prefix: JsonPath) -> None:
    for error in validator(url).iter_errors(doc):
        deepest = _explain(error)[1]
        path = (*prefix, *deepest.absolute_path)
        where = "/".join(str(p) for p in path) or "(root)"
        message = deepest.message if len(deepest.message) < 300 else deepest.message[:297] + "..."
        ctx.add("ARM001", f"{where}: {message}", path)


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


def _expressions(ctx: _Context, template: dict[str, Any], prefix: JsonPath) -> None:
    declared_params = set(template.get("parameters", {}) or {})
    declared_vars = set(template.get("variables", {}) or {})
    for path, value in _strings(template, prefix):
        if not is_expression(value):
            continue
        if len(value) > MAX_EXPRESSION:
            ctx.add("ARM006", f"an expression of {len(value)} characters (ARM allows {MAX_EXPRESSION})", path)
        result = scan(value)
        for problem in result.problems:
            ctx.add("ARM002", f"expression {value[:80]!r}: {problem}", path)
        for name in result.parameters:
            if name not in declared_params:
                ctx.add("ARM003", f"parameters({name!r}) is not declared in this template", path)
        for name in result.variables:
            if name not in declared_vars:
                ctx.add("ARM003", f"variables({name!r}) is not declared in this template", path)


def resource_key(resource: dict[str, Any]) -> tuple[str, str] | None:
    """(type, full name) of a resource whose name is a literal or format('{0}/{1}', 'a', 'b')."""
    rtype, name = resource.get("type"), resource.get("name")
    if not isinstance(rtype, str) or not isinstance(name, str):
        return None
    if not is_expression(name):
        return rtype.lower(), name
    call = split_call(name[1:-1])
    if call and call[0].lower() == "format" and call[1]:
        parts = [literal(a) for a in call[1]]
        if all(p is not None for p in parts) and parts[0]:
            return rtype.lower(), parts[0].format(*parts[1:])  # type: ignore[union-attr]
    return None


def _dependency_key(entry: str) -> tuple[str, str] | str | None:
    """(type, name) named by a dependsOn entry, a bare name, or None when it cannot be read."""
    if not is_expression(entry):
        return entry
    call = split_call(entry[1:-1])
    if not call:
        return None
    function, args = call[0].lower(), call[1]
    if function == "resourceid":
        values = [literal(a) for a in args]
        types = [i for i, v in enumerate(values) if v and "/" in v and "." in v.split("/")[0]]
        if not types or any(v is None for v in values[types[0] :]):
            return None
        return values[types[0]].lower(), "/".join(values[types[0] + 1 :])  # type: ignore[union-attr,arg-type]
    if function == "extensionresourceid" and len(args) == 3:
        rtype, name = literal(args[1]), literal(args[2])
        if rtype and name:
            return rtype.lower(), name
    return None


def _dependencies(ctx: _Context, template: dict[str, Any], prefix: JsonPath) -> None:
    resources = [r for r in template.get("resources", []) if isinstance(r, dict)]
    keys = {resource_key(r) for r in resources} - {None}
    names = {k[1] for k in keys if k} | {str(r.get("name")) for r in resources}
    deployments = {k[1] for k in keys if k and k[0] == "microsoft.resources/deployments"}
    for i, resource in enumerate(resources):
        for j, entry in enumerate(resource.get("dependsOn", []) or []):
            key = _dependency_key(entry) if isinstance(entry, str) else None
            path = (*prefix, "resources", i, "dependsOn", j)
            if isinstance(key, str) and key not in names:
                ctx.add("ARM004", f"dependsOn {entry!r} names no resource of this template", path)
            elif isinstance(key, tuple) and key not in keys:
                if key[0] == "microsoft.resources/deployments" and key[1] in deployments:
                    continue
                ctx.add("ARM004", f"dependsOn {entry[:120]!r} names no resource of this template", path)


def _fic_ordering(ctx: _Context, template: dict[str, Any], prefix: JsonPath) -> None:
    """FICs of one identity must be written one after another: their dependencies must order them all."""
    resources = [r if isinstance(r, dict) else {} for r in template.get("resources", [])]
    fics: dict[str, list[tuple[int, str]]] = {}
    for i, resource in enumerate(resources):
        key = resource_key(resource)
        copy = resource.get("copy") or {}
        serial = str(copy.get("mode", "")).lower() == "serial" and copy.get("batchSize") == 1
        if key and key[0] == FIC_TYPE and "/" in key[1] and not (copy and serial):
            identity, _ = key[1].split("/", 1)
            fics.setdefault(identity, []).append((i, key[1]))
    for identity, members in fics.items():
        if len(members) < 2:
            continue
        by_name = {name: i for i, name in members}
        after: dict[str, set[str]] = {}
        for i, name in members:
            deps = set()
            for entry in resources[i].get("dependsOn", []) or []:
                key = _dependency_key(entry) if isinstance(entry, str) else None
                if isinstance(key, tuple) and key[0] == FIC_TYPE and key[1] in by_name:
                    deps.add(key[1])
            after[name] = deps
        closure = {name: _reach(name, after) for name in by_name}
        for a, b in ((a, b) for a in by_name for b in by_name if a < b):
            if a not in closure[b] and b not in closure[a]:
                ctx.add(
                    "ARM005",
                    f"federated credentials {a} and {b} of identity {identity} may be written in parallel; "
                    "Azure answers 409 ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity "
                    "(chain them with dependsOn)",
                    (*prefix, "resources", by_name[b]),
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


def _limits(ctx: _Context, template: dict[str, Any], prefix: JsonPath) -> None:
    count = 0
    for resource in template.get("resources", []):
        copy = resource.get("copy") if isinstance(resource, dict) else None
        count += copy["count"] if isinstance(copy, dict) and isinstance(copy.get("count"), int) else 1
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


def check_template(tree: RenderedTree) -> list[Finding]:
    """ARM001-ARM006 on azure/main.json and every nested template in it."""
    if not tree.exists(MAIN):
        return []
    ctx = _Context(tree, MAIN, [])
    size = len(tree.text(MAIN).encode("utf-8"))
    if size > MAX_TEMPLATE_BYTES:
        ctx.add("ARM006", f"the template has {size} bytes; ARM allows 4 MB")
    doc = tree.json(MAIN)
    for prefix, template in nested_template_paths(doc):
        _template_schema(ctx, template, prefix)
        _expressions(ctx, template, prefix)
        _dependencies(ctx, template, prefix)
        _fic_ordering(ctx, template, prefix)
        _limits(ctx, template, prefix)
    return ctx.findings


def check_parameters(tree: RenderedTree) -> list[Finding]:
    """PARAM001 schema, PARAM002 required parameter missing, PARAM003 parameter unknown to the template."""
    findings: list[Finding] = []
    declared = tree.json(MAIN).get("parameters", {}) if tree.exists(MAIN) else {}
    for rel in tree.files:
        if not (rel.startswith("azure/params/") and rel.endswith(".parameters.json")):
            continue
        ctx = _Context(tree, rel, findings)
        doc = tree.json(rel)
        _schema(ctx, doc, PARAMETERS, ())
        given = doc.get("parameters", {}) if isinstance(doc, dict) else {}
        for name, spec in declared.items():
            if name not in given and "defaultValue" not in spec:
                ctx.add(
                    "PARAM002", f"parameter {name!r} of azure/main.json has no value here", ("parameters",)
                )
        for name in given:
            if name not in declared:
                ctx.add(
                    "PARAM003", f"parameter {name!r} is not declared in azure/main.json", ("parameters", name)
                )
    for f in findings:
        if f.rule == "ARM001":
            findings[findings.index(f)] = Finding(f.file, f.line, "PARAM001", f.severity, f.message)
    return findings
