"""Step 3, the identities of the environment: each with a federated credential per ServiceAccount bound
to it, its tags, and its role assignments (step 4, plan/steps/role_assignments.py)."""

from __future__ import annotations

from collections import defaultdict

from wlid_render.plan.model import (
    MAX_FICS_PER_IDENTITY,
    ClusterPlan,
    FederatedCredential,
    IdentityBindingPlan,
    IdentityPlan,
    ServiceAccountPlan,
)
from wlid_render.plan.names import (
    binding_deployment_name,
    binding_name,
    cluster_fic_name,
    deployment_name,
    derived_fic_name,
    placeholder_for,
)
from wlid_render.plan.steps.key_vaults import auto_grant_entries
from wlid_render.plan.steps.role_assignments import plan_role_assignments
from wlid_render.plan.steps.scope import Scope
from wlid_render.plan.tags import identity_tags


def plan_identities(
    scope: Scope, accounts: list[tuple[int, ServiceAccountPlan]], clusters: tuple[ClusterPlan, ...] = ()
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
        bound = by_identity.get(identity.name, [])
        binding = identity.federation == "identityBinding"
        credentials = () if binding else _credentials(scope, index, bound, clusters)
        bindings = _bindings(identity.name, clusters) if binding else ()
        tags, tag_problems = identity_tags(spec, index)
        scope.errors += tag_problems
        plan = IdentityPlan(
            name=identity.name,
            deployment_name=deployment_name(spec.metadata.name, identity.name),
            placeholder=placeholder_for(identity.name),
            credentials=credentials,
            role_deployments=plan_role_assignments(scope, index, auto.get(identity.name, ())),
            tags=tags,
            federation=identity.federation,
            bindings=bindings,
        )
        out.append((index, plan))
    return out


def _bindings(identity: str, clusters: tuple[ClusterPlan, ...]) -> tuple[IdentityBindingPlan, ...]:
    """One identity binding per cluster of the environment (the `cluster` one: None)."""
    name = binding_name(identity)
    return tuple(
        IdentityBindingPlan(name, binding_deployment_name(identity, cluster), cluster)
        for cluster in ([c.name for c in clusters] or [None])
    )


def _per_cluster(
    fics: list[FederatedCredential], clusters: tuple[ClusterPlan, ...]
) -> list[FederatedCredential]:
    """With a `clusters:` list, one credential per (ServiceAccount, cluster): `<name>-<cluster>`."""
    if not clusters:
        return fics
    return [
        fic._replace(name=cluster_fic_name(fic.name, c.name), cluster=c.name) for fic in fics for c in clusters
    ]


def _credentials(
    scope: Scope,
    index: int,
    accounts: list[tuple[int, ServiceAccountPlan]],
    clusters: tuple[ClusterPlan, ...] = (),
) -> tuple[FederatedCredential, ...]:
    """One federated credential per ServiceAccount of the identity (and cluster of a `clusters:` list),
    unique in name and subject."""
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
    credentials = _per_cluster(credentials, clusters)
    if len(credentials) > MAX_FICS_PER_IDENTITY:
        if len(clusters) > 1:
            scope.error(
                ("identities", index),
                f"environment {scope.env!r}: identity {identity.name!r} needs {len(credentials)} federated "
                f"credentials ({len(accounts)} ServiceAccounts x {len(clusters)} clusters: "
                f"{', '.join(c.name for c in clusters)}); Azure allows at most {MAX_FICS_PER_IDENTITY} "
                "per identity",
                "set federation: identityBinding on the identity (one AKS identity binding per cluster, "
                "no limit on ServiceAccounts or clusters), or split the ServiceAccounts over more identities",
            )
        else:
            scope.error(
                ("identities", index),
                f"identity {identity.name!r} has {len(credentials)} federated credentials; Azure allows "
                f"at most {MAX_FICS_PER_IDENTITY} per identity",
                "split the ServiceAccounts over more identities, or set federation: identityBinding",
            )
    return tuple(credentials)
