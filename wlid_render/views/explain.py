"""Plan -> a summary for people: per environment, the cluster and its issuer, each identity with its
federated credentials, role assignments, ServiceAccounts and workloads, and the warnings.

`environment_views` resolves the plan for one environment (values that differ between environments
are read from their template parameters); `explain_text` and `explain_mermaid` lay the views out as
text or as a Mermaid flowchart. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
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
    for identity in plan.identities:
        if identity.name not in client_ids:
            continue  # not deployed in this environment
        present = {(a.namespace, a.name) for a in accounts[identity.name]}
        listed = {c.name.lower(): c for c in env.clusters}
        bindings = tuple(
            (b.name, c.name, c.resource_group)
            for b in identity.bindings
            for c in ([listed[b.cluster.lower()]] if b.cluster and b.cluster.lower() in listed else [])
        ) + tuple(
            (b.name, env.cluster_name, env.cluster_resource_group)
            for b in identity.bindings
            if b.cluster is None and not env.clusters
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


# -- text ----------------------------------------------------------------------------------------------

DEPLOY_TEXT = {
    "group": (
        "group: az deployment group create (incremental)",
        "removing an identity, FIC or role assignment from the spec leaves it in Azure (a standing",
        "grant) until it is deleted by hand; wlid drift lists it; azure.deploy: stack deletes it",
    ),
    "stack": (
        "stack: az stack group create --action-on-unmanage deleteResources --deny-settings-mode none",
        "removing an identity, FIC or role assignment from the spec deletes it from Azure on the next",
        "deployment; what was removed before the switch to stack stays (wlid drift lists it)",
    ),
}


def _deploy_lines(mode: str) -> list[str]:
    """What the environment's `azure.deploy` mode does, and what it leaves behind."""
    how, *behind = DEPLOY_TEXT[mode]
    return [f"  deploy      {how}", *(f"              {line}" for line in behind)]


def explain_text(views: Iterable[EnvironmentView]) -> str:
    lines: list[str] = []
    for view in views:
        if lines:
            lines.append("")
        lines += _text(view)
    return "\n".join(lines) + "\n"


def _text(view: EnvironmentView) -> list[str]:
    flags = (
        "turned on by the deployment (enableWorkloadIdentity: true)"
        if view.enables_workload_identity
        else "expected on already (enableWorkloadIdentity: false)"
    )
    cluster_lines = [
        f"  cluster     {view.cluster} (resource group {view.cluster_resource_group}, "
        f"subscription {view.cluster_subscription_id})"
    ]
    if view.clusters:
        cluster_lines = [
            f"  {'clusters' if i == 0 else '':<11} {name} (resource group {group})"
            for i, (name, group) in enumerate(view.clusters)
        ]
    lines = [
        f"environment {view.name}",
        *cluster_lines,
        f"              OIDC issuer and workload identity: {flags}",
        f"  issuer      {'pinned: ' + view.issuer if view.issuer else ISSUER_FROM_CLUSTER}"
        if not view.clusters
        else "  issuers     each cluster's own, read from it at deployment unless pinned",
        f"  identities  in resource group {view.resource_group} ({view.location}), "
        f"subscription {view.subscription_id}",
        *_deploy_lines(view.deploy),
    ]
    if not view.identities:
        lines.append("    none")
    for identity in view.identities:
        state = (
            f"pinned {identity.client_id}"
            if identity.pinned
            else f"placeholder {identity.client_id} (not pinned; wlid bind pins it after the deployment)"
        )
        lines += ["", f"  identity {identity.name}", f"    client ID  {state}", "    federated credentials"]
        issuer = view.issuer or "the cluster's, read at deployment"
        for credential in identity.credentials:
            own = issuer
            if credential.cluster:
                own = credential.issuer or f"cluster {credential.cluster}'s, read at deployment"
            lines += [
                f"      {credential.name}",
                f"        issuer   {own}",
                f"        subject  {credential.subject}",
            ]
        if identity.federation == "identityBinding":
            lines += _binding_lines(identity, view.deploy)
        elif not identity.credentials:
            lines.append("      none (no ServiceAccount uses this identity here)")
        lines.append("    roles")
        for role in identity.roles:
            text = f"      {role.role} on {role.scope}"
            lines.append(text + (f": {role.description}" if role.description else ""))
        if not identity.roles:
            lines.append("      none")
        lines.append("    used by")
        for account in identity.accounts:
            expiry = f" (token expiration {account.token_expiration} s)" if account.token_expiration else ""
            lines.append(f"      ServiceAccount {account.label}{expiry}")
            for w in account.workloads:
                lines += [f"        {w.label}", *(f"          {v.label}" for v in w.vaults)]
            if not account.workloads:
                lines.append("        no workload")
        if not identity.accounts:
            lines.append("      no ServiceAccount")
    lines += ["", "  warnings"]
    for warning in view.warnings:
        lines.append(f"    {warning.message}" + (f" (hint: {warning.hint})" if warning.hint else ""))
    if not view.warnings:
        lines.append("    none")
    return lines


