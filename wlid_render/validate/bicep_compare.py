"""BICEP002, one template against one Bicep file: parameters, resource types and API versions, names,
the values of resources, outputs and the outputs of nested deployments they read.

The facts come from the two readers (bicep_file, arm_template) as keys both sides produce (keys.py):
a comparison lists what differs as issues (a message and the line in the Bicep file). The federated
credentials and role assignments are compared in bicep_identities, modules in bicep_deployments.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from wlid_render.validate.arm_expressions import plain
from wlid_render.validate.arm_names import DepKey
from wlid_render.validate.arm_template import DEPLOYMENT, FIC_TYPE, RESOURCE_VALUES, ArmTemplate
from wlid_render.validate.arm_values import arm_guarded_reads, arm_leaves, arm_output_reads
from wlid_render.validate.bicep_file import BicepFile, Param, Resource
from wlid_render.validate.bicep_syntax import NotALiteral, literal, source
from wlid_render.validate.bicep_values import bicep_leaves
from wlid_render.validate.keys import NameKey, ValueKey, show_name

Issue = tuple[str, int | None]  # message, line in the Bicep file
Leaves = dict[str, tuple[ValueKey | None, str]]  # see bicep_values.bicep_leaves
K = TypeVar("K")


@dataclass(frozen=True)
class Sides:
    arm: str  # how messages name the ARM template: main.json, or main.json deployment 'x'
    bicep: str  # and the Bicep file: main.bicep, modules/x.bicep


def type_leaf(resource_type: str) -> str:
    return resource_type.rsplit("/", 1)[-1]


def same_value(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b  # True is not 1


def _default_issue(p: Param, spec: dict[str, Any], s: Sides) -> str | None:
    if ("defaultValue" in spec) != (p.default is not None):
        return f"parameter '{p.name}' has a default value only in {s.bicep if p.default else s.arm}"
    if p.default is None:
        return None
    try:
        value = literal(p.default)
    except NotALiteral:
        return None  # an expression: nothing to compare offline
    expected = spec["defaultValue"]
    expected = plain(expected) if isinstance(expected, str) else expected
    if same_value(value, expected):
        return None
    return f"parameter '{p.name}' defaults to {source(p.default)} in {s.bicep}, {json.dumps(expected)} in {s.arm}"


def compare_params(arm: ArmTemplate, bicep: BicepFile, s: Sides) -> list[Issue]:
    declared = {p.name for p in bicep.params}
    out: list[Issue] = [
        (f"parameter '{n}' of {s.arm} is not declared in {s.bicep}", None)
        for n in arm.params
        if n not in declared
    ]
    for p in bicep.params:
        spec = arm.params.get(p.name)
        if spec is None:
            out.append((f"parameter '{p.name}' of {s.bicep} is not in {s.arm}", p.line))
        elif str(spec.get("type", "")).lower() != p.type.lower():
            out.append(
                (f"parameter '{p.name}' is {p.type} in {s.bicep}, {spec.get('type')} in {s.arm}", p.line)
            )
        elif (issue := _default_issue(p, spec, s)) is not None:
            out.append((issue, p.line))
    return out


def compare_types(arm: ArmTemplate, bicep: BicepFile, s: Sides) -> list[Issue]:
    """The same set of (type, apiVersion) of deployed resources; one issue per type."""
    left: dict[str, set[str]] = {}
    right: dict[str, dict[str, int]] = {}  # type -> API version -> first line
    shown: dict[str, str] = {}
    for r in arm.resources:
        left.setdefault(r.type.lower(), set()).add(r.api_version)
        shown.setdefault(r.type.lower(), r.type)
    for b in (b for b in bicep.resources if not b.existing):
        right.setdefault(b.type.lower(), {}).setdefault(b.api_version, b.line)
        shown.setdefault(b.type.lower(), b.type)
    out: list[Issue] = []
    for key in sorted(left.keys() | right.keys()):
        arm_apis, bicep_apis = left.get(key, set()), right.get(key, {})
        if arm_apis != set(bicep_apis):
            extra = [line for api, line in bicep_apis.items() if api not in arm_apis]
            a, b = ", ".join(sorted(arm_apis)) or "nothing", ", ".join(sorted(bicep_apis)) or "nothing"
            out.append((f"{shown[key]}: {s.arm} deploys {a}, {s.bicep} {b}", min(extra, default=None)))
    return out


def pair_unmatched(
    left: Counter[K], right: Counter[K], *groups: Callable[[K], object]
) -> list[tuple[K | None, K | None]]:
    """What only one side has, each ARM item paired with a Bicep item of its group when there is one
    (a renamed resource is one difference, not two). Groups are tried in order, the first one first."""
    only_left, only_right = list((left - right).elements()), list((right - left).elements())
    pairs: list[tuple[K | None, K | None]] = []
    for group in groups:
        for item in list(only_left):
            twin = next((b for b in only_right if group(b) == group(item)), None)
            if twin is not None:
                only_left.remove(item)
                only_right.remove(twin)
                pairs.append((item, twin))
    return pairs + [(a, None) for a in only_left] + [(None, b) for b in only_right]


NamedKey = tuple[str, NameKey]  # lower-case type, name


def _named_resources(
    arm: ArmTemplate, bicep: BicepFile
) -> tuple[Counter[NamedKey], Counter[NamedKey], dict[NamedKey, Resource]]:
    """Deployed resources whose names are literals or parameters (`NameKey`): how many of each name
    ARM has, how many Bicep has, and Bicep's (first) declaration of each."""
    left = Counter((r.type.lower(), r.name_key) for r in arm.resources if r.name_key is not None)
    right: Counter[NamedKey] = Counter()
    declared: dict[NamedKey, Resource] = {}
    for b in (b for b in bicep.resources if not b.existing):
        if (name := bicep.name_key(b)) is not None:
            right[(b.type.lower(), name)] += 1
            declared.setdefault((b.type.lower(), name), b)
    return left, right, declared


