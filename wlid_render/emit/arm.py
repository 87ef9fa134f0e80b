"""Plan -> ARM JSON: the deployment template (resource-group scope) and one parameters file per environment.

Templates are built as data and serialised with `to_json`. The layout follows what `bicep build` writes
for the same deployment in main.bicep (classic, non-symbolic template; child names as format()).
"""

from __future__ import annotations

from typing import Any

from wlid_render.emit import arm_expr as x
from wlid_render.emit.artifact import Artifact, to_json
from wlid_render.plan.model import (
    AUDIENCE,
    AzureDeployment,
    IdentityPlan,
    Plan,
    RoleAssignment,
    RoleDeployment,
    Target,
)

TEMPLATE_SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
SUBSCRIPTION_TEMPLATE_SCHEMA = (
    "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#"
)
PARAMETERS_SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#"
IDENTITY_TYPE = "Microsoft.ManagedIdentity/userAssignedIdentities"
FIC_TYPE = "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials"
CLUSTER_TYPE = "Microsoft.ContainerService/managedClusters"
DEPLOYMENT_TYPE = "Microsoft.Resources/deployments"
ROLE_TYPE = "Microsoft.Authorization/roleAssignments"


def cluster_deployment_name(plan: Plan) -> str:
    return f"wlid-cluster-{plan.name}"


def _cluster_id() -> str:
    return x.variable("clusterId")


def issuer_expression(plan: Plan) -> str:
    read = f"{x.call('reference', _cluster_id(), x.lit(plan.cluster_api))}.oidcIssuerProfile.issuerURL"
    if plan.pins_issuer:
        pinned = x.param("oidcIssuerUrl")
        return x.call("if", x.call("empty", pinned), read, pinned)
    return read


def _identity_id(identity: IdentityPlan) -> str:
    return x.resource_id(IDENTITY_TYPE, identity.name)


def _cluster_deployment_id(plan: Plan) -> str:
    scope = x.call(
        "format",
        x.lit("/subscriptions/{0}/resourceGroups/{1}"),
        x.param("clusterSubscriptionId"),
        x.param("clusterResourceGroup"),
    )
    return x.call("extensionResourceId", scope, x.lit(DEPLOYMENT_TYPE), x.lit(cluster_deployment_name(plan)))


def _template(
    resources: list[dict[str, Any]],
    parameters: dict[str, Any],
    schema: str = TEMPLATE_SCHEMA,
    outputs: dict[str, Any] | None = None,
) -> dict[str, Any]:
    template: dict[str, Any] = {"$schema": schema, "contentVersion": "1.0.0.0", "parameters": parameters}
    template["resources"] = resources
    if outputs:
        template["outputs"] = outputs
    return template


def _cluster_update(plan: Plan) -> dict[str, Any]:
    """Turn on the OIDC issuer and workload identity, keeping every other setting of the cluster.

    ARM PUT replaces the whole resource body, so the nested deployment is fed the cluster as it is
    (reference(..., 'Full')) and writes it back with the two flags merged in by union().
    """
    full = x.call("reference", _cluster_id(), x.lit(plan.cluster_api), x.lit("Full"))
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
    inner_cluster: dict[str, Any] = {
        "type": CLUSTER_TYPE,
        "apiVersion": plan.cluster_api,
        "name": x.expr(x.param("clusterName")),
        "location": x.expr(x.param("location")),
        "tags": x.expr(x.param("tags")),
        "sku": x.expr(x.param("sku")),
        "identity": x.expr(x.param("identity")),
        "properties": x.expr(x.call("union", x.param("properties"), flags)),
    }
    own_id = x.call("resourceId", x.lit(CLUSTER_TYPE), x.param("clusterName"))
    outputs = {
        "oidcIssuerUrl": {
            "type": "string",
            "value": x.expr(
                f"{x.call('reference', own_id, x.lit(plan.cluster_api))}.oidcIssuerProfile.issuerURL"
            ),
        }
    }
    inner_params = {
        "clusterName": {"type": "string"},
        "location": {"type": "string"},
        "tags": {"type": "object"},
        "sku": {"type": "object"},
        "identity": {"type": "object"},
        "properties": {"type": "object"},
    }
    values = {
        "clusterName": x.expr(x.param("clusterName")),
        "location": x.expr(f"{full}.location"),
        "tags": x.expr(x.call("coalesce", x.call("tryGet", full, x.lit("tags")), x.call("createObject"))),
        "sku": x.expr(f"{full}.sku"),
        "identity": x.expr(
            x.call(
                "coalesce",
                x.call("tryGet", full, x.lit("identity")),
                x.call("createObject", x.lit("type"), x.lit("None")),
            )
        ),
        "properties": x.expr(x.call("reference", _cluster_id(), x.lit(plan.cluster_api))),
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
            "template": _template([inner_cluster], inner_params, outputs=outputs),
        },
    }


