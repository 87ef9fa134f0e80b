"""Spec -> Plan: resolve defaults and references, check the rules that span entries. Pure."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import TypeVar

from wlid_render.errors import Path, Problem, SpecError
from wlid_render.formats import DEFAULT_ENVIRONMENT, privileged_roles, regions_without_fic
from wlid_render.kubernetes_keys import OPT_OUT, RESERVED_ANNOTATIONS
from wlid_render.plan import pod_fields
from wlid_render.plan.directives import directive_keys
from wlid_render.plan.merge import EnvView, group_roles, merge
from wlid_render.plan.model import (
    MAX_FICS_PER_IDENTITY,
    ContainerPlan,
    EnvironmentPlan,
    FederatedCredential,
    GitOpsPlan,
    IdentityPlan,
    KubeValue,
    Parameter,
    Plan,
    RoleAssignment,
    RoleDeployment,
    ServiceAccountPlan,
    Target,
    WorkloadPlan,
)
from wlid_render.plan.names import deployment_name, derived_fic_name, placeholder_for
from wlid_render.plan.roles import builtin_roles, resolve_role
from wlid_render.plan.sharing import shared_identities
from wlid_render.plan.tags import identity_tags
from wlid_render.plan.targets import TARGET_KEYS, TargetError, target_of
from wlid_render.spec.models import REQUIRED_IN_EVERY_ENVIRONMENT, Container, RoleGrant, Spec, Workload
from wlid_render.suggest import did_you_mean
from wlid_render.warning_codes import unknown_code_hint, without_ignored

MAX_PARAMETERS = 256
T = TypeVar("T")
RESERVED_LABELS = frozenset(
    {
        "azure.workload.identity/use",
        "app.kubernetes.io/name",
        "app.kubernetes.io/part-of",
        "app.kubernetes.io/managed-by",
    }
)
TOKEN_EXPIRATION_ANNOTATION = "azure.workload.identity/service-account-token-expiration"


class _Builder:
    """Everything of one environment: the spec here is already interpolated for it."""

    def __init__(
        self,
        spec: Spec,
        env: str,
        bound: Mapping[str, str] | None = None,
        checked: dict[int, WorkloadPlan] | None = None,
        declared: frozenset[str] | None = None,
    ):
        self.spec = spec
        self.env = env
        # Workloads already checked and planned by the builder of another environment that shares
        # this very Spec (a spec without ${env}/${vars.*}): id(workload) -> its plan. Their problems
        # were recorded there, and are the same here; environments then share the plan's objects.
        self.checked = checked if checked is not None else {}
        self.bound = dict(bound or {})  # identity -> client ID read from the deployment's outputs
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self.missing: list[str] = []  # required keys (`azure.location`) this environment gets nowhere
        # The environments the spec declares: the same for every environment, so given once by
        # build_plan rather than made again by each builder (which grows with the square of them).
        self.declared = declared or frozenset(spec.environments or (DEFAULT_ENVIRONMENT,))

    def included(self, only: list[str] | None, path: Path) -> bool:
        """Whether an entity limited to `only` environments exists in this one."""
        if only is None:
            return True
        for i, name in enumerate(only):
            if name not in self.declared:
                guess = did_you_mean(name, self.declared)
                self.error(
                    (*path, "environments", i),
                    f"no environment named {name!r}",
                    f"did you mean {guess}?" if guess else f"declared: {', '.join(sorted(self.declared))}",
                )
        return self.env in only

    def error(self, path: Path, message: str, hint: str = "") -> None:
        self.problems.append(Problem(message, path, hint=hint))

    def warn(self, code: str, path: Path, message: str, hint: str = "", at_key: bool = False) -> None:
        """A warning with its code (see warning_codes.WARNINGS), about the spec at `path`."""
        self.warnings.append(Problem(message, path, hint=hint, severity="warning", code=code, at_key=at_key))

    def duplicates(self, section: str, keys: list[tuple[str, ...]], what: str, fold: bool = False) -> None:
        seen: dict[tuple[str, ...], int] = {}
        for i, key in enumerate(keys):
            folded = tuple(k.lower() for k in key) if fold else key
            if folded in seen:
                self.error(
                    (section, i, "name"),
                    f"duplicate {what} {'/'.join(key)!r} (also {section}[{seen[folded]}])",
                    "names must be unique" + (" (Azure compares them ignoring case)" if fold else ""),
                )
            else:
                seen[folded] = i

    # -- environments -------------------------------------------------------------------------
    def environment(self) -> EnvironmentPlan:
        spec = self.spec
        identity_names = {i.name for i in spec.identities}
        envs = spec.environments or {DEFAULT_ENVIRONMENT: None}
        out = []
        for env_name in [self.env]:
            env = envs[env_name]
            azure = spec.azure.model_copy(update=env.azure.model_dump(exclude_none=True) if env else {})
            cluster = spec.cluster.model_copy(update=env.cluster.model_dump(exclude_none=True) if env else {})
            merged = {"azure": azure, "cluster": cluster}
            self.missing = [
                f"{block}.{key}"
                for block, keys in REQUIRED_IN_EVERY_ENVIRONMENT.items()
                for key in keys
                if getattr(merged[block], key) is None
            ]
            pinned = dict(env.clientIds) if env else {}
            for ident in self.bound:
                if ident not in identity_names:
                    self.warn(
                        "W003",
                        ("environments", env_name) if env else ("identities",),
                        f"environment {env_name!r}: the deployment outputs name identity {ident!r}, "
                        "which the spec does not declare; ignored",
                        at_key=True,
                    )
            for ident in pinned:
                if ident not in identity_names:
                    guess = did_you_mean(ident, identity_names)
                    self.error(
                        ("environments", env_name, "clientIds", ident),
                        f"no identity named {ident!r}",
                        f"did you mean {guess}?" if guess else "keys are identity names",
                    )
            pinned |= {k: v for k, v in self.bound.items() if k in identity_names}  # outputs win
            client_ids = []
            first_unpinned: Path = ("identities",)
            for index, identity in enumerate(spec.identities):
                if identity.environments is not None and self.env not in identity.environments:
                    continue
                if identity.name in pinned:
                    client_ids.append((identity.name, pinned[identity.name].lower()))
                else:
                    if len(first_unpinned) == 1:
                        first_unpinned = ("identities", index, "name")
                    client_ids.append((identity.name, placeholder_for(identity.name)))
            unpinned = [value for name, value in client_ids if name not in pinned]
            if unpinned:
                self.unpinned(env_name, unpinned, ("environments", env_name) if env else first_unpinned)
            if azure.deploy == "stack" and cluster.enableWorkloadIdentity:
                where = "environments" if env and env.azure.deploy else None
                self.error(
                    (where, env_name, "azure", "deploy") if where else ("azure", "deploy"),
                    f"environment {env_name!r}: azure.deploy: stack with cluster.enableWorkloadIdentity: "
                    "true would make the cluster a resource of the deployment stack, which deletes what "
                    "leaves its template",
                    "turn the flags on once (az aks update --enable-oidc-issuer --enable-workload-identity; "
                    "the pipelines check them) and set enableWorkloadIdentity: false, or use azure.deploy: "
                    "group",
                )
            if azure.location in regions_without_fic():
                overridden = env is not None and env.azure.location is not None
                self.warn(
                    "W002",
                    ("environments", env_name, "azure", "location") if overridden else ("azure", "location"),
                    # Said once for every environment that takes the region from the top level.
                    (f"environment {env_name!r}: " if overridden else "")
                    + f"region {azure.location} does not support federated identity credentials on "
                    "user-assigned identities (405 from Azure)",
                    "create the identities in another region (azure.location); the cluster may stay",
                )
            out.append(
                EnvironmentPlan(
                    name=env_name,
                    # "" for a key the environment lacks: build_plan reports it before anything is used
                    subscription_id=(azure.subscriptionId or "").lower(),
                    resource_group=azure.resourceGroup or "",
                    location=azure.location or "",
                    tenant_id=azure.tenantId.lower() if azure.tenantId else None,
                    cluster_name=cluster.name or "",
                    cluster_resource_group=cluster.resourceGroup or azure.resourceGroup or "",
                    cluster_subscription_id=(cluster.subscriptionId or azure.subscriptionId or "").lower(),
                    enable_workload_identity=cluster.enableWorkloadIdentity,
                    oidc_issuer_url=cluster.oidcIssuerUrl,
                    client_ids=tuple(client_ids),
                    pinned=frozenset(pinned),
                    tags=tuple(azure.tags.items()),
                    deploy=azure.deploy,
                )
            )
        holders: dict[str, str] = {}
        for i, identity in enumerate(spec.identities):
            holder = placeholder_for(identity.name)
            if holder in holders and holders[holder].lower() != identity.name.lower():
                self.error(
                    ("identities", i, "name"),
                    f"identities {holders[holder]!r} and {identity.name!r} map to the same "
                    f"placeholder {holder}",
                    "rename one so that they differ in more than case or punctuation",
                )
            holders[holder] = identity.name
        return out[0]

    def unpinned(self, env: str, placeholders: list[str], path: Path) -> None:
        """W001: one line per environment, with the way to pin them that this spec can use."""
        several = len(self.declared) > 1
        bind = f"wlid bind{f' --env {env}' if several else ''} OUTPUTS"
        hint = f"pin them after the first deployment: {bind}, with the deployment's outputs as az prints them"
        if self.spec.gitops is not None:
            hint += "; or let Flux post-build substitution fill them"
        count = len(placeholders)
        self.warn(
            "W001",
            path,
            f"environment {env!r}: {count} client ID{'s' if count > 1 else ''} not pinned; the overlay "
            f"carries {_some(placeholders)}",
            hint,
            at_key=path[0] == "environments",
        )

    @staticmethod
    def parameters(envs: list[EnvironmentPlan]) -> tuple[list[Parameter], bool, bool]:
        def values(attr: str) -> tuple[tuple[str, str | bool], ...]:
            return tuple((e.name, getattr(e, attr)) for e in envs)

        params = [
            Parameter("location", "string", "Azure region of the managed identities.", values("location")),
            Parameter("clusterName", "string", "Name of the AKS cluster.", values("cluster_name")),
            Parameter(
                "clusterResourceGroup",
                "string",
                "Resource group of the AKS cluster.",
                values("cluster_resource_group"),
            ),
            Parameter(
                "clusterSubscriptionId",
                "string",
                "Subscription of the AKS cluster.",
                values("cluster_subscription_id"),
            ),
        ]
        enables = any(e.enable_workload_identity for e in envs)
        if enables:
            params.append(
                Parameter(
                    "enableWorkloadIdentity",
                    "bool",
                    "Opt-in: turn on the cluster's OIDC issuer and workload identity while one is off "
                    "(writes the cluster once).",
                    values("enable_workload_identity"),
                    default=False,
                )
            )
        pins = any(e.oidc_issuer_url for e in envs)
        if pins:
            params.append(
                Parameter(
                    "oidcIssuerUrl",
                    "string",
                    "The cluster's OIDC issuer URL; empty: read it from the cluster.",
                    tuple((e.name, e.oidc_issuer_url or "") for e in envs),
                    default="",
                )
            )
        return params, enables, pins

    # -- Azure side ---------------------------------------------------------------------------
    def identities(self, accounts: list[tuple[int, ServiceAccountPlan]]) -> list[tuple[int, IdentityPlan]]:
        spec = self.spec
        self.duplicates("identities", [(i.name,) for i in spec.identities], "identity", fold=True)
        by_identity: dict[str, list[tuple[int, ServiceAccountPlan]]] = defaultdict(list)
        for i, account in accounts:
            by_identity[account.identity].append((i, account))
        out = []
        for index, identity in enumerate(spec.identities):
            if not self.included(identity.environments, ("identities", index)):
                continue
            credentials = []
            names: dict[str, int] = {}
            subjects: dict[str, int] = {}
            for i, account in by_identity.get(identity.name, []):
                given = spec.serviceAccounts[i].federatedCredentialName
                fic = FederatedCredential(
                    name=given or derived_fic_name(account.namespace, account.name),
                    namespace=account.namespace,
                    service_account=account.name,
                )
                if fic.name.lower() in names:
                    self.error(
                        ("serviceAccounts", i, "federatedCredentialName" if given else "name"),
                        f"federated credential name {fic.name!r} is already used on identity "
                        f"{identity.name!r} by serviceAccounts[{names[fic.name.lower()]}]",
                        "FIC names are unique per identity",
                    )
                if fic.subject in subjects:
                    self.error(
                        ("serviceAccounts", i),
                        f"identity {identity.name!r} already trusts {fic.subject} from this cluster "
                        f"(serviceAccounts[{subjects[fic.subject]}])",
                        "Azure refuses a second FIC with the same issuer and subject",
                    )
                names[fic.name.lower()] = i
                subjects[fic.subject] = i
                credentials.append(fic)
            if len(credentials) > MAX_FICS_PER_IDENTITY:
                self.error(
                    ("identities", index),
                    f"identity {identity.name!r} has {len(credentials)} federated credentials; Azure allows "
                    f"at most {MAX_FICS_PER_IDENTITY} per identity",
                    "split the ServiceAccounts over more identities",
                )
            tags, tag_problems = identity_tags(spec, index)
            self.problems += tag_problems
            out.append(
                (
                    index,
                    IdentityPlan(
                        name=identity.name,
                        deployment_name=deployment_name(self.spec.metadata.name, identity.name),
                        placeholder=placeholder_for(identity.name),
                        credentials=tuple(credentials),
                        role_deployments=tuple(self.role_deployments(index)),
                        tags=tags,
                    ),
                )
            )
        return out

    def role_deployments(self, index: int) -> list[RoleDeployment]:
        identity = self.spec.identities[index]
        groups: dict[str, list[RoleAssignment]] = {"all": []}
        seen: dict[tuple[str, str], int] = {}
        for j, grant in enumerate(identity.roles):
            path = ("identities", index, "roles", j)
            resolved = resolve_role(grant.role)
            if resolved is None:
                guess = did_you_mean(grant.role, builtin_roles())
                self.error(
                    (*path, "role"),
                    f"unknown role {grant.role!r}",
                    f"did you mean {guess}?"
                    if guess
                    else "use a built-in role name or a role-definition GUID",
                )
            try:
                target = target_of(grant)
            except TargetError as exc:
                self.error(path, str(exc))
                continue
            if resolved is None:
                continue
            self.privilege(path, grant, resolved[0], resolved[1], target)
            identity_key = (
                f"{target.kind}:{target.subscription_id}:{target.resource_group}:"
                f"{target.resource_type.lower()}:{target.resource_name.lower()}",
                resolved[1],
            )
            if identity_key in seen:
                self.error(
                    path,
                    f"role {resolved[0]!r} on {target.label} is granted twice (also roles[{seen[identity_key]}])",
                )
                continue
            seen[identity_key] = j
            groups["all"].append(RoleAssignment(resolved[0], resolved[1], target, grant.description, j))
        return group_roles(self.spec.metadata.name, identity.name, [a for g in groups.values() for a in g])

    def privilege(self, path: Path, grant: RoleGrant, name: str, guid: str, target: Target) -> None:
        """W004 and W005: the least-privilege findings of `wlid validate` (LP001, LP002), at the role's
        line in the spec, from the same table of broad roles."""
        broad = privileged_roles().get(guid.lower())
        if broad is not None:
            self.warn(
                "W004",
                (*path, "role"),
                f"role {name!r} {broad['why']}",
                "grant a narrower role, e.g. a data-plane role on the one resource",
            )
        if target.kind in ("subscription", "resourceGroup"):
            key = next(k for k in TARGET_KEYS if getattr(grant, k) is not None)
            scope = "subscription" if target.kind == "subscription" else "resource group"
            self.warn(
                "W005",
                (*path, key),
                f"role {name!r} is granted on a whole {scope}",
                "grant it on the one resource instead, with keyVault, storageAccount, ... or resourceId, "
                "where that is enough",
            )

    # -- Kubernetes side ----------------------------------------------------------------------
    def service_accounts(self) -> list[tuple[int, ServiceAccountPlan]]:
        spec = self.spec
        identity_names = [i.name for i in spec.identities]
        only_in = {i.name: i.environments for i in reversed(spec.identities)}  # the first of a name wins
        self.duplicates(
            "serviceAccounts", [(a.namespace, a.name) for a in spec.serviceAccounts], "ServiceAccount"
        )
        out = []
        for i, account in enumerate(spec.serviceAccounts):
            if not self.included(account.environments, ("serviceAccounts", i)):
                continue
            if account.identity not in only_in:
                guess = did_you_mean(account.identity, identity_names)
                self.error(
                    ("serviceAccounts", i, "identity"),
                    f"no identity named {account.identity!r}",
                    f"did you mean {guess}?" if guess else f"declared: {', '.join(identity_names)}",
                )
            else:
                only = only_in[account.identity]
                if only is not None and self.env not in only:
                    self.error(
                        ("serviceAccounts", i, "identity"),
                        f"environment {self.env!r}: identity {account.identity!r} is not deployed there",
                        "limit the ServiceAccount to the identity's environments",
                    )
            out.append(
                (
                    i,
                    ServiceAccountPlan(
                        account.name, account.namespace, account.identity, account.tokenExpiration
                    ),
                )
            )
        return out

    def workloads(self) -> list[WorkloadPlan]:
        spec = self.spec
        by_name: dict[str, list[str]] = defaultdict(list)
        for account in spec.serviceAccounts:
            if account.environments is None or self.env in account.environments:
                by_name[account.name].append(account.namespace)
        out = []
        keys = []
        for i, workload in enumerate(spec.workloads):
            path: Path = ("workloads", i)
            if not self.included(workload.environments, path):
                continue
            namespaces = by_name.get(workload.serviceAccount, [])
            if workload.namespace is not None:
                namespace = workload.namespace
                if namespace not in namespaces:
                    self.error(
                        (*path, "serviceAccount"),
                        f"no ServiceAccount {workload.serviceAccount!r} in namespace {namespace!r}",
                        "a pod can only use a ServiceAccount of its own namespace",
                    )
            elif len(namespaces) == 1:
                namespace = namespaces[0]
            elif not namespaces:
                guess = did_you_mean(workload.serviceAccount, by_name)
                self.error(
                    (*path, "serviceAccount"),
                    f"no ServiceAccount named {workload.serviceAccount!r}",
                    f"did you mean {guess}?" if guess else "declare it under serviceAccounts",
                )
                namespace = "default"
            else:
                self.error(
                    (*path, "serviceAccount"),
                    f"ServiceAccount {workload.serviceAccount!r} exists in namespaces "
                    f"{', '.join(sorted(namespaces))}",
                    "set the workload's namespace",
                )
                namespace = namespaces[0]
            keys.append((workload.kind, namespace, workload.name))
            planned = self.checked.get(id(workload))
            if planned is None:
                self.workload_fields(workload, path)
                planned = self.checked[id(workload)] = _workload_plan(workload, namespace, i)
            elif planned.namespace != namespace:
                planned = planned._replace(namespace=namespace)
            out.append(planned)
        self.duplicates("workloads", keys, "workload")
        return out

    def workload_fields(self, workload: Workload, path: Path) -> None:
        uses_kube_fields = pod_fields.uses_kube_fields(workload)
        for key in workload.annotations:
            if key in RESERVED_ANNOTATIONS:
                self.error(
                    (*path, "annotations", key),
                    f"{key} is set by wlid",
                    "to run without a token write workloadIdentity: false"
                    if key == OPT_OUT
                    else "wlid writes the Flux and Argo CD annotations itself (see docs/kubernetes.md)",
                )
        if workload.existing:
            if workload.kind == "Pod":
                self.error(
                    (*path, "kind"),
                    "an existing workload must be a Deployment, StatefulSet, Job or CronJob",
                    "a running Pod cannot take a new ServiceAccount; patch its controller",
                )
            if (
                workload.containers
                or workload.replicas is not None
                or workload.schedule is not None
                or uses_kube_fields
            ):
                self.error(
                    path,
                    "an existing workload takes only kind, name, namespace, serviceAccount, labels and "
                    "annotations; its containers and pod spec come from its own manifests",
                )
            return
        if not workload.containers:
            self.error(
                path, "a workload needs at least one container", "or existing: true for one defined elsewhere"
            )
        if workload.kind == "CronJob" and workload.schedule is None:
            self.error(path, "a CronJob needs a schedule", "e.g. schedule: '*/5 * * * *'")
        if workload.kind != "CronJob" and workload.schedule is not None:
            self.error((*path, "schedule"), f"schedule applies to CronJobs only, not to a {workload.kind}")
        if workload.replicas is not None and workload.kind not in ("Deployment", "StatefulSet"):
            self.error(
                (*path, "replicas"),
                f"replicas applies to Deployments and StatefulSets, not to a {workload.kind}",
            )
        if workload.kind in ("CronJob", "StatefulSet") and len(workload.name) > 52:
            self.error(
                (*path, "name"),
                f"a {workload.kind} name has at most 52 characters",
                "Kubernetes appends a suffix to it in a 63-character label",
            )
        for key in workload.labels:
            if key in RESERVED_LABELS:
                self.error((*path, "labels", key), f"{key} is set by wlid on every workload")
        expiration = workload.annotations.get(TOKEN_EXPIRATION_ANNOTATION)
        if expiration is not None and not (expiration.isdigit() and 3600 <= int(expiration) <= 86400):
            self.error(
                (*path, "annotations", TOKEN_EXPIRATION_ANNOTATION),
                f"token expiration {expiration[:20]!r} not valid: expected seconds between 3600 and 86400",
                "the workload identity webhook rejects the pod at admission otherwise",
            )
        seen: dict[str, str] = {}  # container names are unique across containers and initContainers
        for key in ("initContainers", "containers"):
            for j, container in enumerate(getattr(workload, key)):
                if container.name in seen:
                    self.error(
                        (*path, key, j, "name"),
                        f"duplicate container name {container.name!r} (also {seen[container.name]})",
                        "names are unique across containers and initContainers",
                    )
                seen.setdefault(container.name, f"{key}[{j}]")
        if uses_kube_fields:
            errors, warnings = pod_fields.check_workload(workload, path)
            self.problems += errors
            self.warnings += warnings

    @staticmethod
    def container(container: Container) -> ContainerPlan:
        ports = []
        for port in container.ports:
            if isinstance(port, int):
                ports.append((port, None, None))
            else:
                ports.append((port.containerPort, port.name, port.protocol))
        resources = container.resources
        env = tuple(
            (name, value if isinstance(value, str) else KubeValue.of(pod_fields.env_source(value)))
            for name, value in container.env.items()
        )
        return ContainerPlan(
            name=container.name,
            image=container.image,
            command=tuple(container.command),
            args=tuple(container.args),
            env=env,
            ports=tuple(ports),
            requests=tuple(resources.requests.items()) if resources else (),
            limits=tuple(resources.limits.items()) if resources else (),
            fields=pod_fields.container_fields(container),
        )


LISTED = 5  # names a message lists before "and N more"


def _some(names: list[str]) -> str:
    """`a, b, c` or, for a long list, its first LISTED names and how many more there are."""
    if len(names) <= LISTED + 1:
        return ", ".join(names)
    return f"{', '.join(names[:LISTED])} and {len(names) - LISTED} more"


def _workload_plan(workload: Workload, namespace: str, index: int) -> WorkloadPlan:
    return WorkloadPlan(
        name=workload.name,
        kind=workload.kind,
        namespace=namespace,
        service_account=workload.serviceAccount,
        containers=tuple(_Builder.container(c) for c in workload.containers),
        node_selector=tuple(workload.nodeSelector.items()),
        labels=tuple(workload.labels.items()),
        annotations=tuple(workload.annotations.items()),
        replicas=workload.replicas,
        schedule=workload.schedule,
        existing=workload.existing,
        index=index,
        workload_identity=workload.workloadIdentity,
        init_containers=tuple(_Builder.container(c) for c in workload.initContainers),
        pod_fields=pod_fields.pod_fields(workload),
    )


def build_plan(
    specs: Spec | Mapping[str, Spec], bound: Mapping[str, Mapping[str, str]] | None = None
) -> Plan:
    """Resolve the per-environment specs into one plan. Raises SpecError with every problem found.

    `specs` maps each environment to its spec with `${env}`/`${vars.*}` resolved (see
    `spec_errors.parse_environments`); a single Spec stands for all its environments as written.
    `bound` holds client IDs read from deployment outputs (env -> identity -> client ID); they take
    precedence over `clientIds` pinned in the spec, which take precedence over Flux placeholders.
    """
    bound = bound or {}
    if isinstance(specs, Spec):
        specs = {env: specs for env in (sorted(specs.environments) or [DEFAULT_ENVIRONMENT])}
    views: dict[str, EnvView] = {}
    problems: list[Problem] = directive_keys(specs[min(specs)])  # keys are the same in every environment
    warnings: list[Problem] = []
    checked: dict[int, WorkloadPlan] = {}  # shared by environments that share a Spec
    first = specs[min(specs)]
    declared = frozenset(first.environments or (DEFAULT_ENVIRONMENT,))
    lacking: dict[str, list[str]] = {}  # required key -> the environments that get it nowhere
    for env in sorted(specs):
        builder = _Builder(specs[env], env, bound.get(env), checked, declared)
        environment = builder.environment()
        accounts = builder.service_accounts()
        identities = builder.identities(accounts)
        workloads = builder.workloads()
        problems += builder.problems
        warnings += builder.warnings
        for key in builder.missing:
            lacking.setdefault(key, []).append(env)
        used = {a.namespace for _, a in accounts} | {w.namespace for w in workloads}
        environment = environment._replace(
            namespaces=tuple(sorted(n for n in used if n != "default" and not n.startswith("kube-"))),
            service_accounts=tuple(a for _, a in accounts),
            workloads=tuple(workloads),
        )
        views[env] = EnvView(environment, identities, accounts)
    shared_errors, shared_warnings = shared_identities(specs, views)
    problems += shared_errors
    warnings += shared_warnings
    for env in bound:
        if env not in specs:
            problems.append(
                Problem(
                    f"--outputs names environment {env!r}, which the spec does not declare",
                    ("environments",),
                    hint=f"declared: {', '.join(sorted(specs))}",
                )
            )
    problems += _missing_keys(first, lacking, len(specs))
    ignored = first.metadata.ignoreWarnings
    for i, code in enumerate(ignored):
        hint = unknown_code_hint(code)
        if hint is not None:
            problems.append(
                Problem(f"unknown warning code {code!r}", ("metadata", "ignoreWarnings", i), hint=hint)
            )
    if problems:
        raise SpecError(list(dict.fromkeys(problems)))
    if first.gitops is None:
        warnings.append(
            Problem(
                "no gitops: block, so no Flux or Argo CD objects are rendered",
                hint="add gitops: {repoURL: <the Git repository OUT is committed to>} to get them under "
                "OUT/gitops",
                severity="warning",
                code="W006",
            )
        )
    merged = merge(first.metadata.name, views)
    if merged.problems:
        raise SpecError(list(dict.fromkeys(merged.problems)))
    envs = [v.environment for v in views.values()]
    params, enables, pins = _Builder.parameters(envs)
    params += merged.parameters
    if len(params) > MAX_PARAMETERS:
        raise SpecError(
            [
                Problem(
                    f"{len(params)} template parameters; ARM allows {MAX_PARAMETERS}",
                    ("environments",),
                    hint="fewer values that differ between environments, or split the spec",
                )
            ]
        )
    return Plan(
        name=first.metadata.name,
        environments=tuple(envs),
        parameters=tuple(params),
        identities=tuple(merged.identities),
        namespaces=_union(e.namespaces for e in envs),
        service_accounts=_union(e.service_accounts for e in envs),
        workloads=_union(e.workloads for e in envs),
        enables_workload_identity=enables,
        pins_issuer=pins,
        warnings=without_ignored(dict.fromkeys(warnings), ignored),
        gitops=_gitops(first),
        pipelines_install=first.pipelines.install,
    )


def _missing_keys(spec: Spec, lacking: dict[str, list[str]], environments: int) -> list[Problem]:
    """Required keys that some environments get neither from the top level nor from their own block.

    A key no environment gets is reported once, where the top level would set it (a block missing
    entirely, once for the block); otherwise each environment that lacks it is named, at its key.
    """
    problems = []
    declared = bool(spec.environments)
    for block, keys in REQUIRED_IN_EVERY_ENVIRONMENT.items():
        nowhere = [k for k in keys if len(lacking.get(f"{block}.{k}", ())) == environments]
        per_environment = f"under environments.<name>.{block} in every environment"
        if block not in spec.model_fields_set and len(nowhere) == len(keys):
            hint = f"add {block}: {{{', '.join(f'{k}: ...' for k in keys)}}}"
            if declared:
                hint += f", or set {'them' if len(keys) > 1 else 'it'} {per_environment}"
            problems.append(Problem(f"required key {block!r} is missing", (), hint=hint))
            continue
        hint = f"set it here, or {per_environment}" if declared else ""
        problems += [Problem(f"required key {k!r} is missing", (block,), hint=hint) for k in nowhere]
        for key in keys:
            envs = lacking.get(f"{block}.{key}", [])
            if envs and len(envs) < environments:
                problems += [
                    Problem(
                        f"{block}.{key} is set neither in this environment nor at the top level",
                        ("environments", env),
                        hint=f"set it under environments.{env}.{block}, or once under {block} for every "
                        "environment",
                        at_key=True,
                    )
                    for env in envs
                ]
    return problems


def _union(groups: Iterable[tuple[T, ...]]) -> tuple[T, ...]:
    """Items of all environments, first appearance first (for summaries; emitters use each env's)."""
    return tuple(dict.fromkeys(item for group in groups for item in group))


def _folder(path: str) -> str:
    """A folder of the repository without leading or trailing '/' or './'; "" for the root."""
    parts = [p for p in path.split("/") if p not in ("", ".")]
    return "/".join(parts)


def _gitops(spec: Spec) -> GitOpsPlan | None:
    g = spec.gitops
    if g is None:
        return None
    return GitOpsPlan(
        repo_url=g.repoURL,
        branch=g.branch,
        path=None if g.path is None else _folder(g.path),
        interval=g.interval,
        flux_namespace=g.fluxNamespace,
        flux_source_name=g.fluxSourceName,
        argocd_namespace=g.argocdNamespace,
        argocd_project=g.argocdProject,
        destination_server=g.destinationServer,
    )
