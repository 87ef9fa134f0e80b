"""The ARM template reader of `wlid validate`: a template, and recursively each template nested in it,
read into the facts the rules check and compare.

Resources and nested deployments with their types, names, dependencies, conditions and scopes;
parameters, variables and outputs. A name is read as a name key (keys.py: literal parts and
parameters); a dependsOn entry as the (type, name) it names. Expressions are read with
arm_expressions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from wlid_render.validate.arm_expressions import is_expression, literal, literals, plain, split_call
from wlid_render.validate.keys import (
    RESOURCE_TYPE,
    NameKey,
    NamePart,
    ParamPart,
    Scope,
    ScopeArg,
    compact,
    name_segments,
    normal_name,
)

# Resource types, lower case: ARM reads types ignoring case.
DEPLOYMENT = "microsoft.resources/deployments"
IDENTITY_TYPE = "microsoft.managedidentity/userassignedidentities"
FIC_TYPE = f"{IDENTITY_TYPE}/federatedidentitycredentials"
ROLE_TYPE = "microsoft.authorization/roleassignments"
DepKey = tuple[str, str]  # (lower-case resource type, full name)
_ARM_FORMAT = re.compile(r"\[format\(('(?:[^']|'')*'(?:\s*,\s*'(?:[^']|'')*')*)\)\]")
_ARM_PARAMETER = re.compile(r"\[parameters\('(\w+)'\)\]")
_SPLIT_INDEX = re.compile(r"(split\(.*\))\s*\[\s*(\d+)\s*\]", re.DOTALL)


def param_part(text: str) -> ParamPart | None:
    """`parameters('x')` -> ("x", None); `split(parameters('x'), '/')[1]` -> ("x", 1)."""
    text = text.strip()
    call = split_call(text)
    if call is not None:
        if call[0].lower() == "parameters" and len(call[1]) == 1:
            name = literal(call[1][0])
            return (name, None) if name is not None else None
        return None
    match = _SPLIT_INDEX.fullmatch(text)
    inner = split_call(match[1]) if match else None
    if match is None or inner is None or inner[0].lower() != "split" or len(inner[1]) != 2:
        return None
    whole = param_part(inner[1][0])
    if whole is None or whole[1] is not None or literal(inner[1][1]) != "/":
        return None
    return whole[0], int(match[2])


def _format_parts(pattern: str, args: list[NamePart]) -> list[NamePart] | None:
    """The segments of `format(pattern, args)`; None when a parameter is only part of a segment."""
    tokens: list[NamePart] = []
    for piece in re.split(r"(\{\d+\})", pattern):
        if re.fullmatch(r"\{\d+\}", piece):
            index = int(piece[1:-1])
            if index >= len(args):
                return None
            tokens.append(args[index])
        elif piece:
            tokens.append(piece)
    segments: list[NamePart] = []
    text = ""  # the literal text of the segment being read
    after_parameter = False
    for token in tokens:
        if not isinstance(token, str):
            if text or after_parameter:
                return None
            segments.append(token)
            after_parameter = True
            continue
        if after_parameter:
            if not token.startswith("/"):
                return None
            token = token[1:]
            after_parameter = False
        *done, text = (text + token).split("/")
        segments += done
    if not after_parameter:
        segments.append(text)
    return segments


def arm_name_parts(value: Any) -> list[NamePart] | None:
    """A JSON string as name parts, literals split at `/`: a literal, `[parameters('x')]`, or
    `[format(...)]` of literals and parameters (whole, or split at `/`); None for other expressions."""
    if not isinstance(value, str):
        return None
    if not is_expression(value):
        return list(plain(value).split("/"))
    body = value[1:-1].strip()
    if (whole := param_part(body)) is not None:
        return [whole]
    call = split_call(body)
    if call is None or call[0].lower() != "format" or not call[1]:
        return None
    pattern = literal(call[1][0])
    args: list[NamePart] = []
    for arg in call[1][1:]:
        text = literal(arg)
        part = text if text is not None else param_part(arg)
        if part is None:
            return None
        args.append(part)
    return _format_parts(pattern, args) if pattern is not None else None


def arm_name_key(resource_type: str, value: Any) -> NameKey | None:
    parts = arm_name_parts(value)
    return tuple(normal_name(parts, name_segments(resource_type))) if parts is not None else None


def arm_relative_scope(value: Any) -> tuple[str, NameKey] | None:
    """`Microsoft.KeyVault/vaults/kv` or `[format('Microsoft.KeyVault/vaults/{0}', parameters('x'))]`
    -> (lower-case resource type, name key)."""
    parts = arm_name_parts(value)
    if parts is None or len(parts) < 3 or len(parts) % 2 == 0:
        return None
    types = [parts[0], *parts[1::2]]
    if not all(isinstance(t, str) and t for t in types):
        return None
    names = parts[2::2]
    return "/".join(map(str, types)).lower(), tuple(normal_name(names, len(names)))


def deployment_name_key(value: Any) -> str:
    """A nested deployment's name, comparable with `bicep_name_key`: the literal name, or the
    expression (an ARM `format(...)` of a name computed at deployment) without white space."""
    if not isinstance(value, str):
        return str(value)
    if not is_expression(value):
        return plain(value)
    return compact(value)


def arm_static_name(value: Any) -> str | None:
    """A name ARM knows before deployment: a literal, or format() of literals; else None."""
    if not isinstance(value, str):
        return None
    if not value.startswith("[") or value.startswith("[["):
        return plain(value)
    match = _ARM_FORMAT.fullmatch(value)
    if not match:
        return None
    template, *args = literals(match[1])
    return re.sub(r"\{(\d+)\}", lambda m: args[int(m[1])] if int(m[1]) < len(args) else m[0], template)


def arm_dependency(value: str) -> DepKey:
    """`[resourceId('T', 'a', 'b')]` or `[extensionResourceId(<scope>, 'T', 'a')]` -> ('t', 'a/b')."""
    found = literals(value)
    for index in range(len(found) - 1, -1, -1):
        if RESOURCE_TYPE.fullmatch(found[index]):
            return found[index].lower(), "/".join(found[index + 1 :])
    return "?", value


def _scope_arg(value: Any) -> ScopeArg:
    if isinstance(value, str) and (match := _ARM_PARAMETER.fullmatch(value)):
        return ("param", match[1])
    if isinstance(value, str) and value.startswith("[") and not value.startswith("[["):
        return ("expr", value[1:-1])
    return ("literal", plain(str(value)))


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _template_scope(template: dict[str, Any]) -> str:
    return (
        "subscription"
        if "subscriptionDeploymentTemplate" in str(template.get("$schema", ""))
        else "resourceGroup"
    )


def arm_scope(deployment: dict[str, Any]) -> Scope:
    """The scope of a nested deployment, as Bicep writes a module's `scope`."""
    given = {k: deployment[k] for k in ("subscriptionId", "resourceGroup") if k in deployment}
    if given.get("subscriptionId") == "[subscription().subscriptionId]":
        del given["subscriptionId"]  # the deployment's own subscription: Bicep's `subscription()`
    template = _dict(_dict(deployment.get("properties")).get("template"))
    return Scope(_template_scope(template), tuple(_scope_arg(v) for v in given.values()))


