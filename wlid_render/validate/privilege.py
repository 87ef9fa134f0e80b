"""Least privilege (LP001, LP002): broad roles and broad scopes in the role assignments of every
top-level template (main.json, identities-NNN.json)."""

from __future__ import annotations

from wlid_render.formats import GUID, privileged_roles
from wlid_render.validate.arm_template import ROLE_TYPE, ArmTemplate, template_file
from wlid_render.validate.finding import Finding
from wlid_render.validate.templates import top_templates
from wlid_render.validate.tree import RenderedTree


def _scope_of(template: ArmTemplate) -> str:
    """'subscription' or 'resource group' for a nested template's own scope, from its deployment."""
    if not template.enclosing:
        return "resource group"
    deployment = template.enclosing[-1].raw
    if deployment.get("subscriptionId") and not deployment.get("resourceGroup"):
        return "subscription"
    return "resource group"


def _assignment_findings(tree: RenderedTree, rel: str, arm: ArmTemplate) -> list[Finding]:
    roles = privileged_roles()
    findings: list[Finding] = []
    for template in arm.walk():
        for resource in template.members:
            if resource.type.lower() != ROLE_TYPE:
                continue
            path = resource.path
            definition = str(resource.properties.get("roleDefinitionId", ""))
            guids = GUID.findall(definition)
            role = roles.get(guids[-1].lower()) if guids else None
            if role:
                findings.append(
                    Finding(
                        tree.display(rel),
                        tree.line_of(rel, path),
                        "LP001",
                        "warning",
                        f"role assignment grants {role['name']}, which {role['why']}; "
                        "grant a narrower role (e.g. a data-plane role on the one resource)",
                    )
                )
            if "scope" not in resource.raw:
                scope = _scope_of(template)
                findings.append(
                    Finding(
                        tree.display(rel),
                        tree.line_of(rel, path),
                        "LP002",
                        "warning",
                        f"role assignment on a whole {scope}; a resource scope (keyVault, storageAccount, ...) "
                        "is usually enough",
                    )
                )
    return findings


def check_privilege(tree: RenderedTree) -> list[Finding]:
    findings: list[Finding] = []
    for template in top_templates(tree):
        arm = template_file(tree, template.json)
        if arm is not None:
            findings += _assignment_findings(tree, template.json, arm)
    return findings
