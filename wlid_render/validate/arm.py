"""Checks of the top-level templates (azure/main.json, azure/identities-NNN.json) and the parameters
files: official schemas, expressions, references, limits."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jsonschema.exceptions import ValidationError

from wlid_render.validate.arm_expressions import is_expression, literal, scan, split_call
from wlid_render.validate.arm_schema import (
    PARAMETERS,
    TEMPLATE,
    fast_document_check,
    fast_resource_check,
    nested_template_paths,
    resource_validator,
    validator,
)
from wlid_render.validate.finding import Finding, Severity
from wlid_render.validate.templates import (
    MAIN_TEMPLATE,
    TopTemplate,
    parameters_files,
    parameters_owner,
    top_templates,
)
from wlid_render.validate.tree import RenderedTree

MAIN = MAIN_TEMPLATE.json
FIC_TYPE = "microsoft.managedidentity/userassignedidentities/federatedidentitycredentials"
DEPLOYMENT_TYPE = "microsoft.resources/deployments"
MAX_RESOURCES, MAX_PARAMETERS, MAX_VARIABLES, MAX_OUTPUTS = 800, 256, 256, 64
MAX_WHATIF_NESTED = 500  # what-if gives up on a template with more nested templates
MAX_EXPRESSION = 24_576
MAX_TEMPLATE_BYTES, MAX_RESOURCE_BYTES = 4 * 1024 * 1024, 1024 * 1024

JsonPath = tuple[str | int, ...]


@dataclass
class _Context:
    tree: RenderedTree
    rel: str
    findings: list[Finding]

    def add(self, rule: str, message: str, path: JsonPath = (), severity: Severity = "error") -> None:
        line = self.tree.line_of(self.rel, path) if path else None
        self.findings.append(Finding(self.tree.display(self.rel), line, rule, severity, message))


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
    fast = fast_document_check(url)
    if fast is not None and fast.is_valid(doc):
        return
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
        result = _scan(value)
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
    full = _full_name(name)
    return (rtype.lower(), full) if full is not None else None


@lru_cache(maxsize=1 << 16)
def _full_name(name: str) -> str | None:
    if not is_expression(name):
        return name
    call = split_call(name[1:-1])
    if call and call[0].lower() == "format" and call[1]:
        parts = [literal(a) for a in call[1]]
        if all(p is not None for p in parts) and parts[0]:
            return parts[0].format(*parts[1:])  # type: ignore[union-attr]
    return None


_scan = lru_cache(maxsize=1 << 16)(scan)  # the same expressions recur in every identity's template


@lru_cache(maxsize=1 << 16)
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


def _instances(resource: Any) -> int:
    """How many resources one definition deploys: its copy count when it is a literal, else 1."""
    copy = resource.get("copy") if isinstance(resource, dict) else None
    return copy["count"] if isinstance(copy, dict) and isinstance(copy.get("count"), int) else 1


def _limits(ctx: _Context, template: dict[str, Any], prefix: JsonPath) -> None:
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


def _nested(resource: Any) -> dict[str, Any] | None:
    """The inline template of a nested deployment, or None."""
    if not isinstance(resource, dict) or str(resource.get("type", "")).lower() != DEPLOYMENT_TYPE:
        return None
    inner = (resource.get("properties") or {}).get("template")
    return inner if isinstance(inner, dict) else None


def deployed_counts(template: dict[str, Any]) -> tuple[int, int]:
    """(resources, nested deployments) a template deploys, those of its inline nested templates and
    copy-loop instances included."""
    resources = deployments = 0
    for resource in template.get("resources", []) or []:
        instances = _instances(resource)
        resources += instances
        if isinstance(resource, dict) and str(resource.get("type", "")).lower() == DEPLOYMENT_TYPE:
            deployments += instances
        inner = _nested(resource)
        if inner is not None:
            inner_resources, inner_deployments = deployed_counts(inner)
            resources += instances * inner_resources
            deployments += instances * inner_deployments
    return resources, deployments


def _file_limits(ctx: _Context, doc: dict[str, Any]) -> None:
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


def _check_one(tree: RenderedTree, template: TopTemplate, findings: list[Finding]) -> None:
    ctx = _Context(tree, template.json, findings)
    doc = tree.json(template.json)
    if not isinstance(doc, dict):
        ctx.add("ARM001", "(root): the template is not a JSON object")
        return
    _file_limits(ctx, doc)
    for prefix, nested in nested_template_paths(doc):
        _template_schema(ctx, nested, prefix)
        _expressions(ctx, nested, prefix)
        _dependencies(ctx, nested, prefix)
        _fic_ordering(ctx, nested, prefix)
        _limits(ctx, nested, prefix)


def check_template(tree: RenderedTree) -> list[Finding]:
    """ARM001-ARM006 on each top-level template and every nested template in it."""
    findings: list[Finding] = []
    for template in top_templates(tree):
        _check_one(tree, template, findings)
    return findings


def _declared_parameters(tree: RenderedTree, template: TopTemplate) -> dict[str, Any] | None:
    """The parameters a top-level template declares; None when there is no such template."""
    if not tree.exists(template.json):
        return None
    doc = tree.json(template.json)
    declared = doc.get("parameters", {}) if isinstance(doc, dict) else {}
    return declared if isinstance(declared, dict) else {}


def _parameters_file(tree: RenderedTree, rel: str, findings: list[Finding]) -> None:
    ctx = _Context(tree, rel, findings)
    doc = tree.json(rel)
    _schema(ctx, doc, PARAMETERS, ())
    _, template = parameters_owner(rel) or ("", MAIN_TEMPLATE)
    declared = _declared_parameters(tree, template)
    if declared is None:
        ctx.add("PARAM004", f"there is no {template.json} for these parameters", ("parameters",))
        return
    given = doc.get("parameters", {}) if isinstance(doc, dict) else {}
    given = given if isinstance(given, dict) else {}
    for name, spec in declared.items():
        if name not in given and not (isinstance(spec, dict) and "defaultValue" in spec):
            ctx.add("PARAM002", f"parameter {name!r} of {template.json} has no value here", ("parameters",))
    for name, entry in given.items():
        if name not in declared:
            ctx.add(
                "PARAM003", f"parameter {name!r} is not declared in {template.json}", ("parameters", name)
            )
        extra = sorted(set(entry) - {"value", "reference"}) if isinstance(entry, dict) else []
        if extra:
            ctx.add(
                "PARAM006",
                f"parameter {name!r} has {', '.join(map(repr, extra))} besides its value: the schema allows a "
                "parameter's metadata, but ARM refuses the file (InvalidRequestContent: \"Could not find member "
                f"'{extra[0]}' on object of type 'DeploymentParameterDefinition'\")",
                ("parameters", name, extra[0]),
            )
        value = entry.get("value") if isinstance(entry, dict) else None
        if isinstance(value, str) and value.startswith("[[") and value.endswith("]"):
            ctx.add(
                "PARAM005",
                f"parameter {name!r} is {value[:60]!r}: a parameters file is not a template, its values are "
                "taken as they are, so the template escape '[[' reaches the template with both brackets "
                f"(the value is {value[1:][:60]!r} only if written so)",
                ("parameters", name, "value"),
            )


def check_parameters(tree: RenderedTree) -> list[Finding]:
    """PARAM001 schema, PARAM002 required parameter missing, PARAM003 parameter unknown to the template,
    PARAM004 no template, PARAM005 a value written with the template escape `[[`, PARAM006 a parameter
    with more than its value (ARM refuses `metadata`): each parameters file against its template."""
    findings: list[Finding] = []
    for rel in parameters_files(tree):
        _parameters_file(tree, rel, findings)
    return [
        Finding(f.file, f.line, "PARAM001", f.severity, f.message) if f.rule == "ARM001" else f
        for f in findings
    ]
