"""The ARM template vocabulary the emitters share: schemas, resource types, and nested templates.

A nested deployment (the cluster step, an identity, its role assignments) carries its own template
with inner-scoped parameters (`expressionEvaluationOptions.scope: Inner`); `nested_template` is its
skeleton and `pass_through` hands it parameters of the outer template under the same names.
"""

from __future__ import annotations

from typing import Any

from wlid_render.emit import arm_expr as x
from wlid_render.plan.model import IdentityPlan

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
BINDING_TYPE = "Microsoft.ContainerService/managedClusters/identityBindings"


def identity_id(identity: IdentityPlan) -> str:
    """The resource ID of an identity, as its own deployment's resources reach it."""
    return x.resource_id(IDENTITY_TYPE, identity.name)


def nested_template(
    resources: list[dict[str, Any]],
    parameters: dict[str, Any],
    schema: str = TEMPLATE_SCHEMA,
    outputs: dict[str, Any] | None = None,
    variables: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The template of a nested deployment: its parameters, variables, resources and outputs."""
    template: dict[str, Any] = {"$schema": schema, "contentVersion": "1.0.0.0", "parameters": parameters}
    if variables:
        template["variables"] = variables
    template["resources"] = resources
    if outputs:
        template["outputs"] = outputs
    return template


def pass_through(names: tuple[str, ...]) -> dict[str, Any]:
    """Parameters handed unchanged to a nested template that declares them under the same names."""
    return {name: {"value": x.expr(x.param(name))} for name in names}