def _identity_template(plan: Plan, identity: IdentityPlan) -> dict[str, Any]:
    """The nested template of one identity: the identity, its FICs one after another, its roles."""
    resources: list[dict[str, Any]] = [
        {
            "type": IDENTITY_TYPE,
            "apiVersion": plan.identity_api,
            "name": identity.name,
            "location": x.expr(x.param("location")),
            "properties": {},
        }
    ]
    previous: str | None = None
    for fic in identity.credentials:
        depends = [x.expr(_identity_id(identity))]
        if previous:  # one FIC at a time per identity: Azure answers 409 to parallel writes
            depends.append(x.expr(previous))
        resource: dict[str, Any] = {"condition": x.expr(x.param(fic.condition))} if fic.condition else {}
        resources.append(
            resource
            | {
                "type": FIC_TYPE,
                "apiVersion": plan.identity_api,
                "name": x.expr(x.call("format", x.lit("{0}/{1}"), x.lit(identity.name), x.lit(fic.name))),
                "properties": {
                    "issuer": x.expr(x.param("issuer")),
                    "subject": x.plain(fic.subject),
                    "audiences": [AUDIENCE],
                },
                "dependsOn": depends,
            }
        )
        previous = x.resource_id(FIC_TYPE, identity.name, fic.name)
    resources.extend(_role_deployment(plan, identity, d) for d in identity.role_deployments)
    ref = x.call("reference", _identity_id(identity), x.lit(plan.identity_api))
    outputs = {
        key: {"type": "string", "value": x.expr(f"{ref}.{key}")}
        for key in ("clientId", "principalId", "tenantId")
    }
    parameters = {"location": {"type": "string"}, "issuer": {"type": "string"}}
    parameters |= {name: {"type": _param_type(plan, name)} for name in identity.template_parameters()}
    return _template(resources, parameters, outputs=outputs)


def _param_type(plan: Plan, name: str) -> str:
    return next(p.type for p in plan.parameters if p.name == name)


def _pass_through(names: tuple[str, ...]) -> dict[str, Any]:
    """Parameters handed unchanged to a nested template that declares them under the same names."""
    return {name: {"value": x.expr(x.param(name))} for name in names}


def _identity(plan: Plan, identity: IdentityPlan, after_cluster: bool) -> dict[str, Any]:
    resource: dict[str, Any] = (
        {"condition": x.expr(x.param(identity.condition))} if identity.condition else {}
    )
    resource |= {
        "type": DEPLOYMENT_TYPE,
        "apiVersion": plan.deployment_api,
        "name": identity.deployment_name,
        "properties": {
            "expressionEvaluationOptions": {"scope": "Inner"},
            "mode": "Incremental",
            "parameters": {
                "location": {"value": x.expr(x.param("location"))},
                "issuer": {"value": x.expr(issuer_expression(plan))},
            }
            | _pass_through(identity.template_parameters()),
            "template": _identity_template(plan, identity),
        },
    }
    if after_cluster:  # the issuer exists once the flags are on
        resource["dependsOn"] = [x.expr(_cluster_deployment_id(plan))]
    return resource


def _scope_id(target: Target) -> str:
    """The target's full ID, evaluated inside the nested deployment (its own scope)."""
    if target.kind == "subscription":
        return "subscription().id"
    if target.kind == "resourceGroup":
        return "resourceGroup().id"
    return x.call(
        "resourceId",
        x.lit(target.resource_type),
        *x.name_segments(target.resource_type, target.resource_name),
    )


