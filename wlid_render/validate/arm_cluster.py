"""ARM007, ARM008: how a template writes an AKS cluster (Microsoft.ContainerService/managedClusters).

Enabling the OIDC issuer and workload identity through ARM means a PUT of the whole cluster, as read
back with `reference(..., 'Full')`. Done on every deployment, that rewrites the cluster each time: it
fails while an upgrade or scale runs (OperationNotAllowed), races the autoscaler over agent pool counts
(Azure/AKS#1627), and sends back what it read. wlid writes the cluster only as an opt-in, and only while
one of the two flags is off, with the newest stable API and everything it read copied:

* ARM007: a cluster written without a condition on its current flags (every deployment rewrites it).
  The condition must read, directly or through the template's variables, a parameter that the
  enclosing deployment fills from the cluster's `oidcIssuerProfile` or `workloadIdentity` flags.
* ARM008: a cluster written with an API version older than `CLUSTER_API` (the round trip drops the
  properties that version does not know: e.g. 2024-09-01 lacks sku Automatic, nodeProvisioningProfile,
  bootstrapProfile...), or without `extendedLocation` (a cluster in an edge zone loses it).
"""

from __future__ import annotations

from typing import Any

from wlid_render.formats import CLUSTER_API
from wlid_render.validate.arm_expressions import is_expression, scan
from wlid_render.validate.arm_template import CLUSTER_TYPE, JsonPath, template_file
from wlid_render.validate.finding import Finding
from wlid_render.validate.templates import top_templates
from wlid_render.validate.tree import RenderedTree

FLAGS = ("oidcIssuerProfile", "workloadIdentity")


def _read_names(value: Any, variables: dict[str, Any], seen: frozenset[str] = frozenset()) -> set[str]:
    """The parameters an expression reads, through the template's variables (each expanded once)."""
    if not isinstance(value, str) or not is_expression(value):
        return set()
    found = scan(value)
    names = set(found.parameters)
    for variable in found.variables:
        if variable not in seen and variable in variables:
            names |= _read_names(variables[variable], variables, seen | {variable})
    return names


def _reads_flags(argument: Any) -> bool:
    value = argument.get("value") if isinstance(argument, dict) else None
    return isinstance(value, str) and any(flag in value for flag in FLAGS)


def check_cluster_writes(tree: RenderedTree) -> list[Finding]:
    findings: list[Finding] = []
    for top in top_templates(tree):
        arm = template_file(tree, top.json)
        if arm is None:
            continue
        for template in arm.walk():
            for resource in template.members:
                if resource.type.lower() != CLUSTER_TYPE:
                    continue
                for rule, message, at in _cluster_issues(
                    resource.raw, template.variables, template.parent_arguments
                ):
                    line = tree.line_of(top.json, (*resource.path, *at))
                    findings.append(Finding(tree.display(top.json), line, rule, "error", message))
    return findings


def _cluster_issues(
    resource: dict[str, Any], variables: dict[str, Any], arguments: dict[str, Any]
) -> list[tuple[str, str, JsonPath]]:
    """(rule, message, path inside the resource) of each problem of one cluster resource."""
    out: list[tuple[str, str, JsonPath]] = []
    read = _read_names(resource.get("condition"), variables)
    if not any(_reads_flags(arguments.get(name)) for name in read):
        out.append(
            (
                "ARM007",
                "the template writes the AKS cluster on every deployment: its condition does not read the "
                "cluster's current oidcIssuerProfile/workloadIdentity flags, so each deployment PUTs the whole "
                "cluster again (OperationNotAllowed during upgrades, fights the autoscaler); write it only "
                "while a flag is off, or turn the flags on once with az aks update --enable-oidc-issuer "
                "--enable-workload-identity",
                (),
            )
        )
    api = str(resource.get("apiVersion", ""))
    if api < CLUSTER_API:
        out.append(
            (
                "ARM008",
                f"the AKS cluster is written back with API {api}, older than {CLUSTER_API}: the round trip "
                "drops every property that version does not know",
                ("apiVersion",),
            )
        )
    if "extendedLocation" not in resource:
        out.append(
            (
                "ARM008",
                "the AKS cluster is written back without extendedLocation: a cluster in an edge zone would "
                "lose it (copy it from what was read)",
                (),
            )
        )
    return out