def _binding_lines(identity: IdentityView, deploy: str) -> list[str]:
    """What an identity in identityBinding mode deploys, and what a switch leaves behind."""
    lines = [
        "      none of wlid's: AKS keeps one, aks-identity-binding, for the identity bindings",
        "    identity bindings",
    ]
    lines += [
        f"      {name} on cluster {cluster} (resource group {group})"
        for name, cluster, group in identity.bindings
    ]
    if deploy == "stack":
        lines.append(
            "      switching to credentials or dropping a cluster: the deployment stack deletes the bindings "
            "that leave the template; aks-identity-binding stays (AKS made it)"
        )
    else:
        lines.append(
            "      switching to credentials or dropping a cluster leaves the bindings in Azure (incremental "
            "deployment) until az aks identity-binding delete; aks-identity-binding stays (AKS made it)"
        )
    return lines


# -- Mermaid -------------------------------------------------------------------------------------------

# Characters that would end or change a quoted Mermaid label, written as Mermaid entity codes (#name;
# or #decimal;): the quote, '#' itself (it starts an entity), HTML markup, square brackets, the pipe of
# edge labels and the backtick of Markdown strings. Round and curly brackets are plain text in quotes.
_ESCAPES = {
    '"': "#quot;",
    "#": "#35;",
    "&": "#38;",
    "<": "#lt;",
    ">": "#gt;",
    "[": "#91;",
    "]": "#93;",
    "|": "#124;",
    "`": "#96;",
}


def mermaid_label(text: str) -> str:
    """`text` as the inside of a quoted Mermaid label (line breaks become spaces)."""
    text = " ".join(text.split())
    return "".join(_ESCAPES.get(c, c) for c in text)


# Words that cannot be node IDs in a flowchart.
_KEYWORDS = frozenset(
    {"end", "graph", "flowchart", "subgraph", "direction", "style", "class", "classdef", "click", "linkstyle"}
)


class _Ids:
    """Mermaid node IDs: letters, digits and '_' only, never a keyword such as `end`, unique even when
    two names differ only in characters that sanitising drops."""

    def __init__(self, prefix: str = ""):
        self.prefix = prefix
        self.by_key: dict[tuple[str, ...], str] = {}
        self.used: set[str] = set()

    def __call__(self, kind: str, *key: str) -> str:
        full = (kind, *key)
        if full in self.by_key:
            return self.by_key[full]
        base = re.sub(r"[^A-Za-z0-9_]+", "_", "_".join([self.prefix + kind, *key])).strip("_") or "n"
        if base.lower() in _KEYWORDS or not base[0].isalpha():
            base = f"n_{base}"
        candidate, n = base, 1
        while candidate in self.used:
            n += 1
            candidate = f"{base}_{n}"
        self.used.add(candidate)
        self.by_key[full] = candidate
        return candidate


# Mermaid's default limits (maxTextSize, maxEdges): a larger diagram shows as an error, not a picture.
MERMAID_MAX_TEXT = 50_000
MERMAID_MAX_EDGES = 500
_BR = "<br/>"
_ARROW = re.compile(r" (?:-->|-\.->|~~~)")
_CLASSES = (
    "classDef issuer fill:#e8f0fe,stroke:#1a73e8,color:#0b3d91",
    "classDef fic fill:#fff4e5,stroke:#e37400,color:#5f3700",
    "classDef identity fill:#e6f4ea,stroke:#188038,color:#0d4d22",
    "classDef role fill:#fce8f3,stroke:#b0307a,color:#5c1340",
    "classDef scope fill:#f1f3f4,stroke:#5f6368,color:#202124",
    "classDef sa fill:#ede7f6,stroke:#5e35b1,color:#311b92",
    "classDef workload fill:#ffffff,stroke:#5e35b1,color:#311b92",
)
_VAULT_CLASS = "classDef vault fill:#fef7e0,stroke:#b06000,color:#4d2a00"  # only in graphs with a vault


def _node(node_id: str, shape: str, *lines: str) -> str:
    label = _BR.join(mermaid_label(line) for line in lines if line)
    opening, closing = {
        "rect": ("[", "]"),
        "round": ("(", ")"),
        "stadium": ("([", "])"),
        "hexagon": ("{{", "}}"),
        "cylinder": ("[(", ")]"),
        "subroutine": ("[[", "]]"),
    }[shape]
    return f'{node_id}{opening}"{label}"{closing}'


