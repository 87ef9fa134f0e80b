"""The cluster in the ARM template: reading its OIDC issuer, and the opt-in cluster step that turns the
OIDC issuer and workload identity on (`cluster.enableWorkloadIdentity`).
"""

from __future__ import annotations

from typing import Any

from wlid_render.emit import arm_expr as x
from wlid_render.emit.arm_template import CLUSTER_TYPE, DEPLOYMENT_TYPE, nested_template
from wlid_render.plan.model import Plan


def cluster_deployment_name(plan: Plan) -> str:
    return f"wlid-cluster-{plan.name}"


def cluster_id() -> str:
    return x.variable("clusterId")


def _read_issuer(plan: Plan) -> str:
    """The cluster's issuer URL, or a deployment error naming the one-time fix when the issuer is off.

    `tryGet` answers null when `oidcIssuerProfile.issuerURL` is missing (the issuer was never turned
    on), and `coalesce` evaluates `fail()` only then (Bicep: `.?` and `??`, which compile to these).
    """
    read = x.call(
        "tryGet",
        x.call("reference", cluster_id(), x.lit(plan.cluster_api)),
        x.lit("oidcIssuerProfile"),
        x.lit("issuerURL"),
    )
    message = x.call("format", x.lit(ISSUER_OFF), x.param("clusterName"), x.param("clusterResourceGroup"))
    return x.call("coalesce", read, x.call("fail", message))


def issuer_expression(plan: Plan) -> str:
    read = _read_issuer(plan)
    if plan.pins_issuer:
        pinned = x.param("oidcIssuerUrl")
        return x.call("if", x.call("empty", pinned), read, pinned)
    return read


# The message of a deployment that finds the cluster's OIDC issuer off ({0}: cluster, {1}: its group).
ISSUER_OFF = (
    "The OIDC issuer of AKS cluster {0} is off, so it has no issuer URL to trust. Turn it and workload "
    "identity on once: az aks update --resource-group {1} --name {0} --enable-oidc-issuer "
    "--enable-workload-identity (this restarts the API server), or opt in with "
    "cluster.enableWorkloadIdentity: true."
)


def cluster_deployment_id(plan: Plan) -> str:
    scope = x.call(
        "format",
        x.lit("/subscriptions/{0}/resourceGroups/{1}"),
        x.param("clusterSubscriptionId"),
        x.param("clusterResourceGroup"),
    )
    return x.call("extensionResourceId", scope, x.lit(DEPLOYMENT_TYPE), x.lit(cluster_deployment_name(plan)))


# Why the opt-in cluster step refuses to write a cluster ({0}: the cluster's name). A write of the whole
# cluster while an operation runs on it or on a node pool fails with OperationNotAllowed or races that
# operation; a stopped cluster cannot be updated. See docs/azure-resources.md, "The cluster step".
REFUSAL_ADVICE = (
    " Deploy again later, or turn the flags on once with az aks update --enable-oidc-issuer "
    "--enable-workload-identity."
)
CLUSTER_REFUSALS = {
    "provisioning": "AKS cluster {0} is not in provisioning state Succeeded (an upgrade, scale or other "
    "operation is running, or the last one failed): wlid does not write a cluster then." + REFUSAL_ADVICE,
    "pools": "A node pool of AKS cluster {0} is not in provisioning state Succeeded (an operation is "
    "running on it): wlid does not write the cluster then." + REFUSAL_ADVICE,
    "stopped": "AKS cluster {0} is stopped: wlid does not write a stopped cluster." + REFUSAL_ADVICE,
}


def _not_succeeded(value: str) -> str:
    return x.call("not", x.call("equals", value, x.lit("Succeeded")))


def _cluster_variables() -> dict[str, Any]:
    """The inner template's variables, as the Bicep module declares them."""
    props = f"{x.param('current')}.properties"
    pools = x.call("coalesce", x.call("tryGet", props, x.lit("agentPoolProfiles")), x.call("createArray"))
    pool = x.call("lambdaVariables", x.lit("pool"))
    busy = x.call("lambda", x.lit("pool"), _not_succeeded(x.call("tryGet", pool, x.lit("provisioningState"))))

    def message(key: str) -> str:
        return x.call("format", x.lit(CLUSTER_REFUSALS[key]), x.param("clusterName"))

    stopped = x.call("equals", x.call("tryGet", props, x.lit("powerState"), x.lit("code")), x.lit("Stopped"))
    refusal = x.call(
        "if",
        x.call("not", x.variable("needsWrite")),
        x.lit(""),
        x.call(
            "if",
            _not_succeeded(x.call("tryGet", props, x.lit("provisioningState"))),
            message("provisioning"),
            x.call(
                "if",
                x.call("greater", x.call("length", x.variable("busyPools")), "0"),
                message("pools"),
                x.call("if", stopped, message("stopped"), x.lit("")),
            ),
        ),
    )
    return {
        "needsWrite": x.expr(
            x.call("not", x.call("and", x.param("oidcIssuerEnabled"), x.param("workloadIdentityEnabled")))
        ),
        "busyPools": x.expr(x.call("filter", pools, busy)),
        "refusal": x.expr(refusal),
    }


