"""BICEP002 for what an identity needs: its federated credentials deployed one after the other in the
same order, and the same role assignments (scope, role, name, condition) on both sides."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, NamedTuple

from wlid_render.validate.arm_expressions import literals, plain
from wlid_render.validate.arm_names import DepKey, relative_scope_key
from wlid_render.validate.arm_template import (
    FIC_TYPE,
    IDENTITY_TYPE,
    ROLE_TYPE,
    ArmTemplate,
    condition_text,
)
from wlid_render.validate.arm_values import arm_assignment_name, arm_value
from wlid_render.validate.bicep_compare import Issue, Sides, bicep_dependency, pair_unmatched, show_dependency
from wlid_render.validate.bicep_file import BicepFile, Resource
from wlid_render.validate.bicep_syntax import (
    Node,
    NotALiteral,
    call_parts,
    decode_string,
    literal,
    properties,
    source,
)
from wlid_render.validate.bicep_values import bicep_assignment_name, bicep_value
from wlid_render.validate.keys import ValueKey, show_name


# -- federated credentials: one at a time per identity ---------------------------------------------
@dataclass(frozen=True)
class FicStep:
    name: str
    after: frozenset[DepKey]  # what it waits for, besides its own identity
    line: int | None = None

    def key(self) -> tuple[str, frozenset[DepKey]]:
        return self.name, self.after


def arm_fic_chains(arm: ArmTemplate) -> dict[str, list[FicStep]]:
    chains: dict[str, list[FicStep]] = {}
    for r in arm.resources:
        if r.type.lower() == FIC_TYPE and r.name is not None and "/" in r.name:
            identity, name = r.name.split("/", 1)
            chains.setdefault(identity, []).append(FicStep(name, r.depends - {(IDENTITY_TYPE, identity)}))
    return chains


def bicep_fic_chains(bicep: BicepFile) -> dict[str, list[FicStep]]:
    chains: dict[str, list[FicStep]] = {}
    for r in bicep.resources:
        full = bicep.full_name(r) if r.type.lower() == FIC_TYPE and not r.existing else None
        if full is not None and "/" in full:
            identity, name = full.split("/", 1)
            after = {bicep_dependency(bicep, d) for d in r.depends_on} - {(IDENTITY_TYPE, identity)}
            chains.setdefault(identity, []).append(FicStep(name, frozenset(after), r.line))
    return chains


def first_unchained(identity: str, chain: list[FicStep]) -> FicStep | None:
    """The first credential that does not wait for the one before it (Azure answers 409 to parallel
    writes of credentials of one identity)."""
    for previous, current in pairwise(chain):
        if (FIC_TYPE, f"{identity}/{previous.name}") not in current.after:
            return current
    return None


def _describe(chain: list[FicStep]) -> str:
    steps = (f"'{f.name}' after [{', '.join(sorted(map(show_dependency, f.after)))}]" for f in chain)
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
    for r in (r for r in arm.resources if r.type.lower() == ROLE_TYPE):
        scope: tuple[Any, ...] = ()
        if r.raw_scope:
            found = relative_scope_key(r.raw_scope)
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
    for r in (r for r in bicep.resources if r.type.lower() == ROLE_TYPE and not r.existing):
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
