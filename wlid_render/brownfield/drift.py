"""A spec's identities and FICs for one environment, compared with what exists in Azure. Pure.

Differences (`Difference`), each with a kind, a severity, the identity, the FIC (or None) and a
message; a `DriftReport` holds them as its `findings`:

| kind             | severity              | meaning                                                       |
|------------------|-----------------------|---------------------------------------------------------------|
| missing-identity | drift                 | in the spec, not in Azure: the deployment creates it          |
| missing-fic      | drift                 | in the spec, not on the identity: the deployment creates it   |
| fic-issuer       | drift                 | same FIC name, another issuer: the deployment rewrites it     |
| fic-subject      | drift                 | same FIC name, another subject: the deployment rewrites it    |
| fic-audience     | drift                 | same FIC name, other audiences: the deployment rewrites them  |
| extra-fic        | drift                 | a FIC trusting the cluster that the spec lacks (made by hand) |
| foreign-fic      | info (strict: drift)  | a FIC of another issuer (GitHub Actions, another cluster)     |
| conflict         | error                 | same issuer and subject under another name: deployment fails  |
| full             | warning / error       | 20 FICs after the deployment / more than 20 (it fails)        |
| location         | error                 | the identity exists in another region: deployment fails       |
| client-id        | error                 | the pinned client ID is not the identity's                    |
| cluster          | drift / warning / err | the cluster's OIDC issuer or workload identity is off         |
| cluster-issuer   | error                 | the pinned oidcIssuerUrl is not the cluster's issuer          |
| reset            | warning               | tags or isolationScope that a deployment resets               |
| missing-role     | drift                 | a role assignment of the spec not in Azure: the deployment creates it |
| role-exists      | error / warning       | same role and scope under another name: RoleAssignmentExists  |
| extra-role       | drift                 | an assignment of the identity the spec lacks (by hand, or left behind) |

With a `clusters:` list, every cluster the environment lists is checked (drift_clusters.py), each FIC
is compared with the issuer of its own cluster, and identity bindings are compared cluster by cluster.

`has_drift` is true when a difference is of severity drift or error. Identities of the resource group
that the spec does not name are not wlid's and not reported. Role assignments are compared when they
were read (`IdentityState.role_assignments` is not None): by scope and role definition, ignoring case;
an existing one under another name than the template's (`roles.PlannedAssignment.template_name`) is
an error when its name is a random UUID (made by az or the portal), a warning when another template
made it.
"""

from __future__ import annotations

from wlid_render.brownfield.drift_clusters import cluster_issuers, cluster_read
from wlid_render.brownfield.drift_report import Difference, DriftReport
from wlid_render.brownfield.drift_roles import role_differences
from wlid_render.brownfield.state import AzureState, ClusterState, FicState, IdentityState
from wlid_render.plan.model import (
    AUDIENCE,
    MAX_FICS_PER_IDENTITY,
    EnvironmentPlan,
    FederatedCredential,
    IdentityPlan,
    Plan,
)

CONFLICT_MESSAGE = "Issuer and subject combination already exists for this Managed Identity"


def drift(plan: Plan, env: str, state: AzureState, *, strict: bool = False) -> DriftReport:
    """Compare the identities and FICs that `plan` deploys in environment `env` with `state`.

    `state` is what exists in the environment's resource group, with its cluster when it was read
    (see azure.read_environment_state). `strict`: FICs of other issuers count as drift too.
    KeyError (naming the known environments) when the plan has no environment `env`.
    """
    from wlid_render.views.az import environment

    target = environment(plan, env)
    findings: list[Difference] = []
    issuers = cluster_issuers(target, state, findings)
    identities = [i for i in plan.identities if _included(plan, i.condition, env)]
    credentials = 0
    for identity in identities:
        existing = state.identity(identity.name)
        planned = [c for c in identity.credentials if _included(plan, c.condition, env)]
        credentials += len(planned)
        if existing is None:
            findings.append(
                Difference(
                    "missing-identity",
                    identity.name,
                    None,
                    f"not in resource group {state.resource_group}: the deployment creates it"
                    + (f" with {len(planned)} federated credential(s)" if planned else ""),
                )
            )
            continue
        findings += _identity(identity, planned, existing, target, issuers, strict)
        for name in target.cluster_names():
            findings += _bindings(plan, env, identity, cluster_read(target, state, name))
        if existing.role_assignments is not None and existing.principal_id:
            findings += role_differences(plan, target, identity, existing)
    return DriftReport(
        environment=env,
        subscription_id=state.subscription_id,
        resource_group=state.resource_group,
        findings=tuple(findings),
        identities=len(identities),
        credentials=credentials,
    )


