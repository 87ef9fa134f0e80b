"""Step 3, the identities of the environment: each with a federated credential per ServiceAccount bound
to it, its tags, and its role assignments (step 4, plan/steps/role_assignments.py)."""

from __future__ import annotations

from collections import defaultdict

from wlid_render.plan.model import (
    MAX_FICS_PER_IDENTITY,
    FederatedCredential,
    IdentityPlan,
    ServiceAccountPlan,
)
from wlid_render.plan.names import deployment_name, derived_fic_name, placeholder_for
from wlid_render.plan.steps.key_vaults import auto_grant_entries
from wlid_render.plan.steps.role_assignments import plan_role_assignments
from wlid_render.plan.steps.scope import Scope
from wlid_render.plan.tags import identity_tags


def plan_identities(
    scope: Scope, accounts: list[tuple[int, ServiceAccountPlan]]
) -> list[tuple[int, IdentityPlan]]:
    """(position in the spec, plan) of each identity this environment has."""
    spec = scope.spec
    by_identity: dict[str, list[tuple[int, ServiceAccountPlan]]] = defaultdict(list)
    for i, account in accounts:
        by_identity[account.identity].append((i, account))
    auto = auto_grant_entries(scope)
    out = []
    for index, identity in enumerate(spec.identities):
        if not scope.deployed(identity.environments, ("identities", index)):
            continue
        credentials = _credentials(scope, index, by_identity.get(identity.name, []))
        tags, tag_problems = identity_tags(spec, index)
        scope.errors += tag_problems
        plan = IdentityPlan(
            name=identity.name,
            deployment_name=deployment_name(spec.metadata.name, identity.name),
            placeholder=placeholder_for(identity.name),
            credentials=credentials,
            role_deployments=plan_role_assignments(scope, index, auto.get(identity.name, ())),
            tags=tags,
        )
        out.append((index, plan))
    return out


def _credentials(
    scope: Scope, index: int, accounts: list[tuple[int, ServiceAccountPlan]]
) -> tuple[FederatedCredential, ...]:
    """One federated credential per ServiceAccount of the identity, unique in name and subject."""
    identity = scope.spec.identities[index]
    credentials = []
    names: dict[str, int] = {}
    subjects: dict[str, int] = {}
    for i, account in accounts:
        given = scope.spec.serviceAccounts[i].federatedCredentialName
        fic = FederatedCredential(
            name=given or derived_fic_name(account.namespace, account.name),
            namespace=account.namespace,
            service_account=account.name,
        )
        if fic.name.lower() in names:
            scope.error(
                ("serviceAccounts", i, "federatedCredentialName" if given else "name"),
                f"federated credential name {fic.name!r} is already used on identity "
                f"{identity.name!r} by serviceAccounts[{names[fic.name.lower()]}]",
                "FIC names are unique per identity",
            )
        if fic.subject in subjects:
            scope.error(
                ("serviceAccounts", i),
                f"identity {identity.name!r} already trusts {fic.subject} from this cluster "
                f"(serviceAccounts[{subjects[fic.subject]}])",
                "Azure refuses a second FIC with the same issuer and subject",
            )
        names[fic.name.lower()] = i
        subjects[fic.subject] = i
        credentials.append(fic)
    if len(credentials) > MAX_FICS_PER_IDENTITY:
        scope.error(
            ("identities", index),
            f"identity {identity.name!r} has {len(credentials)} federated credentials; Azure allows "
            f"at most {MAX_FICS_PER_IDENTITY} per identity",
            "split the ServiceAccounts over more identities",
        )
    return tuple(credentials)
