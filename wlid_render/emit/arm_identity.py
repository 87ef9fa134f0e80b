"""One identity in the ARM template: a nested deployment holding the identity, its federated identity
credentials one after another, and the deployments of its role assignments.
"""

from __future__ import annotations

from typing import Any

from wlid_render.emit import arm_expr as x
from wlid_render.emit.arm_bindings import binding_deployment, issuer_parameter, issuer_values
from wlid_render.emit.arm_cluster import cluster_deployment_id, issuer_expression
from wlid_render.emit.arm_roles import role_deployment
from wlid_render.emit.arm_template import (
    DEPLOYMENT_TYPE,
    FIC_TYPE,
    IDENTITY_TYPE,
    identity_id,
    nested_template,
    pass_through,
)
from wlid_render.plan.model import AUDIENCE, IdentityPlan, Plan


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
        depends = [x.expr(identity_id(identity))]
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
                    "issuer": x.expr(x.param(issuer_parameter(plan, fic.cluster))),
                    "subject": x.plain(fic.subject),
                    "audiences": [AUDIENCE],
                },
                "dependsOn": depends,
            }
        )
        previous = x.resource_id(FIC_TYPE, identity.name, fic.name)
    resources.extend(role_deployment(plan, identity, d) for d in identity.role_deployments)
    resources.extend(binding_deployment(plan, identity, b) for b in identity.bindings)
    ref = x.call("reference", identity_id(identity), x.lit(plan.identity_api))
    outputs = {
        key: {"type": "string", "value": x.expr(f"{ref}.{key}")}
        for key in ("clientId", "principalId", "tenantId")
    }
    parameters = {"location": {"type": "string"}, "issuer": {"type": "string"}}
    parameters |= {name: {"type": "string"} for name in identity.issuers}
    parameters |= {name: {"type": _param_type(plan, name)} for name in identity.template_parameters()}
    return nested_template(resources, parameters, outputs=outputs)


def _param_type(plan: Plan, name: str) -> str:
    return next(p.type for p in plan.parameters if p.name == name)


def identity_deployment(plan: Plan, identity: IdentityPlan, after_cluster: bool) -> dict[str, Any]:
    """The nested deployment of one identity; after the cluster step when the template has one."""
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
            | issuer_values(plan, identity)
            | pass_through(identity.template_parameters()),
            "template": _identity_template(plan, identity),
        },
    }
    if after_cluster:  # the issuer exists once the flags are on
        resource["dependsOn"] = [x.expr(cluster_deployment_id(plan))]
    return resource
