"""Plan -> a summary for people: per environment, the cluster and its issuer, each identity with its
federated credentials, role assignments, ServiceAccounts and workloads, and the warnings.

`environment_views` resolves the plan for one environment (values that differ between environments
are read from their template parameters); views/explain_text.py `explain_text` and views/mermaid.py
`explain_mermaid` lay the views out as text or as a Mermaid flowchart. Pure: no I/O.
"""


import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import NamedTuple

from wlid_render.errors import Problem
from wlid_render.plan.model import EnvironmentPlan, Parameter, ParamRef, Plan, Target, Value
from wlid_render.plan.targets import KIND_BY_TYPE

ISSUER_FROM_CLUSTER = "read from the cluster at deployment (oidcIssuerProfile.issuerURL)"


class CredentialView(NamedTuple):
    name: str
    subject: str
    cluster: str | None = None  # a cluster of a `clusters:` list; None: the environment's cluster
    issuer: str | None = None  # that cluster's pinned issuer


class RoleView(NamedTuple):
    role: str
    scope: str
    description: str | None = None
    role_id: str = ""  # the role definition's GUID
    scope_id: str = ""  # the scope's Azure resource ID in this environment


class VaultMountView(NamedTuple):
    """Key Vault objects a workload mounts through the Secrets Store CSI driver."""

    vault: str
    objects: tuple[str, ...]  # "secret db-password", "cert tls as tls.pem"
    mount_path: str
    secret_provider_class: str
    synced_secret: str | None = None

    @property
    def label(self) -> str:
        synced = f", synced to Secret {self.synced_secret}" if self.synced_secret else ""
        return (
            f"mounts key vault {self.vault} ({', '.join(self.objects)}) at {self.mount_path} "
            f"(SecretProviderClass {self.secret_provider_class}{synced})"
        )


class WorkloadView(NamedTuple):
    kind: str
    namespace: str
    name: str
    existing: bool = False
    vaults: tuple[VaultMountView, ...] = ()

    @property
    def label(self) -> str:
        suffix = " (existing, patched by a Component)" if self.existing else ""
        return f"{self.kind} {self.namespace}/{self.name}{suffix}"


class AccountView(NamedTuple):
    namespace: str
    name: str
    token_expiration: int | None
    workloads: tuple[WorkloadView, ...]

    @property
    def label(self) -> str:
        return f"{self.namespace}/{self.name}"


class IdentityView(NamedTuple):
    name: str
    client_id: str  # the pinned client ID or the Flux placeholder
    pinned: bool
    credentials: tuple[CredentialView, ...]
    roles: tuple[RoleView, ...]
    accounts: tuple[AccountView, ...]
    federation: str = "credentials"
    bindings: tuple[tuple[str, str, str], ...] = ()  # (binding name, cluster, its resource group)


class EnvironmentView(NamedTuple):
    name: str
    cluster: str
    cluster_resource_group: str
    cluster_subscription_id: str
    enables_workload_identity: bool
    issuer: str | None  # pinned issuer URL; None: read from the cluster
    resource_group: str
    subscription_id: str
    location: str
    identities: tuple[IdentityView, ...]
    warnings: tuple[Problem, ...] = ()
    deploy: str = "group"  # azure.deploy: "group" (incremental deployment) or "stack"
    clusters: tuple[tuple[str, str], ...] = ()  # (name, resource group) of a `clusters:` list


def environment_views(
    plan: Plan, env: str | None = None, warnings: Sequence[Problem] | None = None
) -> list[EnvironmentView]:
    """Every environment of the plan (or only `env`; KeyError naming the choices when it has none).

    `warnings` default to the plan's; a warning that names another environment is left out.
    """
    by_name = plan.environments_by_name
    if env is not None and env not in by_name:
        raise KeyError(f"no environment {env!r}; the spec has: {', '.join(by_name)}")
    chosen = plan.environments if env is None else (by_name[env],)
    found = plan.warnings if warnings is None else warnings
    # Warnings sorted by the environment they are about once, not once per environment: a spec has
    # a warning per environment (its client IDs), so filtering all of them for each grows quadratically.
    shared: list[int] = []
    own: dict[str, list[int]] = defaultdict(list)
    for i, warning in enumerate(found):
        about = _environment_of(warning)
        (shared if about is None else own[about]).append(i)
    return [_view(plan, e, tuple(found[i] for i in sorted(shared + own.get(e.name, [])))) for e in chosen]


