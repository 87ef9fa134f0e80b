"""BICEP003: each `.bicepparam` carries the values of its ARM parameters file and uses its own
template's Bicep file; each ARM parameters file has its `.bicepparam` twin."""

from __future__ import annotations

import json
import posixpath

from wlid_render.validate.bicep_compare import Issue, same_value
from wlid_render.validate.bicep_file import ParamsFile, module_target, read_bicepparam
from wlid_render.validate.bicep_syntax import Node
from wlid_render.validate.finding import Finding
from wlid_render.validate.templates import MAIN_TEMPLATE, TopTemplate, parameters_files, parameters_owner
from wlid_render.validate.tree import RenderedTree, TreeError


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


def check_bicepparam(tree: RenderedTree, rel: str, root: Node | None) -> list[Finding]:
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


def parameter_files_without_bicepparam(tree: RenderedTree) -> list[Finding]:
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
        if not given.is_literal or not same_value(given.value, want):
            out.append((f"param {name} = {given.text}, but {arm_file} has {json.dumps(want)}", given.line))
    return out