@dataclass(frozen=True)
class ArmResource:
    type: str
    api_version: str
    name: str | None  # see arm_static_name
    depends: frozenset[DepKey]
    properties: dict[str, Any]
    scope: str | None
    values: dict[str, Any] = field(default_factory=dict)  # location, tags, sku, kind, identity, properties
    name_key: NameKey | None = None  # see arm_name_key
    raw_name: Any = None  # as written
    raw_scope: Any = None  # as written
    condition: Any = None  # as written; None when there is none


@dataclass(frozen=True)
class ArmDeployment:
    name: str
    scope: Scope
    condition: str | None  # a parameter name, or the expression as written
    params: tuple[str, ...]
    template: ArmTemplate | None
    depends: frozenset[DepKey] = frozenset()
    args: dict[str, Any] = field(default_factory=dict)  # parameter name -> its entry ({"value": ...})
    raw_condition: Any = None  # as written; None when there is none
    name_key: str = ""  # see deployment_name_key
    location: Any = None  # as written; None when there is none


@dataclass(frozen=True)
class ArmTemplate:
    target_scope: str
    params: dict[str, dict[str, Any]]
    resources: tuple[ArmResource, ...]  # without nested deployments
    deployments: tuple[ArmDeployment, ...]
    outputs: dict[str, dict[str, Any]]


def condition_text(value: Any) -> str | None:
    """An ARM condition as messages show it: the parameter's name, or the expression as written."""
    if value is None:
        return None
    match = _ARM_PARAMETER.fullmatch(value) if isinstance(value, str) else None
    return match[1] if match else str(value)


RESOURCE_VALUES = ("location", "tags", "sku", "kind", "identity", "properties")


def _arm_depends(resource: dict[str, Any]) -> frozenset[DepKey]:
    depends = resource.get("dependsOn")
    if not isinstance(depends, list):
        return frozenset()
    return frozenset(arm_dependency(d) for d in depends if isinstance(d, str))


def _arm_deployment(resource: dict[str, Any]) -> ArmDeployment:
    properties = _dict(resource.get("properties"))
    template = properties.get("template")
    args = _dict(properties.get("parameters"))
    return ArmDeployment(
        name=str(resource.get("name")),
        scope=arm_scope(resource),
        condition=condition_text(resource.get("condition")),
        params=tuple(args),
        template=arm_template(template) if isinstance(template, dict) else None,
        depends=_arm_depends(resource),
        args={k: _dict(v) for k, v in args.items()},
        raw_condition=resource.get("condition"),
        name_key=deployment_name_key(resource.get("name")),
        location=resource.get("location"),
    )


def _arm_resource(resource: dict[str, Any]) -> ArmResource:
    scope = resource.get("scope")
    return ArmResource(
        type=str(resource.get("type", "")),
        api_version=str(resource.get("apiVersion", "")),
        name=arm_static_name(resource.get("name")),
        depends=_arm_depends(resource),
        properties=_dict(resource.get("properties")),
        scope=plain(scope) if isinstance(scope, str) else None,
        values={k: resource[k] for k in RESOURCE_VALUES if k in resource},
        name_key=arm_name_key(str(resource.get("type", "")), resource.get("name")),
        raw_name=resource.get("name"),
        raw_scope=scope,
        condition=resource.get("condition"),
    )


def arm_template(doc: dict[str, Any]) -> ArmTemplate:
    """The facts of an ARM template (and, recursively, of its inline nested templates)."""
    resources: list[ArmResource] = []
    deployments: list[ArmDeployment] = []
    for r in _dicts(doc.get("resources")):
        if str(r.get("type", "")).lower() == DEPLOYMENT:
            deployments.append(_arm_deployment(r))
        else:
            resources.append(_arm_resource(r))
    return ArmTemplate(
        target_scope=_template_scope(doc),
        params={k: _dict(v) for k, v in _dict(doc.get("parameters")).items()},
        resources=tuple(resources),
        deployments=tuple(deployments),
        outputs={k: _dict(v) for k, v in _dict(doc.get("outputs")).items()},
    )
