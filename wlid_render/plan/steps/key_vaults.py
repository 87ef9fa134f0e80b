"""The Azure side of `keyVaultSecrets`: the role assignments `grant: auto` adds to the identity of the
workload's ServiceAccount (part of step 4), and, once every step ran, the proof that each mounted object
is readable: the identity holds, on that vault, a role whose data actions cover the object's type
(plan/keyvault_roles.py). Both work on one environment, with `${env}` and `${vars.*}` resolved."""

from __future__ import annotations

from collections.abc import Iterable

from wlid_render.errors import Path, Problem
from wlid_render.keyvault_access import DATA_ACTIONS, least_privileged, role_grants
from wlid_render.plan.keyvault import vault_target
from wlid_render.plan.keyvault_roles import Vault, covers
from wlid_render.plan.model import (
    EnvironmentPlan,
    IdentityPlan,
    KeyVaultMountPlan,
    RoleAssignment,
    ServiceAccountPlan,
    WorkloadPlan,
)
from wlid_render.plan.roles import is_builtin
from wlid_render.plan.steps.scope import Scope
from wlid_render.plan.targets import TargetError, assignment_key
from wlid_render.spec.models import KeyVaultSecrets

AutoEntry = tuple[int, int, KeyVaultSecrets]  # (workload index, entry index, entry)


def auto_grant_entries(scope: Scope) -> dict[str, tuple[AutoEntry, ...]]:
    """Identity -> the `grant: auto` entries of this environment's workloads whose ServiceAccount
    (exactly one here) is bound to it. One pass over the workloads and ServiceAccounts."""
    spec = scope.spec
    wanted = [
        (i, w)
        for i, w in enumerate(spec.workloads)
        if any(e.grant == "auto" for e in w.keyVaultSecrets)
        and (w.environments is None or scope.env in w.environments)
    ]
    if not wanted:
        return {}
    accounts: dict[str, list[tuple[str, str]]] = {}  # name -> (namespace, identity) here
    for a in spec.serviceAccounts:
        if a.environments is None or scope.env in a.environments:
            accounts.setdefault(a.name, []).append((a.namespace, a.identity))
    out: dict[str, list[AutoEntry]] = {}
    for i, workload in wanted:
        found = {
            identity
            for namespace, identity in accounts.get(workload.serviceAccount, [])
            if workload.namespace is None or namespace == workload.namespace
        }
        if len(found) == 1:  # else the workload step reports the ServiceAccount
            entries = [(i, j, e) for j, e in enumerate(workload.keyVaultSecrets) if e.grant == "auto"]
            out.setdefault(found.pop(), []).extend(entries)
    return {identity: tuple(entries) for identity, entries in out.items()}


def auto_assignments(
    scope: Scope, index: int, entries: Iterable[AutoEntry], seen: dict[tuple[str, str], int]
) -> list[RoleAssignment]:
    """The role assignments `grant: auto` adds to `identities[index]`: the least-privileged built-in role
    for the entry's object types, on the vault. One the identity's roles already hold is not added
    twice. Their index follows the identity's own roles, in workload and entry order, so that it is
    the same in every environment."""
    identity = scope.spec.identities[index]
    out = []
    for k, (i, j, entry) in enumerate(entries):
        path: Path = ("workloads", i, "keyVaultSecrets", j)
        workload = scope.spec.workloads[i]
        if workload.environments is not None and set(workload.environments) != set(
            identity.environments or scope.declared
        ):
            scope.error(
                (*path, "grant"),
                f"grant: auto needs workload {workload.name!r} in every environment of identity "
                f"{identity.name!r}",
                "grant the role under the identity's roles instead",
            )
            continue
        try:
            target = vault_target(entry)
        except TargetError:
            continue  # reported with the workload
        name, guid = least_privileged(frozenset(o.type for o in entry.objects))
        key = assignment_key(target, guid)
        if key in seen:
            continue
        seen[key] = len(identity.roles) + k
        description = f"Key Vault objects mounted by workload {workload.name} (grant: auto)"
        out.append(RoleAssignment(name, guid, target, description, len(identity.roles) + k))
    return out


