"""Several clusters and AKS identity bindings in the ARM template.

A cluster of a `clusters:` list is a literal resource (name, resource group, subscription): the main
template reads its issuer for each identity deployment whose credentials trust it (`issuer_<key>`),
only where the cluster exists (`if(<condition>, ..., '')`; ARM evaluates only the branch taken). An
identity in identityBinding mode gets, per cluster, a nested deployment in the cluster's resource
group holding one `Microsoft.ContainerService/managedClusters/identityBindings` resource; AKS then
makes (or reuses) the identity's one credential `aks-identity-binding` itself.
"""

from __future__ import annotations

from typing import Any

from wlid_render.emit import arm_expr as x
from wlid_render.emit.arm_cluster import ISSUER_OFF
from wlid_render.emit.arm_template import (
    BINDING_TYPE,
    CLUSTER_TYPE,
    DEPLOYMENT_TYPE,
    identity_id,
    nested_template,
)
from wlid_render.plan.model import ClusterPlan, IdentityBindingPlan, IdentityPlan, Plan

# The parameters of a binding's nested template.
BINDING_PARAMETERS = ("clusterName", "bindingName", "identityId")


def cluster_resource_id(cluster: ClusterPlan) -> str:
    return x.call(
        "resourceId",
        x.lit(cluster.subscription_id),
        x.lit(cluster.resource_group),
        x.lit(CLUSTER_TYPE),
        x.lit(cluster.name),
    )


def issuer_off(cluster: ClusterPlan) -> str:
    """The message of a deployment that finds a listed cluster's OIDC issuer off."""
    return ISSUER_OFF.replace("{0}", cluster.name).replace("{1}", cluster.resource_group)


def cluster_issuer(plan: Plan, cluster: ClusterPlan) -> str:
    """The issuer URL of one listed cluster: pinned, or read from it (failing plainly while it is off);
    '' in the environments that do not list it."""
    if cluster.oidc_issuer_url:
        read = x.lit(cluster.oidc_issuer_url)
    else:
        read = x.call(
            "coalesce",
            x.call(
                "tryGet",
                x.call("reference", cluster_resource_id(cluster), x.lit(plan.cluster_api)),
                x.lit("oidcIssuerProfile"),
                x.lit("issuerURL"),
            ),
            x.call("fail", x.lit(issuer_off(cluster))),
        )
    if cluster.condition:
        return x.call("if", x.param(cluster.condition), read, x.lit(""))
    return read


def issuer_values(plan: Plan, identity: IdentityPlan) -> dict[str, Any]:
    """The `issuer_<key>` parameters of an identity deployment whose FICs trust listed clusters."""
    by_parameter = {c.issuer_parameter: c for c in plan.clusters}
    return {name: {"value": x.expr(cluster_issuer(plan, by_parameter[name]))} for name in identity.issuers}


def listed_cluster(plan: Plan, name: str) -> ClusterPlan:
    """The cluster of a `clusters:` list by name (any case)."""
    return next(c for c in plan.clusters if c.name.lower() == name.lower())


def issuer_parameter(plan: Plan, cluster: str | None) -> str:
    """The identity template's parameter holding the issuer a FIC trusts."""
    return "issuer" if cluster is None else listed_cluster(plan, cluster).issuer_parameter


def binding_cluster(plan: Plan, binding: IdentityBindingPlan) -> ClusterPlan | None:
    return None if binding.cluster is None else listed_cluster(plan, binding.cluster)


def binding_deployment(plan: Plan, identity: IdentityPlan, binding: IdentityBindingPlan) -> dict[str, Any]:
    """The nested deployment of one identity binding, in the cluster's subscription and resource group."""
    cluster = binding_cluster(plan, binding)
    if cluster is None:  # the environment's `cluster`: template parameters
        sub, rg, name = (
            x.expr(x.param(p)) for p in ("clusterSubscriptionId", "clusterResourceGroup", "clusterName")
        )
    else:
        sub, rg, name = cluster.subscription_id, cluster.resource_group, cluster.name
    resource: dict[str, Any] = {"condition": x.expr(x.param(binding.condition))} if binding.condition else {}
    own = {
        "type": BINDING_TYPE,
        "apiVersion": plan.identity_binding_api,
        "name": x.expr(x.call("format", x.lit("{0}/{1}"), x.param("clusterName"), x.param("bindingName"))),
        "properties": {"managedIdentity": {"resourceId": x.expr(x.param("identityId"))}},
    }
    return resource | {
        "type": DEPLOYMENT_TYPE,
        "apiVersion": plan.deployment_api,
        "name": binding.deployment_name,
        "subscriptionId": sub,
        "resourceGroup": rg,
        "properties": {
            "expressionEvaluationOptions": {"scope": "Inner"},
            "mode": "Incremental",
            "parameters": {
                "clusterName": {"value": name},
                "bindingName": {"value": binding.name},
                "identityId": {"value": x.expr(identity_id(identity))},
            },
            "template": nested_template([own], {p: {"type": "string"} for p in BINDING_PARAMETERS}),
        },
        "dependsOn": [x.expr(identity_id(identity))],
    }