AKS_FIC = "aks-identity-binding"  # the FIC AKS makes for an identity's bindings (never wlid's)


def _bindings(plan: Plan, env: str, identity: IdentityPlan, cluster: ClusterState | None) -> list[Difference]:
    """The identity bindings of one cluster that was read, against the identity's mode."""
    if cluster is None or cluster.bindings is None:
        return []
    found = cluster.bindings_of(identity.name)
    wanted = {
        b.name.lower()
        for b in identity.bindings
        if (b.cluster is None or b.cluster.lower() == cluster.name.lower())
        and _included(plan, b.condition, env)
    }
    out = []
    if identity.federation == "identityBinding":
        if wanted and not any(b.name.lower() in wanted for b in found):
            name = next(b.name for b in identity.bindings if b.name.lower() in wanted)
            out.append(
                Difference(
                    "missing-binding",
                    identity.name,
                    None,
                    f"no identity binding {name} on cluster {cluster.name}: the deployment creates it",
                )
            )
        for binding in found:
            if binding.name.lower() not in wanted:
                out.append(
                    Difference(
                        "extra-binding",
                        identity.name,
                        None,
                        f"identity binding {binding.name} on cluster {cluster.name} is not the spec's: the "
                        "deployment leaves it alone (az aks identity-binding delete removes it)",
                        "info",
                    )
                )
    else:
        for binding in found:
            out.append(
                Difference(
                    "binding-in-credentials-mode",
                    identity.name,
                    None,
                    f"identity binding {binding.name} on cluster {cluster.name}, but the spec has the identity "
                    "in credentials mode: the binding stays (incremental deployments never delete) and so does "
                    f"AKS's FIC {AKS_FIC}; az aks identity-binding delete removes the binding",
                    "info",
                )
            )
    return out


def _included(plan: Plan, condition: str | None, env: str) -> bool:
    if condition is None:
        return True
    return next(p for p in plan.parameters if p.name == condition).value(env) is True