def _view(plan: Plan, env: EnvironmentPlan, warnings: tuple[Problem, ...]) -> EnvironmentView:
    client_ids = dict(env.client_ids)
    parameters = {p.name: p for p in plan.parameters}
    workloads: dict[tuple[str, str], list[WorkloadView]] = defaultdict(list)
    for w in env.workloads:
        vaults = tuple(
            VaultMountView(
                m.vault_name,
                tuple(f"{o.type} {o.name}" + (f" as {o.alias}" if o.alias else "") for o in m.objects),
                m.mount_path,
                m.class_name,
                m.sync_secret,
            )
            for m in w.key_vaults
        )
        workloads[(w.namespace, w.service_account)].append(
            WorkloadView(w.kind, w.namespace, w.name, w.existing, vaults)
        )
    accounts: dict[str, list[AccountView]] = defaultdict(list)
    for a in env.service_accounts:
        accounts[a.identity].append(
            AccountView(a.namespace, a.name, a.token_expiration, tuple(workloads[(a.namespace, a.name)]))
        )
    identities = []
    listed = {c.name.lower(): c for c in env.clusters}
    for identity in plan.identities:
        if identity.name not in client_ids:
            continue  # not deployed in this environment
        present = {(a.namespace, a.name) for a in accounts[identity.name]}
        # a binding to a cluster of the environment's `clusters:` list, or to its one `cluster`
        bindings = tuple(
            (b.name, c.name, c.resource_group)
            if (c := listed.get(b.cluster.lower()) if b.cluster else None)
            else (b.name, env.cluster_name, env.cluster_resource_group)
            for b in identity.bindings
            if (b.cluster.lower() in listed if b.cluster else not env.clusters)
        )
        identities.append(
            IdentityView(
                name=identity.name,
                client_id=client_ids[identity.name],
                pinned=identity.name in env.pinned,
                credentials=tuple(
                    CredentialView(
                        c.name,
                        c.subject,
                        c.cluster,
                        listed[c.cluster.lower()].oidc_issuer_url if c.cluster else None,
                    )
                    for c in identity.credentials
                    if (c.namespace, c.service_account) in present
                    and (c.cluster.lower() in listed if c.cluster else not env.clusters)
                ),
                roles=tuple(
                    RoleView(
                        a.role_name,
                        _scope(parameters, env, a.target),
                        a.description,
                        a.role_id,
                        _scope_id(parameters, env, a.target),
                    )
                    for d in identity.role_deployments
                    for a in d.assignments
                ),
                accounts=tuple(accounts[identity.name]),
                federation=identity.federation,
                bindings=bindings,
            )
        )
    return EnvironmentView(
        name=env.name,
        cluster=env.cluster_name,
        cluster_resource_group=env.cluster_resource_group,
        cluster_subscription_id=env.cluster_subscription_id,
        enables_workload_identity=env.enable_workload_identity,
        issuer=env.oidc_issuer_url,
        resource_group=env.resource_group,
        subscription_id=env.subscription_id,
        location=env.location,
        identities=tuple(identities),
        warnings=warnings,
        deploy=env.deploy,
        clusters=tuple((c.name, c.resource_group) for c in env.clusters),
    )


def _environment_of(warning: Problem) -> str | None:
    """The environment a warning is about (plan warnings about one start with its name), or None."""
    match = re.match(r"environment '([^']*)'", warning.message)
    return None if match is None else match.group(1)


def _resolve(parameters: Mapping[str, Parameter], env: str, value: Value | None) -> str | None:
    """A literal as it is; a per-environment value from its template parameter."""
    if isinstance(value, ParamRef):
        return str(parameters[value.name].value(env))
    return value


def _scope(parameters: Mapping[str, Parameter], env: EnvironmentPlan, target: Target) -> str:
    """The role target in this environment, for people: what, where."""
    sub = _resolve(parameters, env.name, target.subscription_id)
    where = f", subscription {sub}" if sub and sub.lower() != env.subscription_id else ""
    if target.kind == "subscription":
        return f"subscription {sub or env.subscription_id}"
    rg = _resolve(parameters, env.name, target.resource_group) or env.resource_group
    if target.kind == "resourceGroup":
        return f"resource group {rg}{where}"
    known = KIND_BY_TYPE.get(target.resource_type.lower())
    kind = known.label if known else target.resource_type
    return f"{kind} {_resolve(parameters, env.name, target.resource_name)} (resource group {rg}{where})"


def _scope_id(parameters: Mapping[str, Parameter], env: EnvironmentPlan, target: Target) -> str:
    """The role target's Azure resource ID in this environment (nested types interleave their names)."""
    sub = _resolve(parameters, env.name, target.subscription_id) or env.subscription_id
    if target.kind == "subscription":
        return f"/subscriptions/{sub}"
    rg = _resolve(parameters, env.name, target.resource_group) or env.resource_group
    group = f"/subscriptions/{sub}/resourceGroups/{rg}"
    if target.kind == "resourceGroup":
        return group
    namespace, *types = target.resource_type.split("/")
    names = str(_resolve(parameters, env.name, target.resource_name)).split("/")
    steps = "/".join(f"{t}/{n}" for t, n in zip(types, names, strict=False))
    return f"{group}/providers/{namespace}/{steps}"