def _role_assignment(plan: Plan, assignment: RoleAssignment) -> dict[str, Any]:
    role_definition = x.call(
        "subscriptionResourceId", x.lit("Microsoft.Authorization/roleDefinitions"), x.lit(assignment.role_id)
    )
    resource: dict[str, Any] = {
        "type": ROLE_TYPE,
        "apiVersion": plan.role_assignment_api,
        "name": x.expr(x.call("guid", _scope_id(assignment.target), x.param("principalId"), role_definition)),
    }
    if assignment.target.kind == "resource":
        resource["scope"] = x.scope_path(assignment.target.resource_type, assignment.target.resource_name)
    properties: dict[str, Any] = {
        "roleDefinitionId": x.expr(role_definition),
        "principalId": x.expr(x.param("principalId")),
        "principalType": "ServicePrincipal",
    }
    if assignment.description is not None:
        properties["description"] = x.plain(assignment.description)
    resource["properties"] = properties
    return resource


def _role_deployment(plan: Plan, identity: IdentityPlan, deployment: RoleDeployment) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "type": DEPLOYMENT_TYPE,
        "apiVersion": plan.deployment_api,
        "name": deployment.name,
    }
    if deployment.subscription_id:
        resource["subscriptionId"] = x.json_value(deployment.subscription_id)
    elif deployment.at_subscription:  # without it, a nested deployment lands in the resource group
        resource["subscriptionId"] = x.expr("subscription().subscriptionId")
    if deployment.resource_group:
        resource["resourceGroup"] = x.json_value(deployment.resource_group)
    if deployment.at_subscription:
        resource["location"] = x.expr(x.param("location"))
    principal = f"{x.call('reference', _identity_id(identity), x.lit(plan.identity_api))}.principalId"
    schema = SUBSCRIPTION_TEMPLATE_SCHEMA if deployment.at_subscription else TEMPLATE_SCHEMA
    resource["properties"] = {
        "expressionEvaluationOptions": {"scope": "Inner"},
        "mode": "Incremental",
        "parameters": {"principalId": {"value": x.expr(principal)}}
        | _pass_through(deployment.template_parameters()),
        "template": _template(
            [_role_assignment(plan, a) for a in deployment.assignments],
            {"principalId": {"type": "string"}}
            | {name: {"type": "string"} for name in deployment.template_parameters()},
            schema=schema,
        ),
    }
    resource["dependsOn"] = [x.expr(_identity_id(identity))]
    return resource


def _parameters(deployment: AzureDeployment) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for p in deployment.parameters:
        entry: dict[str, Any] = {"type": p.type}
        if p.default is not None:
            entry["defaultValue"] = p.default
        entry["metadata"] = {"description": p.description}
        out[p.name] = entry
    return out


def _outputs(plan: Plan, deployment: AzureDeployment) -> dict[str, Any]:
    identities = {}
    for identity in deployment.identities:
        nested = x.call(
            "reference", x.resource_id(DEPLOYMENT_TYPE, identity.deployment_name), x.lit(plan.deployment_api)
        )
        identities[identity.name] = {
            key: x.expr(
                x.call("if", x.param(identity.condition), f"{nested}.outputs.{key}.value", x.lit(""))
                if identity.condition
                else f"{nested}.outputs.{key}.value"
            )
            for key in ("clientId", "principalId", "tenantId")
        }
    outputs: dict[str, Any] = {}
    if deployment.outputs_identities:
        outputs["identities"] = {"type": "object", "value": identities}
    outputs["oidcIssuerUrl"] = {"type": "string", "value": x.expr(issuer_expression(plan))}
    return outputs


def template(plan: Plan, deployment: AzureDeployment | None = None) -> dict[str, Any]:
    """The template of one top-level deployment (by default the first, `main`)."""
    deployment = deployment or plan.deployments[0]
    resources: list[dict[str, Any]] = []
    if deployment.cluster_update:
        resources.append(_cluster_update(plan))
    resources.extend(_identity(plan, i, deployment.cluster_update) for i in deployment.identities)
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


def parameters_file(plan: Plan, env: str, deployment: AzureDeployment | None = None) -> dict[str, Any]:
    values = {}
    for p in (deployment or plan.deployments[0]).parameters:
        value = p.value(env)
        values[p.name] = {"value": x.plain(value) if isinstance(value, str) else value}
    return {"$schema": PARAMETERS_SCHEMA, "contentVersion": "1.0.0.0", "parameters": values}


def emit_arm(plan: Plan) -> list[Artifact]:
    """One template per top-level deployment, and its parameters file per environment."""
    artifacts = []
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
