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
from wlid_render.validate.arm_template import ArmDeployment, template_file
from wlid_render.validate.finding import Finding
from wlid_render.validate.templates import top_templates
from wlid_render.validate.tree import RenderedTree


def at_subscription_scope(deployment: ArmDeployment) -> bool:
    """A nested deployment to a subscription: a subscription template, or subscriptionId without a group."""
    raw = deployment.resource.raw
    inner = deployment.template
    return (inner is not None and inner.target_scope == "subscription") or (
        "subscriptionId" in raw and "resourceGroup" not in raw
    )


def _location_body(value: Any) -> str | None:
    return value[1:-1].strip() if isinstance(value, str) and is_expression(value) else None


def check_placement(tree: RenderedTree) -> list[Finding]:
    findings: list[Finding] = []
    for top in top_templates(tree):
        arm = template_file(tree, top.json)
        if arm is None:
            continue
        for template in arm.walk():
            for deployment in template.deployments:
                if not at_subscription_scope(deployment):
                    continue
                resource = deployment.resource.raw
                name = resource.get("name")
                location = _location_body(resource.get("location"))
                if isinstance(name, str) and is_expression(name) and location is not None:
                    text = name.replace(" ", "")
                    reads = [location.replace(" ", "")]
                    if location.replace(" ", "") == "resourceGroup().location":
                        reads.append("resourceGroup().id")
                    if any(r in text for r in reads):
                        continue
                path = (*deployment.resource.path, "name")
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
