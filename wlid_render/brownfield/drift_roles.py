"""The role assignments of a spec's identity compared with those its principal holds in Azure. Pure."""

from __future__ import annotations

from wlid_render.brownfield.drift_report import Difference
from wlid_render.brownfield.state import IdentityState
from wlid_render.plan.model import EnvironmentPlan, IdentityPlan, Plan


def role_differences(
    plan: Plan, env: EnvironmentPlan, identity: IdentityPlan, existing: IdentityState
) -> list[Difference]:
    """Role assignments of the spec compared with those the identity's principal holds."""
    from wlid_render.brownfield.roles import made_by_a_template, planned_assignments

    principal = existing.principal_id or ""
    held = {(r.scope.lower(), r.role_guid): r for r in existing.role_assignments or ()}
    out: list[Difference] = []
    matched: set[str] = set()
    for planned in planned_assignments(plan, env, identity):
        current = held.get((planned.scope.lower(), planned.role_guid))
        if current is None:
            out.append(
                Difference(
                    "missing-role",
                    identity.name,
                    None,
                    f"{planned.label} ({planned.scope}) is not assigned yet: the deployment creates it",
                )
            )
            continue
        matched.add(current.id.lower())
        expected = planned.template_name(principal)
        if current.name.lower() == expected:
            continue
        if made_by_a_template(current.name):
            out.append(
                Difference(
                    "role-exists",
                    identity.name,
                    None,
                    f"{planned.label} exists as {current.id}, named by another template (wlid's would be "
                    f"{expected}): if that template is not this spec's, the deployment fails with "
                    "RoleAssignmentExists; delete it (az role assignment delete --ids ...) before deploying",
                    "warning",
                )
            )
        else:
            out.append(
                Difference(
                    "role-exists",
                    identity.name,
                    None,
                    f"{planned.label} was assigned by hand ({current.id}): the deployment fails with "
                    f"RoleAssignmentExists; delete it first (az role assignment delete --ids {current.id}), "
                    "the deployment creates it again under its own name",
                    "error",
                )
            )
    for current in existing.role_assignments or ():
        if current.id.lower() in matched:
            continue
        out.append(
            Difference(
                "extra-role",
                identity.name,
                None,
                f"holds role definition {current.role_guid} on {current.scope} ({current.id}), which the spec "
                "does not grant: made by hand, or left behind when it left the spec (plain deployments never "
                "delete; azure.deploy: stack does); add it to the spec or delete it",
            )
        )
    return out
