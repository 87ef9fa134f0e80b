"""BICEP001-005: the Bicep files of a rendered tree parse, describe the deployments of its top-level
templates (`azure/main.json`, and the `azure/identities-NNN.json` groups of a split tree) and carry
the values of the ARM parameters files; nothing in them makes the compiler warn that a conditional
module or resource is read unsafely (BICEP004), and the location `bicep build` gives a module at
subscription scope is the one the template writes (BICEP005).

Syntax comes from tree-sitter-bicep; no Bicep compiler is needed. BICEP002 compares the facts that
the Bicep reader (bicep_file) and the ARM reader (arm_template) read from both sides: parameters and their types, deployed resource types and API
versions, the names known before deployment or read from parameters, the conditions and values of
resources (location, properties...) where they can be read offline, the order of federated
credentials, nested deployments (Bicep modules) with their names, scopes, conditions, files,
dependencies and arguments, role assignments (scope, name, condition), and outputs with what they
read. A value set per environment is a parameter handed down under its own name: both sides must read
the same parameter at the same place (`[parameters('x')]`, `format('.../{0}', parameters('x'))`,
`split(parameters('x'), '/')[i]` in ARM; `x`, `resource ... existing = { name: x }` in Bicep).

Each top-level Bicep file (`azure/<stem>.bicep`) is compared with its template (`azure/<stem>.json`),
then each module file with the template of its nested deployment, recursively: a module declared in a
module is compared with the deployment nested in that deployment, and its path is read relative to the
file that declares it. Each `.bicepparam` must use its own template's Bicep file.
"""

from __future__ import annotations

import json
import posixpath
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any, NamedTuple, TypeVar

from wlid_render.validate.arm_expressions import literals, plain
from wlid_render.validate.arm_template import (
    DEPLOYMENT,
    RESOURCE_VALUES,
    ArmDeployment,
    ArmTemplate,
    DepKey,
    arm_relative_scope,
    arm_template,
    condition_text,
)
from wlid_render.validate.arm_values import (
    arm_assignment_name,
    arm_guarded_reads,
    arm_leaves,
    arm_output_reads,
    arm_value,
)
from wlid_render.validate.bicep_file import (
    BicepFile,
    Module,
    Param,
    ParamsFile,
    Resource,
    module_target,
    read_bicep,
    read_bicepparam,
)
from wlid_render.validate.bicep_syntax import (
    Node,
    NotALiteral,
    bicepparam_as_bicep,
    call_parts,
    decode_string,
    literal,
    named,
    parse,
    properties,
    source,
    syntax_problems,
)
from wlid_render.validate.bicep_values import (
    bicep_assignment_name,
    bicep_leaves,
    bicep_value,
    module_output_read,
)
from wlid_render.validate.finding import Finding
from wlid_render.validate.keys import NameKey, Scope, ValueKey, show_name
from wlid_render.validate.templates import (
    MAIN_TEMPLATE,
    TopTemplate,
    parameters_files,
    parameters_owner,
    top_bicep_files,
    top_templates,
)
from wlid_render.validate.tree import RenderedTree, TreeError

MAIN = MAIN_TEMPLATE.bicep
IDENTITY = "microsoft.managedidentity/userassignedidentities"
FIC = f"{IDENTITY}/federatedidentitycredentials"
ROLE = "microsoft.authorization/roleassignments"
Issue = tuple[str, int | None]  # message, line in the Bicep file
Leaves = dict[str, tuple[ValueKey | None, str]]  # see bicep_values.bicep_leaves
K = TypeVar("K")


def check_bicep(tree: RenderedTree) -> list[Finding]:
    """BICEP001 syntax, BICEP002 the same deployments as the top-level templates, BICEP003 the
    parameter files, BICEP004 unsafe reads of conditional modules and resources, BICEP005 locations of
    modules at subscription scope. A tree without `azure/main.bicep` has no Bicep side and is not checked.

    Raises `bicep_syntax.BicepUnavailable` when tree-sitter-bicep is not installed (a broken install,
    not a broken tree).
    """
    if not tree.exists(MAIN):
        return []
    findings: list[Finding] = []
    roots: dict[str, Node] = {}  # the files that parse without problems
    files = bicep_files(tree)
    for rel in files:
        findings += _syntax(tree, rel, roots)
    findings += _deployments(tree, roots, files)
    for rel in (r for r in files if r.endswith(".bicepparam")):
        findings += _parameter_file(tree, rel, roots.get(rel))
    findings += _parameter_files_without_bicepparam(tree)
    return findings


