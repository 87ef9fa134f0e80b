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


def _read_issuer(plan: Plan) -> str:
    """The cluster's issuer URL, or a deployment error naming the one-time fix when the issuer is off.

    `tryGet` answers null when `oidcIssuerProfile.issuerURL` is missing (the issuer was never turned
    on), and `coalesce` evaluates `fail()` only then (Bicep: `.?` and `??`, which compile to these).
    """
    read = x.call(
        "tryGet",
        x.call("reference", _cluster_id(), x.lit(plan.cluster_api)),
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
    variables: dict[str, Any] | None = None,
) -> dict[str, Any]:
    template: dict[str, Any] = {"$schema": schema, "contentVersion": "1.0.0.0", "parameters": parameters}
    if variables:
        template["variables"] = variables
    template["resources"] = resources
    if outputs:
        template["outputs"] = outputs
    return template


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


def _cluster_update(plan: Plan) -> dict[str, Any]:
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
    read = x.call("reference", _cluster_id(), x.lit(plan.cluster_api))
    full = x.call("reference", _cluster_id(), x.lit(plan.cluster_api), x.lit("Full"))
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
            "template": _template([inner_cluster], inner_params, variables=_cluster_variables()),
        },
    }


def _identity_template(plan: Plan, identity: IdentityPlan) -> dict[str, Any]:
    """The nested template of one identity: the identity, its FICs one after another, its roles."""
    own: dict[str, Any] = {
        "type": IDENTITY_TYPE,
        "apiVersion": plan.identity_api,
        "name": identity.name,
        "location": x.expr(x.param("location")),
    }
    if identity.tags:  # the deployment writes exactly these (ARM replaces a resource's tags)
        own["tags"] = {name: x.json_value(value) for name, value in identity.tags}
    own["properties"] = {}
    resources: list[dict[str, Any]] = [own]
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


# A deployment at subscription scope has a location, and a name used again in the same subscription
# with another location fails (InvalidDeploymentLocation). Its location is the identities' resource
# group's, as `bicep build` writes for a module at subscription scope in a resource-group file, and its
# name ends with a hash of that resource group, whose location is that location: environments (or
# specs) whose identities live in other resource groups never share such a deployment. Bicep writes
# the same name as '<base>-${uniqueString(resourceGroup().id)}'. (Not `resourceGroup().location` in
# the hash: outside a parameter's default value the Bicep linter warns about it,
# no-loc-expr-outside-params; a resource group's location is fixed by its ID anyway.)
SUBSCRIPTION_DEPLOYMENT_LOCATION = "resourceGroup().location"
PLACEMENT_HASH = "uniqueString(resourceGroup().id)"


def deployment_name_value(deployment: RoleDeployment) -> str:
    """The JSON value of a role deployment's name: literal, or with the placement hash at subscription scope."""
    if not deployment.at_subscription:
        return deployment.name
    return x.expr(x.call("format", x.lit(deployment.name_base() + "-{0}"), PLACEMENT_HASH))


def _role_deployment(plan: Plan, identity: IdentityPlan, deployment: RoleDeployment) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "type": DEPLOYMENT_TYPE,
        "apiVersion": plan.deployment_api,
        "name": deployment_name_value(deployment),
    }
    if deployment.subscription_id:
        resource["subscriptionId"] = x.json_value(deployment.subscription_id)
    elif deployment.at_subscription:  # without it, a nested deployment lands in the resource group
        resource["subscriptionId"] = x.expr("subscription().subscriptionId")
    if deployment.resource_group:
        resource["resourceGroup"] = x.json_value(deployment.resource_group)
    if deployment.at_subscription:
        resource["location"] = x.expr(SUBSCRIPTION_DEPLOYMENT_LOCATION)
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