def _graph(view: EnvironmentView, ids: _Ids, indent: str) -> list[str]:
    """The nodes (Kubernetes side first, then Azure) and edges of one environment."""
    k8s: list[str] = []
    azure: list[str] = []
    edges: list[str] = []
    classes: dict[str, list[str]] = {}

    def tag(node_id: str, cls: str) -> None:
        classes.setdefault(cls, []).append(node_id)

    issuer = ids("issuer", view.cluster)
    issuers = {None: issuer}
    if view.clusters:  # one issuer per listed cluster that a credential trusts
        trusted = {c.cluster for i in view.identities for c in i.credentials}
        issuers = {name: ids("issuer", name) for name, _ in view.clusters if name in trusted}
    for name, node in issuers.items():
        label = f"OIDC issuer of {name or view.cluster}"
        k8s.append(_node(node, "stadium", label, view.issuer or "read from the cluster"))
        tag(node, "issuer")
    scopes: dict[str, str] = {}
    for identity in view.identities:
        identity_id = ids("identity", identity.name)
        binding = "pinned" if identity.pinned else "placeholder"
        azure.append(
            _node(
                identity_id,
                "subroutine",
                f"managed identity {identity.name}",
                f"client ID {binding}: {identity.client_id}",
            )
        )
        tag(identity_id, "identity")
        for credential in identity.credentials:
            fic_id = ids("fic", identity.name, credential.name)
            azure.append(_node(fic_id, "rect", f"FIC {credential.name}", f"subject {credential.subject}"))
            tag(fic_id, "fic")
            source = issuers.get(credential.cluster, issuer)
            edges += [f"{source} -->|issuer| {fic_id}", f"{fic_id} --> {identity_id}"]
        for n, role in enumerate(identity.roles):
            role_id = ids("role", identity.name, str(n))
            azure.append(_node(role_id, "round", role.role))
            tag(role_id, "role")
            if role.scope not in scopes:
                scopes[role.scope] = ids("scope", str(len(scopes) + 1))
                azure.append(_node(scopes[role.scope], "cylinder", role.scope))
                tag(scopes[role.scope], "scope")
            edges += [f"{identity_id} --> {role_id}", f"{role_id} -->|on| {scopes[role.scope]}"]
        for account in identity.accounts:
            sa_id = ids("sa", account.namespace, account.name)
            k8s.append(_node(sa_id, "hexagon", f"ServiceAccount {account.label}"))
            tag(sa_id, "sa")
            fic = next(
                (
                    c
                    for c in identity.credentials
                    if c.subject.endswith(f":{account.namespace}:{account.name}")
                ),
                None,
            )
            if fic is not None:
                edges.append(f"{sa_id} -.->|token subject| {ids('fic', identity.name, fic.name)}")
            for workload in account.workloads:
                workload_id = ids("workload", workload.kind, workload.namespace, workload.name)
                k8s.append(_node(workload_id, "rect", workload.label))
                tag(workload_id, "workload")
                edges.append(f"{sa_id} --> {workload_id}")
                for mount in workload.vaults:
                    vault_id = ids("vault", mount.vault, *mount.objects)
                    if vault_id not in classes.get("vault", []):
                        azure.append(_node(vault_id, "cylinder", f"key vault {mount.vault}", *mount.objects))
                        tag(vault_id, "vault")
                    edges.append(
                        f"{vault_id} -->|mounted at {mermaid_label(mount.mount_path)}| {workload_id}"
                    )
    lines = [f"{indent}{line}" for line in [*k8s, *azure, *edges]]
    lines += [f"{indent}class {','.join(members)} {cls}" for cls, members in classes.items()]
    return lines


def explain_mermaid(views: Sequence[EnvironmentView]) -> str:
    """A Mermaid flowchart: issuer -> FIC -> identity -> role -> scope; ServiceAccount -> workloads.

    One environment gives its graph, left to right; several give one subgraph per environment,
    stacked in plan order (invisible links keep the order).
    """
    if len(views) == 1:
        lines = ["flowchart LR", *_graph(views[0], _Ids(), "  ")]
    else:
        lines = ["flowchart TB"]
        subgraphs = []
        for view in views:
            ids = _Ids(f"{view.name}_")
            subgraphs.append(ids("env"))
            lines += [
                f'  subgraph {subgraphs[-1]}["{mermaid_label(f"environment {view.name}")}"]',
                "    direction LR",
                *_graph(view, ids, "    "),
                "  end",
            ]
        lines.append("  " + " ~~~ ".join(subgraphs))
    lines += [f"  {line}" for line in _CLASSES]
    if any(w.vaults for v in views for i in v.identities for a in i.accounts for w in a.workloads):
        lines.append(f"  {_VAULT_CLASS}")
    return "\n".join(lines) + "\n"


def graph_edges(view: EnvironmentView) -> int:
    """The number of edges `explain_mermaid([view])` draws, without drawing it."""
    edges = 0
    for identity in view.identities:
        subjects = {c.subject for c in identity.credentials}
        edges += 2 * len(identity.credentials) + 2 * len(identity.roles)
        for account in identity.accounts:
            edges += len(account.workloads) + sum(len(w.vaults) for w in account.workloads)
            edges += f"system:serviceaccount:{account.namespace}:{account.name}" in subjects
    return edges


def mermaid_edges(text: str) -> int:
    """The edges of a graph written by this module (arrows ` -->`, ` -.->`, links ` ~~~`)."""
    return len(_ARROW.findall(text))


def mermaid_fits(text: str) -> bool:
    """Whether Mermaid draws `text` with its default limits (GitHub uses them)."""
    return len(text) <= MERMAID_MAX_TEXT and mermaid_edges(text) <= MERMAID_MAX_EDGES
