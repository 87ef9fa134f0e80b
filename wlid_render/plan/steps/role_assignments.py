"""Step 4, the role assignments of an identity: each grant resolved to a role definition and a target,
checked, and grouped into one nested deployment per target scope."""

from __future__ import annotations

from functools import partial

from wlid_render.errors import Path
from wlid_render.formats import privileged_roles
from wlid_render.plan.merge import group_roles
from wlid_render.plan.model import RoleAssignment, RoleDeployment, Target
from wlid_render.plan.roles import builtin_roles, resolve_role
from wlid_render.plan.steps.key_vaults import AutoEntry, auto_assignments
from wlid_render.plan.steps.scope import Scope
from wlid_render.plan.targets import TARGET_KEYS, TargetError, assignment_key, target_of
from wlid_render.spec.models import RoleGrant
from wlid_render.suggest import did_you_mean


def plan_role_assignments(
    scope: Scope, index: int, auto: tuple[AutoEntry, ...] = ()
) -> tuple[RoleDeployment, ...]:
    """The role deployments of `identities[index]`, planned once for the environments where the
    identity is the same (its roles, their targets and its name). `auto`: the keyVaultSecrets
    entries with grant: auto of its workloads (plan/steps/key_vaults.py)."""
    identity = scope.spec.identities[index]
    part = (identity, auto) if auto else identity
    return scope.shared.made(("roles", index), part, partial(_role_deployments, scope, index, auto))


def _role_deployments(scope: Scope, index: int, auto: tuple[AutoEntry, ...]) -> tuple[RoleDeployment, ...]:
    identity = scope.spec.identities[index]
    assignments: list[RoleAssignment] = []
    seen: dict[tuple[str, str], int] = {}
    for j, grant in enumerate(identity.roles):
        path = ("identities", index, "roles", j)
        resolved = resolve_role(grant.role)
        if resolved is None:
            guess = did_you_mean(grant.role, builtin_roles())
            scope.error(
                (*path, "role"),
                f"unknown role {grant.role!r}",
                f"did you mean {guess}?" if guess else "use a built-in role name or a role-definition GUID",
            )
        try:
            target = target_of(grant)
        except TargetError as exc:
            scope.error(path, str(exc))
            continue
        if resolved is None:
            continue
        name, guid = resolved
        _privilege(scope, path, grant, name, guid, target)
        key = assignment_key(target, guid)
        if key in seen:
            scope.error(path, f"role {name!r} on {target.label} is granted twice (also roles[{seen[key]}])")
            continue
        seen[key] = j
        assignments.append(RoleAssignment(name, guid, target, grant.description, j))
    assignments += auto_assignments(scope, index, auto, seen)
    return tuple(group_roles(scope.spec.metadata.name, identity.name, assignments))


def _privilege(scope: Scope, path: Path, grant: RoleGrant, name: str, guid: str, target: Target) -> None:
    """W004 and W005: the least-privilege findings of `wlid validate` (LP001, LP002), at the role's
    line in the spec, from the same table of broad roles."""
    broad = privileged_roles().get(guid.lower())
    if broad is not None:
        scope.warn(
            "W004",
            (*path, "role"),
            f"role {name!r} {broad['why']}",
            "grant a narrower role, e.g. a data-plane role on the one resource",
        )
    if target.kind in ("subscription", "resourceGroup"):
        key = next(k for k in TARGET_KEYS if getattr(grant, k) is not None)
        scope.warn(
            "W005",
            (*path, key),
            f"role {name!r} is granted on a whole {'subscription' if target.kind == 'subscription' else 'resource group'}",
            "grant it on the one resource instead, with keyVault, storageAccount, ... or resourceId, "
            "where that is enough",
        )
