"""The role assignments a plan deploys in one environment, as Azure names them. Pure.

wlid's templates name each assignment `guid(<scope ID>, <principal ID>, <role definition ID>)`, the
scope and role definition evaluated inside the nested deployment at the target's subscription and
resource group (emit/arm_roles.py). ARM's `guid()` is a version-5 (SHA-1, name-based) UUID in the namespace
11fb06fb-712d-4ddd-98c7-e71bbd588830 over the arguments joined with '-'; Azure Verified Modules'
Terraform role-assignment modules compute template-compatible names the same way. `az role assignment
create` and the portal name assignments with random (version-4) UUIDs.

Azure refuses a second assignment of one role to one principal at one scope (RoleAssignmentExists):
an assignment that exists under another name than the template's makes the deployment fail. Drift
reports it before deployment.
"""

from __future__ import annotations

import uuid
from typing import NamedTuple

from wlid_render.plan.model import EnvironmentPlan, IdentityPlan, ParamRef, Plan, Target, Value

ARM_GUID_NAMESPACE = uuid.UUID("11fb06fb-712d-4ddd-98c7-e71bbd588830")
ROLE_DEFINITIONS = "Microsoft.Authorization/roleDefinitions"


class PlannedAssignment(NamedTuple):
    scope: str  # the full ID of the target in this environment
    subscription_id: str  # where the nested deployment runs (the role definition's subscription)
    role_guid: str
    role_name: str
    label: str  # for people: "Key Vault Secrets User on key vault kv-app"

    def role_definition_id(self) -> str:
        return f"/subscriptions/{self.subscription_id}/providers/{ROLE_DEFINITIONS}/{self.role_guid}"

    def template_name(self, principal_id: str) -> str:
        """The name wlid's template gives this assignment for `principal_id`."""
        return arm_guid(self.scope, principal_id.lower(), self.role_definition_id())


def arm_guid(*parts: str) -> str:
    """ARM's `guid(part, ...)`."""
    return str(uuid.uuid5(ARM_GUID_NAMESPACE, "-".join(parts)))


def made_by_a_template(name: str) -> bool:
    """Whether an assignment name is a `guid()` of some template (a version-5 UUID)."""
    try:
        return uuid.UUID(name).version == 5
    except ValueError:
        return False


def _value(plan: Plan, env: EnvironmentPlan, value: Value | None) -> str | None:
    if isinstance(value, ParamRef):
        return str(next(p for p in plan.parameters if p.name == value.name).value(env.name))
    return value


def scope_id(plan: Plan, env: EnvironmentPlan, target: Target) -> tuple[str, str]:
    """(full ID of the target, its subscription) in `env`."""
    sub = (_value(plan, env, target.subscription_id) or env.subscription_id).lower()
    if target.kind == "subscription":
        return f"/subscriptions/{sub}", sub
    rg = _value(plan, env, target.resource_group) or env.resource_group
    base = f"/subscriptions/{sub}/resourceGroups/{rg}"
    if target.kind == "resourceGroup":
        return base, sub
    namespace, *types = target.resource_type.split("/")
    names = str(_value(plan, env, target.resource_name)).split("/")
    path = [namespace, types[0], names[0]]
    for kind, name in zip(types[1:], names[1:], strict=False):
        path += [kind, name]
    return f"{base}/providers/{'/'.join(path)}", sub


def planned_assignments(plan: Plan, env: EnvironmentPlan, identity: IdentityPlan) -> list[PlannedAssignment]:
    out = []
    for deployment in identity.role_deployments:
        for assignment in deployment.assignments:
            scope, sub = scope_id(plan, env, assignment.target)
            out.append(
                PlannedAssignment(
                    scope,
                    sub,
                    assignment.role_id.lower(),
                    assignment.role_name,
                    f"{assignment.role_name} on {assignment.target.label}",
                )
            )
    return out


def planned_subscriptions(plan: Plan, env: EnvironmentPlan) -> tuple[str, ...]:
    """Every subscription where the plan grants roles in `env` (to read assignments there)."""
    subs = {
        a.subscription_id
        for identity in plan.identities
        if identity.name in dict(env.client_ids)
        for a in planned_assignments(plan, env, identity)
    }
    return tuple(sorted(subs - {env.subscription_id.lower()}))