def compare_names(arm: ArmTemplate, bicep: BicepFile, s: Sides) -> list[Issue]:
    """Every name known before deployment (a literal, ARM format() of literals, Bicep parent + name),
    and every name read from parameters (the same parameters on both sides), on both sides."""
    left, right, declared = _named_resources(arm, bicep)
    shown = {r.type.lower(): type_leaf(r.type) for r in (*arm.resources, *bicep.resources)}
    out: list[Issue] = []
    for a, b in pair_unmatched(left, right, lambda k: (k[0], k[1][:-1])):
        if a is None and b is not None:
            message = f"{shown[b[0]]} '{show_name(b[1])}' of {s.bicep} is not in {s.arm}"
            out.append((message, declared[b].line))
        elif a is not None and b is None:
            out.append(
                (f"{shown[a[0]]} '{show_name(a[1])}' of {s.arm} is not declared in {s.bicep}", None)
            )
        elif a is not None and b is not None:
            message = f"{shown[a[0]]} '{show_name(a[1])}' of {s.arm} is named '{show_name(b[1])}' in {s.bicep}"
            out.append((message, declared[b].line))
    return out


def different_leaves(arm: Leaves, bicep: Leaves) -> list[tuple[str, str, str]]:
    """(path, Bicep text, ARM text) of each value that differs: set on one side only, or read from
    something else (a value that cannot be read offline on both sides is not compared)."""
    out = []
    for path in dict.fromkeys([*arm, *bicep]):
        a, b = arm.get(path), bicep.get(path)
        if a is None or b is None or ((a[0] is not None or b[0] is not None) and a[0] != b[0]):
            out.append((path, b[1] if b else "nothing", a[1] if a else "nothing"))
    return out


def compare_outputs(arm: ArmTemplate, bicep: BicepFile, s: Sides) -> list[Issue]:
    """The same outputs, of the same types, reading the same things (module/nested deployment outputs,
    resource properties, parameters, literals)."""
    declared = {o.name for o in bicep.outputs}
    out: list[Issue] = [
        (f"output '{n}' of {s.arm} is missing in {s.bicep}", None) for n in arm.outputs if n not in declared
    ]
    for o in bicep.outputs:
        spec = arm.outputs.get(o.name)
        if spec is None:
            out.append((f"output '{o.name}' of {s.bicep} is not in {s.arm}", o.line))
        elif str(spec.get("type", "")).lower() != o.type.lower():
            out.append((f"output '{o.name}' is {o.type} in {s.bicep}, {spec.get('type')} in {s.arm}", o.line))
        elif o.value is not None and "value" in spec:
            left, right = arm_leaves(spec["value"]), bicep_leaves(o.value, bicep)
            for path, b, a in different_leaves(left, right):
                at = f" ({path})" if path else ""
                out.append((f"output '{o.name}'{at} is {b} in {s.bicep}, {a} in {s.arm}", o.line))
    return out