def bicep_files(tree: RenderedTree) -> list[str]:
    """The top-level Bicep files (main.bicep first), the modules and the .bicepparam files."""
    return [
        *(t.bicep for t in top_bicep_files(tree)),
        *(f"azure/modules/{name}" for name in tree.names_in("azure/modules") if name.endswith(".bicep")),
        *(f"azure/params/{name}" for name in tree.names_in("azure/params") if name.endswith(".bicepparam")),
    ]


# -- BICEP001 --------------------------------------------------------------------------------------
def _syntax(tree: RenderedTree, rel: str, roots: dict[str, Node]) -> list[Finding]:
    try:
        text = tree.text(rel)
    except TreeError as exc:
        return [Finding(tree.display(rel), None, "BICEP001", "error", str(exc))]
    if rel.endswith(".bicepparam"):
        text = bicepparam_as_bicep(text)
    root = parse(text)
    problems = syntax_problems(root)
    if not problems:
        roots[rel] = root
        return []
    first = problems[0]
    what = f"missing {first.missing!r}" if first.missing is not None else f"cannot parse {first.snippet!r}"
    more = f" ({first.further} more syntax errors in this file)" if first.further else ""
    message = f"Bicep syntax error: {what}{more}"
    return [Finding(tree.display(rel), first.line, "BICEP001", "error", message, first.column)]


# -- BICEP002: one template against one Bicep file -------------------------------------------------
@dataclass(frozen=True)
class Sides:
    arm: str  # how messages name the ARM template: main.json, or main.json deployment 'x'
    bicep: str  # and the Bicep file: main.bicep, modules/x.bicep


def _leaf(resource_type: str) -> str:
    return resource_type.rsplit("/", 1)[-1]