def check_key_vaults(
    scope: Scope,
    environment: EnvironmentPlan,
    identities: list[tuple[int, IdentityPlan]],
    accounts: list[tuple[int, ServiceAccountPlan]],
    workloads: list[WorkloadPlan],
) -> None:
    """The tenant the SecretProviderClasses need, and each mounted object readable by the identity."""
    users = [w for w in workloads if w.key_vaults]
    if not users:
        return
    if environment.tenant_id is None:
        env = scope.spec.environments.get(scope.env) if scope.spec.environments else None
        scope.error(
            ("workloads", users[0].index, "keyVaultSecrets"),
            f"environment {scope.env!r}: keyVaultSecrets needs the vault's tenant: set azure.tenantId"
            + (f" (or environments.{scope.env}.azure.tenantId)" if env is not None else ""),
            "the Secrets Store CSI provider reads tenantId from the SecretProviderClass",
        )
    by_account = {(a.namespace, a.name): a.identity for _, a in accounts}
    plans = {plan.name: (i, plan) for i, plan in identities}
    home = (environment.subscription_id, environment.resource_group)
    for workload in users:
        identity = by_account.get((workload.namespace, workload.service_account))
        if identity is None or identity not in plans:
            continue  # the workload step reports a missing ServiceAccount
        index, plan = plans[identity]
        assignments = [a for d in plan.role_deployments for a in d.assignments]
        for mount in workload.key_vaults:
            _check_mount(scope, workload, mount, (index, identity), assignments, home)


def _check_mount(
    scope: Scope,
    workload: WorkloadPlan,
    mount: KeyVaultMountPlan,
    identity: tuple[int, str],
    assignments: list[RoleAssignment],
    home: tuple[str, str],
) -> None:
    path: Path = ("workloads", workload.index, "keyVaultSecrets", mount.index)
    vault = Vault(mount.subscription_id or home[0], mount.resource_group or home[1], mount.vault_name)
    missing: list[tuple[str, str]] = []
    unproven: set[str] = set()
    for obj in mount.objects:
        action = DATA_ACTIONS[obj.type]
        holds = False
        for a in assignments:
            if not covers(a.target, vault, obj.type, obj.name, home):
                continue
            granted = role_grants(a.role_id, action, is_builtin(a.role_id))
            if granted:
                holds = True
                break
            if granted is None:
                unproven.add(a.role_id)
        if not holds:
            missing.append((obj.type, obj.name))
    if missing and unproven:
        scope.warn(
            "W300",
            path,
            f"identity {identity[1]!r} holds custom role {', '.join(sorted(unproven))} on {vault.label}; "
            "wlid cannot tell whether it reads " + ", ".join(f"{t} {n}" for t, n in missing),
            "a built-in role proves access at render time (e.g. "
            f"{least_privileged(frozenset(t for t, _ in missing))[0]})",
        )
        return
    if missing:
        role, _ = least_privileged(frozenset(t for t, _ in missing))
        needs = sorted({DATA_ACTIONS[t] for t, _ in missing})
        ref = mount.vault_name
        if mount.resource_group is not None:
            sub = f", subscriptionId: {mount.subscription_id}" if mount.subscription_id else ""
            ref = f"{{name: {ref}, resourceGroup: {mount.resource_group}{sub}}}"
        scope.error(
            path,
            f"identity {identity[1]!r} cannot read {', '.join(f'{t} {n}' for t, n in missing)} from "
            f"{vault.label}: none of its roles grants {' and '.join(needs)} there",
            f"add {{role: {role}, keyVault: {ref}}} to identities[{identity[0]}].roles, or set "
            "grant: auto on this entry",
        )


def differing_component_mounts(envs: list[EnvironmentPlan]) -> list[Problem]:
    """An existing workload gets one Component for every environment (emit/components.py): its CSI
    volumes and mounts must be the same in each."""
    first: dict[tuple[str, str, str], tuple[str, tuple]] = {}
    errors = []
    for env in envs:
        for w in env.workloads:
            if not (w.existing and w.key_vaults):
                continue
            mounts = tuple((m.class_name, m.volume_name, m.mount_path, m.containers) for m in w.key_vaults)
            seen = first.setdefault((w.kind, w.namespace, w.name), (env.name, mounts))
            if seen[1] != mounts:
                errors.append(
                    Problem(
                        f"the keyVaultSecrets mounts of existing workload {w.name!r} differ between "
                        f"environments {seen[0]!r} and {env.name!r} (one Component patches it in all)",
                        ("workloads", w.index, "keyVaultSecrets"),
                        hint="set mountPath (and name) to values without ${env}",
                    )
                )
    return errors
