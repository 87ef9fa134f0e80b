"""Least privilege (LP001, LP002): broad roles and broad scopes in the role assignments of every
top-level template (main.json, identities-NNN.json)."""

from __future__ import annotations

from typing import Any

from wlid_render.broad_roles import privileged_roles
from wlid_render.formats import GUID
from wlid_render.validate.arm_schema import nested_template_paths
from wlid_render.validate.finding import Finding
from wlid_render.validate.templates import top_templates
from wlid_render.validate.tree import RenderedTree

ROLE_TYPE = "microsoft.authorization/roleassignments"


def _scope_of(prefix: tuple, doc: dict[str, Any]) -> str | None:
    """'subscription' or 'resource group' for a nested template's own scope, from its deployment."""
    if not prefix:
        return "resource group"
    deployment = doc
    for step in prefix[:-2]:
        deployment = deployment[step]
    if deployment.get("subscriptionId") and not deployment.get("resourceGroup"):
        return "subscription"
    return "resource group"


def _assignment_findings(tree: RenderedTree, rel: str, doc: dict[str, Any]) -> list[Finding]:
    roles = privileged_roles()
    findings: list[Finding] = []
    for prefix, template in nested_template_paths(doc):
        for i, resource in enumerate(template.get("resources", [])):
            if not isinstance(resource, dict) or str(resource.get("type", "")).lower() != ROLE_TYPE:
                continue
            path = (*prefix, "resources", i)
            definition = str((resource.get("properties") or {}).get("roleDefinitionId", ""))
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
            if "scope" not in resource:
                scope = _scope_of(prefix, doc)
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
        doc = tree.json(template.json)
        if isinstance(doc, dict):
            findings += _assignment_findings(tree, template.json, doc)
    return findings