def cluster_update(plan: Plan) -> dict[str, Any]:
    """The opt-in cluster step: turn on the OIDC issuer and workload identity while one of them is off.

    The outer template reads the cluster (API `plan.cluster_api`) and passes its current flags and the
    resource as it is into this nested deployment, where the cluster resource has the condition "a
    flag is off": once both are on, the deployment writes nothing. ARM PUT replaces a resource's body,
    so the write sends the cluster back as it was read (location, extendedLocation, tags, sku, kind,
    identity and properties, with the two flags merged in by union()), with the API version it was read
    with, and is refused (fail()) while the cluster or a node pool is busy or the cluster is stopped.
    """
    current = x.param("current")
    flags = x.call(
        "createObject",
        x.lit("oidcIssuerProfile"),
        x.call("createObject", x.lit("enabled"), "true()"),
        x.lit("securityProfile"),
        x.call(
            "createObject",
            x.lit("workloadIdentity"),
            x.call("createObject", x.lit("enabled"), "true()"),
        ),
    )
    properties = x.call(
        "if",
        x.call("empty", x.variable("refusal")),
        x.call("union", f"{current}.properties", flags),
        x.call("fail", x.variable("refusal")),
    )
    inner_cluster: dict[str, Any] = {
        "condition": x.expr(x.variable("needsWrite")),
        "type": CLUSTER_TYPE,
        "apiVersion": plan.cluster_api,
        "name": x.expr(x.param("clusterName")),
        "location": x.expr(f"{current}.location"),
        "extendedLocation": x.expr(x.call("tryGet", current, x.lit("extendedLocation"))),
        "tags": x.expr(x.call("tryGet", current, x.lit("tags"))),
        "sku": x.expr(x.call("tryGet", current, x.lit("sku"))),
        "kind": x.expr(x.call("tryGet", current, x.lit("kind"))),
        "identity": x.expr(x.call("tryGet", current, x.lit("identity"))),
        "properties": x.expr(properties),
    }
    inner_params = {
        "clusterName": {"type": "string"},
        "oidcIssuerEnabled": {"type": "bool"},
        "workloadIdentityEnabled": {"type": "bool"},
        "current": {"type": "object"},
    }
    read = x.call("reference", cluster_id(), x.lit(plan.cluster_api))
    full = x.call("reference", cluster_id(), x.lit(plan.cluster_api), x.lit("Full"))
    values: dict[str, Any] = {
        "clusterName": x.expr(x.param("clusterName")),
        "oidcIssuerEnabled": x.expr(
            x.call(
                "coalesce", x.call("tryGet", read, x.lit("oidcIssuerProfile"), x.lit("enabled")), "false()"
            )
        ),
        "workloadIdentityEnabled": x.expr(
            x.call(
                "coalesce",
                x.call("tryGet", read, x.lit("securityProfile"), x.lit("workloadIdentity"), x.lit("enabled")),
                "false()",
            )
        ),
        "current": {  # the cluster as it is, as Bicep passes `{location: cluster.location, ...}`
            "location": x.expr(f"{full}.location"),
            "extendedLocation": x.expr(x.call("tryGet", full, x.lit("extendedLocation"))),
            "kind": x.expr(x.call("tryGet", full, x.lit("kind"))),
            "sku": x.expr(x.call("tryGet", full, x.lit("sku"))),
            "tags": x.expr(x.call("tryGet", full, x.lit("tags"))),
            "identity": x.expr(x.call("tryGet", full, x.lit("identity"))),
            "properties": x.expr(read),
        },
    }
    return {
        "condition": x.expr(x.param("enableWorkloadIdentity")),
        "type": DEPLOYMENT_TYPE,
        "apiVersion": plan.deployment_api,
        "name": cluster_deployment_name(plan),
        "subscriptionId": x.expr(x.param("clusterSubscriptionId")),
        "resourceGroup": x.expr(x.param("clusterResourceGroup")),
        "properties": {
            "expressionEvaluationOptions": {"scope": "Inner"},
            "mode": "Incremental",
            "parameters": {name: {"value": value} for name, value in values.items()},
            "template": nested_template([inner_cluster], inner_params, variables=_cluster_variables()),
        },
    }
