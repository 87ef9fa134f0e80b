"""BICEP004-006: what the Bicep compiler or linter says about a file, or writes itself.

BICEP004: a conditional module's `.outputs` or a conditional resource's `.properties` read without
`.?` (compiler warning BCP318); BICEP005: a module at subscription scope whose nested deployment the
template locates elsewhere than `bicep build` would; BICEP006: `resourceGroup().location` or
`deployment().location` outside a parameter's default value (linter rule no-loc-expr-outside-params).
"""

from __future__ import annotations

import json

from wlid_render.validate.arm_template import ArmDeployment
from wlid_render.validate.bicep_compare import Issue, Sides
from wlid_render.validate.bicep_file import BicepFile, Module
from wlid_render.validate.bicep_syntax import Node, named, source
from wlid_render.validate.keys import Scope

# -- BICEP004 --------------------------------------------------------------------------------------
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


# -- BICEP005 --------------------------------------------------------------------------------------
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


# -- BICEP006 --------------------------------------------------------------------------------------
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
