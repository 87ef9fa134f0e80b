"""Plan -> ARM JSON: the deployment template (resource-group scope) and one parameters file per environment.

Templates are built as data and serialised with `to_json`. The layout follows what `bicep build` writes
for the same deployment in main.bicep (classic, non-symbolic template; child names as format()). The
top-level template and the parameters files are built here; the nested deployments in
`arm_cluster` (the opt-in cluster step), `arm_identity` (one per identity) and `arm_roles` (its role
assignments), on the vocabulary of `arm_template`.
"""

from __future__ import annotations

from typing import Any

from wlid_render.emit import arm_expr as x
from wlid_render.emit.arm_bindings import cluster_issuer
from wlid_render.emit.arm_cluster import cluster_update, issuer_expression
from wlid_render.emit.arm_identity import identity_deployment
from wlid_render.emit.arm_template import CLUSTER_TYPE, DEPLOYMENT_TYPE, PARAMETERS_SCHEMA, TEMPLATE_SCHEMA
from wlid_render.emit.artifact import Artifact, to_json
from wlid_render.plan.model import AzureDeployment, Plan


def _parameters(deployment: AzureDeployment) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for p in deployment.parameters:
        entry: dict[str, Any] = {"type": p.type}
        if p.default is not None:
            entry["defaultValue"] = p.default
        entry["metadata"] = {"description": p.description}
        out[p.name] = entry
    return out


def _output_read(nested: str, condition: str | None, key: str) -> str:
    """An output of an identity deployment; '' where a condition leaves the deployment out.

    Bicep writes `<module>.?outputs.<key> ?? ''` for a conditional module (a plain `.outputs` is BCP318:
    "may be null at the start of the deployment"), and `bicep build` compiles that to
    `coalesce(tryGet(if(<condition>, reference(<deployment>), null()), 'outputs', '<key>', 'value'), '')`.
    """
    if condition is None:
        return f"{nested}.outputs.{key}.value"
    guarded = x.call("if", x.param(condition), nested, "null()")
    return x.call(
        "coalesce", x.call("tryGet", guarded, x.lit("outputs"), x.lit(key), x.lit("value")), x.lit("")
    )


def _outputs(plan: Plan, deployment: AzureDeployment) -> dict[str, Any]:
    identities = {}
    for identity in deployment.identities:
        nested = x.call(
            "reference", x.resource_id(DEPLOYMENT_TYPE, identity.deployment_name), x.lit(plan.deployment_api)
        )
        identities[identity.name] = {
            key: x.expr(_output_read(nested, identity.condition, key))
            for key in ("clientId", "principalId", "tenantId")
        }
    outputs: dict[str, Any] = {}
    if deployment.outputs_identities:
        outputs["identities"] = {"type": "object", "value": identities}
    outputs["oidcIssuerUrl"] = {"type": "string", "value": x.expr(issuer_expression(plan))}
    if plan.clusters and deployment.stem == "main":  # each listed cluster's issuer ('' where unlisted)
        outputs["clusterIssuers"] = {
            "type": "object",
            "value": {c.name: x.expr(cluster_issuer(plan, c)) for c in plan.clusters},
        }
    return outputs


def template(plan: Plan, deployment: AzureDeployment | None = None) -> dict[str, Any]:
    """The template of one top-level deployment (by default the first, `main`)."""
    deployment = deployment or plan.deployments[0]
    resources: list[dict[str, Any]] = []
    if deployment.cluster_update:
        resources.append(cluster_update(plan))
    resources.extend(identity_deployment(plan, i, deployment.cluster_update) for i in deployment.identities)
    doc: dict[str, Any] = {
        "$schema": TEMPLATE_SCHEMA,
        "contentVersion": "1.0.0.0",
        "metadata": {"_generator": {"name": "wlid", "spec": plan.name}},
        "parameters": _parameters(deployment),
        "variables": {
            "clusterId": x.expr(
                x.call(
                    "resourceId",
                    x.param("clusterSubscriptionId"),
                    x.param("clusterResourceGroup"),
                    x.lit(CLUSTER_TYPE),
                    x.param("clusterName"),
                )
            )
        },
        "resources": resources,
        "outputs": _outputs(plan, deployment),
    }
    return doc


# Parameter-file values are taken as they are: ARM evaluates expressions in templates, not in the
# values of a deployment's parameters, and `bicep build-params` writes a .bicepparam string as it is
# (Azure/bicep, src/Bicep.Core/Emit/ParametersJsonWriter.cs: `value.WriteTo`); the template escape
# `[[` would reach the template with both brackets. See docs/azure-resources.md, "Parameters". Nothing
# but `value` either: the schema allows a parameter's `metadata`, ARM refuses it ("Could not find
# member 'metadata' on object of type 'DeploymentParameterDefinition'", Azure/azure-cli#12009).
def parameters_file(plan: Plan, env: str, deployment: AzureDeployment | None = None) -> dict[str, Any]:
    values = {p.name: {"value": p.value(env)} for p in (deployment or plan.deployments[0]).parameters}
    return {"$schema": PARAMETERS_SCHEMA, "contentVersion": "1.0.0.0", "parameters": values}


TARGETS = "azure/targets.json"
TARGETS_ABOUT = (
    "Where each environment's top-level deployments go (az deployment group create --subscription "
    "--resource-group): its identities live there. wlid validate reads it to compare environments that "
    "share a resource group."
)


def targets_file(plan: Plan) -> dict[str, Any]:
    """The subscription and resource group of each environment's deployments (azure/targets.json)."""
    environments = {
        e.name: {"subscriptionId": e.subscription_id, "resourceGroup": e.resource_group}
        for e in plan.environments
    }
    return {"about": TARGETS_ABOUT, "environments": environments}


def emit_arm(plan: Plan) -> list[Artifact]:
    """One template per top-level deployment, its parameters file per environment, and the targets."""
    artifacts = [Artifact(TARGETS, to_json(targets_file(plan)))]
    for deployment in plan.deployments:
        artifacts.append(Artifact(deployment.template_path(), to_json(template(plan, deployment))))
        for env in plan.environments:
            artifacts.append(
                Artifact(
                    deployment.parameters_path(env.name),
                    to_json(parameters_file(plan, env.name, deployment)),
                )
            )
    return artifacts