def _identity(
    identity: IdentityPlan,
    planned: list[FederatedCredential],
    existing: IdentityState,
    env: EnvironmentPlan,
    issuers: dict[str, str | None],
    strict: bool,
) -> list[Difference]:
    name = identity.name
    out: list[Difference] = []
    if existing.location and existing.location != env.location:
        out.append(
            Difference(
                "location",
                name,
                None,
                f"exists in region {existing.location}, the spec deploys it to {env.location}: Azure refuses "
                "to move it (InvalidResourceLocation)",
                "error",
            )
        )
    reset = []
    if existing.tags:
        reset.append("tags " + ", ".join(f"{k}={v}" for k, v in existing.tags))
    if existing.isolation_scope and existing.isolation_scope != "None":
        reset.append(f"isolationScope {existing.isolation_scope}")
    if reset:
        out.append(
            Difference(
                "reset",
                name,
                None,
                f"has {'; '.join(reset)}, which the template does not set: a deployment resets properties the "
                "template leaves out (what-if shows it)",
                "warning",
            )
        )
    pinned = dict(env.client_ids).get(name) if name in env.pinned else None
    if pinned and existing.client_id and pinned.lower() != existing.client_id.lower():
        out.append(
            Difference(
                "client-id",
                name,
                None,
                f"the spec pins client ID {pinned}, the identity's is {existing.client_id.lower()} (was it "
                "re-created?): the ServiceAccounts would carry the wrong one",
                "error",
            )
        )
    explained: set[str] = set()  # existing FICs already reported
    for fic in planned:
        subject = fic.subject
        current = existing.credential(fic.name)
        # the issuer of the FIC's own cluster (None: not known, its issuer is not compared)
        own_issuer = issuers.get((fic.cluster or env.cluster_name).lower())
        if current is not None:
            explained.add(current.name.lower())
            out += _compare(name, fic.name, current, subject, own_issuer)
        twins = [
            c
            for c in existing.credentials
            if c.name.lower() != fic.name.lower()
            and c.subject == subject
            and own_issuer
            and c.issuer == own_issuer
        ]
        for twin in twins:
            explained.add(twin.name.lower())
            out.append(
                Difference(
                    "conflict",
                    name,
                    fic.name,
                    f"FIC {twin.name} already trusts {subject} from this issuer: writing {fic.name} fails with "
                    f'"{CONFLICT_MESSAGE}"; set federatedCredentialName: {twin.name} on ServiceAccount '
                    f"{fic.namespace}/{fic.service_account}, or delete {twin.name}",
                    "error",
                )
            )
        if current is None and not twins:
            out.append(
                Difference(
                    "missing-fic",
                    name,
                    fic.name,
                    f"not on the identity: the deployment creates it ({subject})",
                )
            )
    for extra in existing.credentials:
        if extra.name.lower() in explained:
            continue
        if extra.name.lower() == AKS_FIC and identity.federation == "identityBinding":
            continue  # AKS made it for the identity's bindings; wlid never writes or deletes it
        if extra.issuer in issuers.values() or None in issuers.values():
            out.append(
                Difference(
                    "extra-fic",
                    name,
                    extra.name,
                    f"trusts {extra.subject} but the spec does not have it (made by hand?): add its "
                    "ServiceAccount to the spec or delete it; the deployment leaves it alone",
                )
            )
        else:
            out.append(
                Difference(
                    "foreign-fic",
                    name,
                    extra.name,
                    f"trusts another issuer ({extra.issuer}, subject {extra.subject}); wlid leaves it alone "
                    "but it counts towards the limit of 20",
                    "drift" if strict else "info",
                )
            )
    total = len({c.name.lower() for c in existing.credentials} | {f.name.lower() for f in planned})
    if total > MAX_FICS_PER_IDENTITY:
        out.append(
            Difference(
                "full",
                name,
                None,
                f"{total} federated credentials after the deployment (existing and planned); Azure allows at "
                f"most {MAX_FICS_PER_IDENTITY} per identity: the deployment fails",
                "error",
            )
        )
    elif total == MAX_FICS_PER_IDENTITY:
        out.append(
            Difference(
                "full",
                name,
                None,
                f"{total} federated credentials (existing and planned): the identity is full, Azure allows "
                f"no more than {MAX_FICS_PER_IDENTITY}",
                "warning",
            )
        )
    return out


def _compare(
    identity: str, fic: str, current: FicState, subject: str, issuer: str | None
) -> list[Difference]:
    out = []
    if issuer is not None and current.issuer != issuer:
        out.append(
            Difference(
                "fic-issuer",
                identity,
                fic,
                f"issuer is {current.issuer}, the spec's is {issuer}: the deployment rewrites it",
            )
        )
    if current.subject != subject:
        out.append(
            Difference(
                "fic-subject",
                identity,
                fic,
                f"subject is {current.subject}, the spec's is {subject}: the deployment rewrites it",
            )
        )
    if current.audiences != (AUDIENCE,):
        shown = ", ".join(current.audiences) or "(none)"
        out.append(
            Difference(
                "fic-audience",
                identity,
                fic,
                f"audiences are {shown}, the spec's is {AUDIENCE}: the deployment rewrites them",
            )
        )
    return out
