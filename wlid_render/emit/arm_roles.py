"""The role assignments of an identity in the ARM template: one nested deployment per target
subscription and resource group (`RoleDeployment`), each assigning the identity's principal its roles.
"""

from __future__ import annotations

from typing import Any

from wlid_render.emit import arm_expr as x
from wlid_render.emit.arm_template import (
    DEPLOYMENT_TYPE,
    ROLE_TYPE,
    SUBSCRIPTION_TEMPLATE_SCHEMA,
    TEMPLATE_SCHEMA,
    identity_id,
    nested_template,
    pass_through,
)
from wlid_render.plan.model import IdentityPlan, Plan, RoleAssignment, RoleDeployment, Target


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


def role_deployment(plan: Plan, identity: IdentityPlan, deployment: RoleDeployment) -> dict[str, Any]:
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
    principal = f"{x.call('reference', identity_id(identity), x.lit(plan.identity_api))}.principalId"
    schema = SUBSCRIPTION_TEMPLATE_SCHEMA if deployment.at_subscription else TEMPLATE_SCHEMA
    resource["properties"] = {
        "expressionEvaluationOptions": {"scope": "Inner"},
        "mode": "Incremental",
        "parameters": {"principalId": {"value": x.expr(principal)}}
        | pass_through(deployment.template_parameters()),
        "template": nested_template(
            [_role_assignment(plan, a) for a in deployment.assignments],
            {"principalId": {"type": "string"}}
            | {name: {"type": "string"} for name in deployment.template_parameters()},
            schema=schema,
        ),
    }
    resource["dependsOn"] = [x.expr(identity_id(identity))]
    return resource
