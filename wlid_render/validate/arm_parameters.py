"""PARAM001-PARAM006: each parameters file (azure/params/<env>[.<stem>].parameters.json) against the
official schema and against the parameters of its own top-level template."""

from __future__ import annotations

from typing import Any

from wlid_render.validate.arm_schema import PARAMETERS, document_problems
from wlid_render.validate.arm_template import template_file
from wlid_render.validate.finding import FileFindings, Finding
from wlid_render.validate.templates import MAIN_TEMPLATE, TopTemplate, parameters_files, parameters_owner
from wlid_render.validate.tree import RenderedTree


def _declared_parameters(tree: RenderedTree, template: TopTemplate) -> dict[str, Any] | None:
    """The parameters a top-level template declares; None when there is no such template."""
    if not tree.exists(template.json):
        return None
    arm = template_file(tree, template.json)
    return arm.params if arm is not None else {}


def _parameters_file(tree: RenderedTree, rel: str, findings: list[Finding]) -> None:
    ctx = FileFindings(tree, rel, findings)
    doc = tree.json(rel)
    for path, message in document_problems(doc, PARAMETERS):
        ctx.add("PARAM001", message, path)
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
    return findings