def compare_resource_values(arm: ArmTemplate, bicep: BicepFile, s: Sides) -> list[Issue]:
    """The condition, location, tags, sku, kind, identity and properties of each resource with a name
    `compare_names` compares, declared once on each side (a FIC_TYPE's subject, issuer and audiences...)."""
    left, right, declared = _named_resources(arm, bicep)
    out: list[Issue] = []
    for a in arm.resources:
        key = (a.type.lower(), a.name_key or ())
        if a.name_key is None or left[key] != 1 or right[key] != 1:
            continue  # compare_names reports what is missing or twice
        b = declared[key]
        arm_values: Leaves = {}
        bicep_values: Leaves = {}
        if a.condition is not None:
            arm_values.update(arm_leaves(a.condition, "condition"))
        if b.condition is not None:
            bicep_values.update(bicep_leaves(b.condition, bicep, "condition"))
        for field_name in RESOURCE_VALUES:
            if field_name in a.values:
                arm_values.update(arm_leaves(a.values[field_name], field_name))
            if field_name in b.props:
                bicep_values.update(bicep_leaves(b.props[field_name], bicep, field_name))
        for path, bicep_text, arm_text in different_leaves(arm_values, bicep_values):
            message = f"{type_leaf(a.type)} '{show_name(key[1])}': {path} is {bicep_text} in {s.bicep}, {arm_text} in {s.arm}"
            out.append((message, b.line))
    return out


def compare_output_reads(arm: ArmTemplate, bicep: BicepFile, s: Sides) -> list[Issue]:
    """Every `reference(<nested deployment>).outputs.x` of the template names a nested deployment of
    it whose template declares output x. (The Bicep side: `bicep_deployments`, module_output_reads.)"""
    values: list[Any] = [spec.get("value") for spec in arm.outputs.values()]
    values += [r.values for r in arm.resources]
    values += [d.args for d in arm.deployments]
    deployments = {d.name: d for d in arm.deployments}
    out: list[Issue] = []
    for name, output in dict.fromkeys(read for value in values for read in arm_output_reads(value)):
        deployment = deployments.get(name)
        if deployment is None:
            out.append(
                (f"{s.arm} reads output '{output}' of deployment '{name}', which it does not nest", None)
            )
        elif deployment.template is not None and output not in deployment.template.outputs:
            message = (
                f"{s.arm} reads output '{output}' of deployment '{name}', whose template does not declare it"
            )
            out.append((message, None))
    for name, condition in dict.fromkeys(read for value in values for read in arm_guarded_reads(value)):
        deployment = deployments.get(name)
        if deployment is None:
            continue
        own = str(deployment.raw_condition)[1:-1] if deployment.raw_condition is not None else None
        if own is None or own.replace(" ", "") != condition.replace(" ", ""):
            runs = f"if ({own})" if own is not None else "always"
            message = (
                f"{s.arm} reads the outputs of deployment '{name}' when {condition}, but it runs {runs} "
                "(Bicep's .?outputs reads them exactly when the module runs)"
            )
            out.append((message, None))
    return out


def bicep_dependency(bicep: BicepFile, symbol: str) -> DepKey:
    if (resource := bicep.resource(symbol)) is not None:
        return resource.type.lower(), bicep.full_name(resource) or symbol
    module = next((m for m in bicep.modules if m.symbol == symbol), None)
    if module is not None:
        return DEPLOYMENT, module.name or module.name_text
    return "?", symbol


def show_dependency(key: DepKey) -> str:
    if key[0] == FIC_TYPE:
        return f"'{key[1].rsplit('/', 1)[-1]}'"
    return f"{'deployment' if key[0] == DEPLOYMENT else type_leaf(key[0])} '{key[1]}'"


Comparison = Callable[[ArmTemplate, BicepFile, Sides], list[Issue]]