def _same(a: Any, b: Any) -> bool:
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
    if _same(value, expected):
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
    shown = {r.type.lower(): _leaf(r.type) for r in (*arm.resources, *bicep.resources)}
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
    `compare_names` compares, declared once on each side (a FIC's subject, issuer and audiences...)."""
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
            message = f"{_leaf(a.type)} '{show_name(key[1])}': {path} is {bicep_text} in {s.bicep}, {arm_text} in {s.arm}"
            out.append((message, b.line))
    return out


# -- federated credentials: one at a time per identity ---------------------------------------------
@dataclass(frozen=True)
class FicStep:
    name: str
    after: frozenset[DepKey]  # what it waits for, besides its own identity
    line: int | None = None

    def key(self) -> tuple[str, frozenset[DepKey]]:
        return self.name, self.after


def _bicep_dependency(bicep: BicepFile, symbol: str) -> DepKey:
    if (resource := bicep.resource(symbol)) is not None:
        return resource.type.lower(), bicep.full_name(resource) or symbol
    module = next((m for m in bicep.modules if m.symbol == symbol), None)
    if module is not None:
        return DEPLOYMENT, module.name or module.name_text
    return "?", symbol


def arm_fic_chains(arm: ArmTemplate) -> dict[str, list[FicStep]]:
    chains: dict[str, list[FicStep]] = {}
    for r in arm.resources:
        if r.type.lower() == FIC and r.name is not None and "/" in r.name:
            identity, name = r.name.split("/", 1)
            chains.setdefault(identity, []).append(FicStep(name, r.depends - {(IDENTITY, identity)}))
    return chains


def bicep_fic_chains(bicep: BicepFile) -> dict[str, list[FicStep]]:
    chains: dict[str, list[FicStep]] = {}
    for r in bicep.resources:
        full = bicep.full_name(r) if r.type.lower() == FIC and not r.existing else None
        if full is not None and "/" in full:
            identity, name = full.split("/", 1)
            after = {_bicep_dependency(bicep, d) for d in r.depends_on} - {(IDENTITY, identity)}
            chains.setdefault(identity, []).append(FicStep(name, frozenset(after), r.line))
    return chains


def first_unchained(identity: str, chain: list[FicStep]) -> FicStep | None:
    """The first credential that does not wait for the one before it (Azure answers 409 to parallel
    writes of credentials of one identity)."""
    for previous, current in pairwise(chain):
        if (FIC, f"{identity}/{previous.name}") not in current.after:
            return current
    return None


def _dependency(key: DepKey) -> str:
    if key[0] == FIC:
        return f"'{key[1].rsplit('/', 1)[-1]}'"
    return f"{'deployment' if key[0] == DEPLOYMENT else _leaf(key[0])} '{key[1]}'"


def _describe(chain: list[FicStep]) -> str:
    steps = (f"'{f.name}' after [{', '.join(sorted(map(_dependency, f.after)))}]" for f in chain)
    return " -> ".join(steps)


def compare_fic_order(arm: ArmTemplate, bicep: BicepFile, s: Sides) -> list[Issue]:
    """Per identity: the same credentials in the same order with the same dependencies, each after its
    predecessor on both sides. Different names are `compare_names`' business."""
    right = bicep_fic_chains(bicep)
    out: list[Issue] = []
    for identity, arm_chain in arm_fic_chains(arm).items():
        bicep_chain = right.get(identity, [])
        if sorted(f.name for f in arm_chain) != sorted(f.name for f in bicep_chain):
            continue
        differs = [b for a, b in zip(arm_chain, bicep_chain, strict=True) if a.key() != b.key()]
        breaks = {
            side: first_unchained(identity, c) for side, c in ((s.arm, arm_chain), (s.bicep, bicep_chain))
        }
        if not differs and not any(breaks.values()):
            continue
        notes = "".join(
            f"; in {side}, '{b.name}' does not wait for its predecessor" for side, b in breaks.items() if b
        )
        culprit = breaks[s.bicep] or (differs[0] if differs else None)
        message = (
            f"federated credentials of identity '{identity}' are not deployed one after the other in the same "
            f"order: {s.arm}: {_describe(arm_chain)}; {s.bicep}: {_describe(bicep_chain)}{notes}"
        )
        out.append((message, culprit.line if culprit else None))
    return out


# -- role assignments ------------------------------------------------------------------------------
class RoleKey(NamedTuple):
    """A role assignment as both sides can be compared."""

    # () for the deployment's own, ("resource", lower-case type, name key), or ("?", text)
    scope: tuple[Any, ...]
    role: str  # role definition ID
    description: str | None
    name: tuple[Any, ...]  # see arm_values.arm_assignment_name
    condition: Any = None  # None, a ValueKey, or ("?",) for a condition that cannot be read offline


@dataclass(frozen=True)
class RoleText:
    """A role assignment as written on its side, for messages."""

    scope: str
    name: str
    condition: str | None
    line: int | None = None


def _condition_key(key: ValueKey | None) -> Any:
    return key if key is not None else ("?",)


def relative_scope(resource_type: str, name: str) -> str:
    """`Microsoft.Storage/storageAccounts/blobServices` + `sa/default` -> the scope path ARM writes."""
    namespace, *types = resource_type.split("/")
    names = name.split("/")
    if len(types) != len(names):
        return f"{resource_type}/{name}"
    return "/".join([namespace, *(part for pair in zip(types, names, strict=True) for part in pair)])


def arm_role_assignments(arm: ArmTemplate) -> tuple[Counter[RoleKey], dict[RoleKey, RoleText]]:
    out: Counter[RoleKey] = Counter()
    texts: dict[RoleKey, RoleText] = {}
    for r in (r for r in arm.resources if r.type.lower() == ROLE):
        scope: tuple[Any, ...] = ()
        if r.raw_scope:
            found = arm_relative_scope(r.raw_scope)
            scope = ("resource", *found) if found is not None else ("?", str(r.raw_scope))
        role = (literals(str(r.properties.get("roleDefinitionId", ""))) or [""])[-1]
        description = r.properties.get("description")
        condition = _condition_key(arm_value(r.condition)) if r.condition is not None else None
        key = RoleKey(
            scope,
            role,
            plain(description) if isinstance(description, str) else None,
            arm_assignment_name(r.raw_name),
            condition,
        )
        out[key] += 1
        texts.setdefault(
            key,
            RoleText(r.scope or "the deployment scope", str(r.raw_name), condition_text(r.condition)),
        )
    return out, texts


def _bicep_role_scope(bicep: BicepFile, props: dict[str, Node]) -> tuple[tuple[Any, ...], str]:
    if "scope" not in props:
        return (), "the deployment scope"
    node = props["scope"]
    target = bicep.resource(source(node)) if node.type == "identifier" else None
    name = bicep.name_key(target) if target is not None else None
    if target is None or name is None or "scope" in target.props:  # not a resource of this scope
        return ("?", source(node)), source(node)
    return ("resource", target.type.lower(), name), relative_scope(target.type, show_name(name))


def _bicep_role(bicep: BicepFile, r: Resource) -> tuple[RoleKey, RoleText]:
    scope, scope_text = _bicep_role_scope(bicep, r.props)
    inner = properties(r.props["properties"]) if "properties" in r.props else {}
    role = source(inner["roleDefinitionId"]) if "roleDefinitionId" in inner else ""
    if "roleDefinitionId" in inner and inner["roleDefinitionId"].type == "call_expression":
        args = call_parts(inner["roleDefinitionId"])[1]
        role = str(literal(args[-1])) if args else role
    description = inner.get("description")
    name = r.props.get("name")
    key = RoleKey(
        scope,
        role,
        decode_string(description) if description is not None else None,
        bicep_assignment_name(name, bicep),
        _condition_key(bicep_value(r.condition, bicep)) if r.condition is not None else None,
    )
    condition = source(r.condition) if r.condition is not None else None
    return key, RoleText(scope_text, source(name) if name else r.name_text, condition, r.line)


def bicep_role_assignments(bicep: BicepFile) -> tuple[Counter[RoleKey], dict[RoleKey, RoleText]]:
    out: Counter[RoleKey] = Counter()
    texts: dict[RoleKey, RoleText] = {}
    for r in (r for r in bicep.resources if r.type.lower() == ROLE and not r.existing):
        try:
            key, text = _bicep_role(bicep, r)
        except NotALiteral:
            key, text = (
                RoleKey(("?", r.symbol), "?", None, ("?", r.symbol)),
                RoleText(r.symbol, "", None, r.line),
            )
        out[key] += 1
        texts.setdefault(key, text)
    return out, texts


def _shown_role(key: RoleKey, text: RoleText, other: RoleKey | None) -> str:
    """`role <id> ('description') at <scope>`, with its condition, and its name when `other` (the
    assignment it is paired with) has another one."""
    described = f" ({key.description!r})" if key.description is not None else ""
    shown = f"role {key.role}{described} at {text.scope}"
    if text.condition is not None:
        shown += f" if ({text.condition})"
    if other is not None and other.name != key.name:
        shown += f" named {text.name}"
    return shown


def compare_role_assignments(arm: ArmTemplate, bicep: BicepFile, s: Sides) -> list[Issue]:
    """The same role assignments: scope (the same parameters where a target's name is one), role,
    description, name (what its guid() is computed from) and condition."""
    left, left_texts = arm_role_assignments(arm)
    right, right_texts = bicep_role_assignments(bicep)
    out: list[Issue] = []
    # the same scope first; then, as one deployment holds the assignments of one identity, any other
    for a, b in pair_unmatched(left, right, lambda k: k.scope, lambda k: True):
        left_text = _shown_role(a, left_texts[a], b) if a else "nothing"
        right_text = _shown_role(b, right_texts[b], a) if b else "nothing"
        message = f"role assignments differ: {s.arm} grants {left_text}, {s.bicep} {right_text}"
        out.append((message, right_texts[b].line if b else None))
    return out


def compare_output_reads(arm: ArmTemplate, bicep: BicepFile, s: Sides) -> list[Issue]:
    """Every `reference(<nested deployment>).outputs.x` of the template names a nested deployment of
    it whose template declares output x. (The Bicep side: `_Walk.module_output_reads`.)"""
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


Comparison = Callable[[ArmTemplate, BicepFile, Sides], list[Issue]]
COMPARISONS: tuple[Comparison, ...] = (
    compare_params,
    compare_types,
    compare_names,
    compare_resource_values,
    compare_fic_order,
    compare_role_assignments,
    compare_outputs,
    compare_output_reads,
)


# -- BICEP002: modules and nested deployments, recursively -----------------------------------------
def _deployments(tree: RenderedTree, roots: dict[str, Node], files: list[str]) -> list[Finding]:
    """Each top-level Bicep file against its template; one without the other is a finding."""
    walk = _Walk(tree, roots, set(files))
    templates = set(top_templates(tree))
    for top in sorted(templates | set(top_bicep_files(tree)), key=lambda t: (t != MAIN_TEMPLATE, t)):
        if top not in templates:
            walk.out.append(_alone(tree, top.bicep, top.json, "this Bicep file"))
        elif not tree.exists(top.bicep):
            walk.out.append(_alone(tree, top.json, top.bicep, "this template"))
        elif top.bicep in roots:
            _compare_top(walk, top)
    return walk.out


def _alone(tree: RenderedTree, rel: str, missing: str, what: str) -> Finding:
    return Finding(tree.display(rel), None, "BICEP002", "error", f"there is no {missing} for {what}")


def _compare_top(walk: _Walk, top: TopTemplate) -> None:
    try:
        doc = walk.tree.json(top.json)
    except TreeError:
        return  # the ARM checks report a template that is not JSON
    if isinstance(doc, dict):
        walk.compare(arm_template(doc), top.bicep, Sides(top.file_name, f"{top.stem}.bicep"))


def _findings(tree: RenderedTree, rel: str, issues: Iterable[Issue], rule: str = "BICEP002") -> list[Finding]:
    return [Finding(tree.display(rel), line, rule, "error", message) for message, line in issues]


@dataclass
class _Walk:
    """Each top-level Bicep file against its template, then each module file against its nested template."""

    tree: RenderedTree
    roots: dict[str, Node]  # the files that parse without problems
    checked: set[str]  # the files BICEP001 has read
    out: list[Finding] = field(default_factory=list)
    files: dict[str, BicepFile] = field(default_factory=dict)

    def exists(self, rel: str | None) -> bool:
        return rel is not None and not rel.startswith("../") and self.tree.exists(rel)

    def bicep(self, rel: str) -> BicepFile | None:
        """The file read as Bicep; None when it does not parse (BICEP001 says why)."""
        if rel not in self.checked:  # a module outside azure/modules: check its syntax here
            self.checked.add(rel)
            self.out += _syntax(self.tree, rel, self.roots)
        if rel not in self.roots:
            return None
        if rel not in self.files:
            self.files[rel] = read_bicep(self.roots[rel])
        return self.files[rel]

    def compare(self, arm: ArmTemplate, rel: str, s: Sides) -> None:
        bicep = self.bicep(rel)
        if bicep is None:
            return
        issues: list[Issue] = []
        nested: list[tuple[ArmTemplate, str, Sides]] = []
        if arm.target_scope != bicep.target_scope:
            issues.append((f"{s.bicep} targets {bicep.target_scope}, {s.arm} {arm.target_scope}", None))
        for compare in COMPARISONS:
            issues += compare(arm, bicep, s)
        matched, module_issues = match_modules(arm, bicep, s)
        issues += module_issues
        files: dict[str, BicepFile] = {}  # module symbol -> its file
        for module, deployment in matched:
            target = module_target(rel, module.path)
            if target is None or not self.exists(target):
                issues.append((f"module '{module.symbol}': file {module.path!r} does not exist", module.line))
                continue
            issues += compare_module_call(deployment, module, bicep, s)
            if target == rel:
                issues.append((f"module '{module.symbol}' deploys its own file {module.path!r}", module.line))
                continue
            if deployment.template is None:
                message = f"{s.arm} deployment '{deployment.name}' has no inline template to compare with {module.path!r}"
                issues.append((message, module.line))
                continue
            inner = Sides(f"{s.arm} deployment '{deployment.name}'", posixpath.relpath(target, "azure"))
            if (module_file := self.bicep(target)) is not None:
                files[module.symbol] = module_file
                nested.append((deployment.template, target, inner))
        issues += self.module_output_reads(rel, bicep, files, s)
        self.out += _findings(self.tree, rel, issues)
        located = [i for m, d in matched if (i := module_location_issue(d, m, bicep, s)) is not None]
        self.out += _findings(self.tree, rel, located, "BICEP005")
        self.out += _findings(self.tree, rel, unsafe_dereferences(self.roots[rel], bicep, s), "BICEP004")
        self.out += [
            Finding(self.tree.display(rel), line, "BICEP006", "warning", message)
            for message, line in location_expressions(self.roots[rel])
        ]
        for template, target, inner in nested:
            self.compare(template, target, inner)

    def module_output_reads(
        self, rel: str, bicep: BicepFile, files: dict[str, BicepFile], s: Sides
    ) -> list[Issue]:
        """Every `<module>.outputs.x` of a Bicep file names an output its module file declares."""
        out: list[Issue] = []
        if not bicep.modules or b"outputs" not in self.roots[rel].text:
            return out  # nothing to read: no need to walk the file
        stack = [self.roots[rel]]
        while stack:
            node = stack.pop()
            read = module_output_read(node, bicep)
            if read is None:
                stack.extend(reversed(named(node)))
                continue
            module, output = read
            target = files.get(module.symbol)
            if target is not None and output not in {o.name for o in target.outputs}:
                message = f"{s.bicep} reads output '{output}' of module '{module.symbol}', which {module.path!r} does not declare"
                out.append((message, node.start_point[0] + 1))
        return out


def match_modules(
    arm: ArmTemplate, bicep: BicepFile, s: Sides
) -> tuple[list[tuple[Module, ArmDeployment]], list[Issue]]:
    """Modules and nested deployments with the same name (and count); the rest as issues."""
    pending = list(arm.deployments)
    matched: list[tuple[Module, ArmDeployment]] = []
    unmatched: list[Module] = []
    for module in bicep.modules:
        deployment = next((d for d in pending if d.name_key == module.name_key), None)
        if deployment is None:
            unmatched.append(module)
        else:
            pending.remove(deployment)
            matched.append((module, deployment))
    issues: list[Issue] = []
    for module in unmatched:
        name = module.name or module.name_text
        if pending:
            other = pending.pop(0)
            issues.append(
                (
                    f"module '{module.symbol}' is named '{name}' in {s.bicep}, '{other.name}' in {s.arm}",
                    module.line,
                )
            )
        else:
            issues.append(
                (
                    f"module '{module.symbol}' ('{name}') of {s.bicep} is not a nested deployment of {s.arm}",
                    module.line,
                )
            )
    issues += [
        (f"nested deployment '{d.name}' of {s.arm} is not a module of {s.bicep}", None) for d in pending
    ]
    return matched, issues


def module_dependencies(module: Module, bicep: BicepFile) -> frozenset[DepKey]:
    """What a module waits for: its dependsOn, and each resource (not `existing`) or module it reads."""
    read = [
        symbol
        for symbol in module.reads
        if bicep.module(symbol) is not None or ((r := bicep.resource(symbol)) is not None and not r.existing)
    ]
    return frozenset(_bicep_dependency(bicep, symbol) for symbol in (*module.depends_on, *read))


def compare_module_call(arm: ArmDeployment, module: Module, bicep: BicepFile, s: Sides) -> list[Issue]:
    where = f"module '{module.symbol}' ('{arm.name}')"
    scope = module.scope or Scope(bicep.target_scope, ())
    out: list[Issue] = []
    if scope != arm.scope:
        out.append((f"{where} deploys to {scope} in {s.bicep}, to {arm.scope} in {s.arm}", module.line))
    for name in (v for kind, v in scope.args if kind == "param" and bicep.param(v) is None):
        out.append((f"{where} deploys to {scope}, but '{name}' is not a parameter of {s.bicep}", module.line))
    if sorted(module.params) != sorted(arm.params):
        out.append(
            (
                f"{where} passes {sorted(module.params)} in {s.bicep}, {sorted(arm.params)} in {s.arm}",
                module.line,
            )
        )
    args = dict(module.args)
    for name in (n for n in arm.params if n in args and "value" in arm.args.get(n, {})):
        left, right = arm_leaves(arm.args[name]["value"], name), bicep_leaves(args[name], bicep, name)
        for path, b, a in different_leaves(left, right):
            out.append((f"{where} passes {path} = {b} in {s.bicep}, {a} in {s.arm}", module.line))
    waits = module_dependencies(module, bicep)
    if waits != arm.depends:
        bicep_waits, arm_waits = (
            ", ".join(sorted(map(_dependency, k))) or "nothing" for k in (waits, arm.depends)
        )
        out.append((f"{where} waits for {bicep_waits} in {s.bicep}, {arm_waits} in {s.arm}", module.line))
    if _conditions_differ(arm.raw_condition, module.condition_node, bicep):
        shown = (f"if ({c})" if c else "always" for c in (module.condition, arm.condition))
        out.append((f"{where} runs {next(shown)} in {s.bicep}, {next(shown)} in {s.arm}", module.line))
    return out


# -- BICEP004, BICEP005: what the compiler warns about, or writes itself --------------------------------
# A module or resource with a condition may be null at the start of the deployment; reading its
# `.outputs` (module) or `.properties` (resource) with `.` is compiler warning BCP318, and the
# deployment fails where the condition is false. Azure/bicep baselines: InvalidModules_LF
# main.diagnostics.bicep (`modAEmptyInputsWithCondition.outputs`) and Resources_CRLF
# main.diagnostics.bicep (`vmWithCondition.properties`; `vmWithCondition.id` is no warning).
NULLABLE_READS = {"module": "outputs", "resource": "properties"}


def unsafe_dereferences(root: Node, bicep: BicepFile, s: Sides) -> list[Issue]:
    """Every `<conditional module>.outputs` and `<conditional resource>.properties` read without `.?`."""
    conditional = {m.symbol: "module" for m in bicep.modules if m.condition is not None}
    conditional |= {r.symbol: "resource" for r in bicep.resources if r.condition is not None}
    if not conditional:
        return []
    out: list[Issue] = []
    stack = [root]
    while stack:
        node = stack.pop()
        parts = node.children
        if (
            node.type == "member_expression"
            and len(parts) == 3
            and parts[0].type == "identifier"
            and parts[1].type == "."
            and (kind := conditional.get(source(parts[0]))) is not None
            and source(parts[2]) == NULLABLE_READS[kind]
        ):
            symbol, read = source(parts[0]), NULLABLE_READS[kind]
            message = (
                f"{symbol}.{read}: {kind} '{symbol}' has a condition, so it may be null where the "
                f"condition is false (bicep BCP318); read it as {symbol}.?{read}... ?? <default> in {s.bicep}"
            )
            out.append((message, node.start_point[0] + 1))
        stack.extend(reversed(named(node)))
    return sorted(out, key=lambda issue: issue[1] or 0)


# The Bicep linter's no-loc-expr-outside-params (Azure/bicep src/Bicep.Core/Analyzers/Linter/Rules/
# NoLocationExprOutsideParamsRule.cs): `resourceGroup().location` and `deployment().location` only in a
# parameter's default value. wlid's Bicep never needs them elsewhere.
_LOCATION_CALLS = ("resourceGroup", "deployment")


def location_expressions(root: Node) -> list[Issue]:
    """Each `resourceGroup().location` / `deployment().location` outside a parameter declaration."""
    out: list[Issue] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "parameter_declaration":
            continue
        parts = node.children
        if (
            node.type == "member_expression"
            and len(parts) == 3
            and parts[0].type == "call_expression"
            and source(parts[2]) == "location"
            and source(parts[0]).replace(" ", "") in {f"{f}()" for f in _LOCATION_CALLS}
        ):
            text = source(node)
            message = (
                f"{text} outside a parameter's default value: the Bicep linter warns "
                "(no-loc-expr-outside-params); take the location from a parameter"
            )
            out.append((message, node.start_point[0] + 1))
        stack.extend(reversed(named(node)))
    return sorted(out, key=lambda issue: issue[1] or 0)


# A module deployed to a subscription (or above) from a resource-group file gets the location
# `resourceGroup().location` from `bicep build` (a module cannot set one), and `deployment().location`
# from a file of another scope (Azure/bicep src/Bicep.Core/Emit/TemplateWriter.cs); the ARM template
# must say the same, or the two describe different deployments.
def module_location_issue(arm: ArmDeployment, module: Module, bicep: BicepFile, s: Sides) -> Issue | None:
    scope = module.scope or Scope(bicep.target_scope, ())
    if scope.function == "resourceGroup":
        return None
    expected = (
        "[resourceGroup().location]" if bicep.target_scope == "resourceGroup" else "[deployment().location]"
    )
    written = arm.location if isinstance(arm.location, str) else json.dumps(arm.location)
    if written.replace(" ", "") == expected:
        return None
    return (
        f"module '{module.symbol}' ('{arm.name}') deploys to {scope}: bicep build gives it the location "
        f"{expected[1:-1]}, but {s.arm} writes {written}",
        module.line,
    )


def _conditions_differ(arm: Any, bicep_node: Node | None, bicep: BicepFile) -> bool:
    """A condition on one side only, or conditions that read different things (a condition that cannot
    be read offline on both sides is not compared)."""
    if (arm is None) != (bicep_node is None):
        return True
    if arm is None or bicep_node is None:
        return False
    left, right = arm_value(arm), bicep_value(bicep_node, bicep)
    return (left is not None or right is not None) and left != right


# -- BICEP003 --------------------------------------------------------------------------------------
def _using_issues(tree: RenderedTree, rel: str, params: ParamsFile, template: TopTemplate) -> list[Issue]:
    """`using` must name the Bicep file of the template the file's name says it belongs to."""
    own = posixpath.relpath(template.bicep, posixpath.dirname(rel))
    if params.using is None:
        message = f"no `using` statement: a .bicepparam file must name its Bicep file (using '{own}')"
        return [(message, None)]
    if module_target(rel, params.using) != template.bicep:
        return [(f"`using {params.using!r}` does not point at {template.bicep}", params.using_line)]
    if not tree.exists(template.bicep):
        return [(f"`using {params.using!r}`: there is no {template.bicep}", params.using_line)]
    return []


def _parameter_file(tree: RenderedTree, rel: str, root: Node | None) -> list[Finding]:
    if root is None:
        return []  # BICEP001 reported it
    env, template = parameters_owner(rel) or (posixpath.basename(rel), MAIN_TEMPLATE)
    arm_rel = template.parameters(env)
    params = read_bicepparam(tree.text(rel), root)
    issues = _using_issues(tree, rel, params, template)
    if not tree.exists(arm_rel):
        issues.append((f"there is no {tree.display(arm_rel)} for environment '{env}'", None))
    else:
        issues += compare_parameter_values(params, tree, arm_rel)
    return [Finding(tree.display(rel), line, "BICEP003", "error", message) for message, line in issues]


def _parameter_files_without_bicepparam(tree: RenderedTree) -> list[Finding]:
    out = []
    for rel in parameters_files(tree):
        twin = f"{rel.removesuffix('.parameters.json')}.bicepparam"
        if not tree.exists(twin):
            message = f"there is no {tree.display(twin)} for these parameters"
            out.append(Finding(tree.display(rel), None, "BICEP003", "error", message))
    return out


def compare_parameter_values(params: ParamsFile, tree: RenderedTree, arm_rel: str) -> list[Issue]:
    try:
        doc = tree.json(arm_rel)
    except TreeError:
        return []  # the ARM checks report a parameters file that is not JSON
    arm_file = posixpath.basename(arm_rel)
    values = doc.get("parameters") if isinstance(doc, dict) else None
    expected = (
        {k: v["value"] for k, v in values.items() if isinstance(v, dict) and "value" in v}
        if isinstance(values, dict)
        else {}
    )
    out: list[Issue] = [
        (f"param {name} is missing; {arm_file} sets it", None)
        for name in expected
        if name not in params.values
    ]
    for name, given in params.values.items():
        if name not in expected:
            out.append((f"param {name} is not in {arm_file}", given.line))
            continue
        want = expected[name]  # a parameters file is not a template: its values are taken as they are
        if not given.is_literal or not _same(given.value, want):
            out.append((f"param {name} = {given.text}, but {arm_file} has {json.dumps(want)}", given.line))
    return out
