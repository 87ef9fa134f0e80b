"""ARM009: nested deployments at subscription scope named the same wherever they are deployed from.

A deployment at subscription scope has a location, and ARM keeps one deployment per name and
subscription: deploying a template again under the same name in the same subscription with another
location fails with InvalidDeploymentLocation. Two environments (or specs) whose identities live in
resource groups of different regions but grant roles on one subscription would do exactly that with a
fixed name. wlid locates such a deployment where `bicep build` does (`resourceGroup().location` of the
deploying template) and ends its name with a hash of that resource group (`resourceGroup().id`, which
fixes its location); this rule reports a subscription-scope deployment whose name reads neither the
deploying resource group's ID nor the expression its `location` is made of.
"""

from __future__ import annotations

from typing import Any

from wlid_render.validate.arm_expressions import is_expression
from wlid_render.validate.arm_schema import nested_template_paths
from wlid_render.validate.finding import Finding
from wlid_render.validate.templates import top_templates
from wlid_render.validate.tree import RenderedTree

DEPLOYMENT_TYPE = "microsoft.resources/deployments"
SUBSCRIPTION_SCHEMA = "subscriptionDeploymentTemplate"


def at_subscription_scope(resource: dict[str, Any]) -> bool:
    """A nested deployment to a subscription: a subscription template, or subscriptionId without a group."""
    inner = (resource.get("properties") or {}).get("template")
    schema = str(inner.get("$schema", "")) if isinstance(inner, dict) else ""
    return SUBSCRIPTION_SCHEMA in schema or ("subscriptionId" in resource and "resourceGroup" not in resource)


def _location_body(value: Any) -> str | None:
    return value[1:-1].strip() if isinstance(value, str) and is_expression(value) else None


def check_placement(tree: RenderedTree) -> list[Finding]:
    findings: list[Finding] = []
    for top in top_templates(tree):
        doc = tree.json(top.json)
        if not isinstance(doc, dict):
            continue
        for prefix, template in nested_template_paths(doc):
            resources = template.get("resources")
            for i, resource in enumerate(resources if isinstance(resources, list) else []):
                if not isinstance(resource, dict) or str(resource.get("type", "")).lower() != DEPLOYMENT_TYPE:
                    continue
                if not at_subscription_scope(resource):
                    continue
                name = resource.get("name")
                location = _location_body(resource.get("location"))
                if isinstance(name, str) and is_expression(name) and location is not None:
                    text = name.replace(" ", "")
                    reads = [location.replace(" ", "")]
                    if location.replace(" ", "") == "resourceGroup().location":
                        reads.append("resourceGroup().id")
                    if any(r in text for r in reads):
                        continue
                path = (*prefix, "resources", i, "name")
                shown = location or repr(resource.get("location"))
                findings.append(
                    Finding(
                        tree.display(top.json),
                        tree.line_of(top.json, path),
                        "ARM009",
                        "error",
                        f"deployment {str(name)[:80]!r} runs at subscription scope (location {shown}) under a "
                        "name that does not change with its location: deploying it from another resource "
                        "group's region into the same subscription fails with InvalidDeploymentLocation; "
                        "end the name with uniqueString(resourceGroup().id)",
                    )
                )
    return findings
