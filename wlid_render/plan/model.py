"""The plan: a resolved, validated description of what to render, shared by every emitter.

Every name, default and cross-reference is settled here; emitters only lay it out. All containers
are tuples or read-only mappings so that a plan can be shared without copying.
"""


import json
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal, NamedTuple

from wlid_render.errors import Problem
from wlid_render.formats import CLUSTER_API, DeployMode, Federation

AUDIENCE = "api://AzureADTokenExchange"
IDENTITY_API = "2024-11-30"
ROLE_ASSIGNMENT_API = "2022-04-01"
DEPLOYMENT_API = "2022-09-01"
IDENTITY_BINDING_API = "2026-05-01"  # stable since 2026-04-01; the bundled schema has 2026-05-01
MAX_FICS_PER_IDENTITY = 20
MAX_DEPLOYMENT_NAME = 64  # ARM's limit on a deployment's name
UNIQUE_STRING_LENGTH = 13  # ARM's uniqueString() returns 13 characters

ParamType = Literal["string", "bool"]


@dataclass(frozen=True)
class Parameter:
    """A template parameter; `values` holds the value for every environment, in plan order."""

    name: str
    type: ParamType
    description: str
    values: tuple[tuple[str, str | bool], ...]
    default: str | bool | None = None

    def value(self, env: str) -> str | bool:
        return self._by_environment[env]

    @cached_property
    def _by_environment(self) -> dict[str, str | bool]:
        # Every environment's files look up every parameter: a dict made once keeps that linear.
        return dict(self.values)


class ParamRef(NamedTuple):
    """A value that differs between environments: the template parameter that carries it."""

    name: str

    def __str__(self) -> str:
        return f"<{self.name}>"


Value = str | ParamRef  # a literal, or a parameter set per environment


def _names(*values: object) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v.name for v in values if isinstance(v, ParamRef)))


class Target(NamedTuple):
    """What a role is granted on."""

    kind: Literal["resource", "resourceGroup", "subscription"]
    subscription_id: Value | None  # None: the deployment's subscription
    resource_group: Value | None  # None: the deployment's resource group (unused for kind subscription)
    resource_type: str = ""  # e.g. Microsoft.KeyVault/vaults (kind resource only)
    resource_name: Value = ""  # e.g. kv-app, or parent/child for nested types
    api_version: str = ""  # used by the Bicep `existing` declaration
    label: str = ""  # for people: "key vault kv-app"


class RoleAssignment(NamedTuple):
    role_name: str
    role_id: str  # built-in role-definition GUID
    target: Target
    description: str | None = None
    index: int = 0  # position in the identity's roles list


class RoleDeployment(NamedTuple):
    """A nested deployment that holds the role assignments of one identity in one scope.

    Nesting gives the assignments their principalId as a deployment parameter, so that the
    assignment name `guid(scope, principalId, roleDefinitionId)` is known when the nested
    deployment starts, and lets the target live in another resource group or subscription.
    """

    name: str
    subscription_id: Value | None
    resource_group: Value | None
    at_subscription: bool
    assignments: tuple[RoleAssignment, ...]

    def name_base(self) -> str:
        """The literal part of its deployment name. At subscription scope the name goes on with `-` and
        the 13 characters of uniqueString() of the deploying resource group (see emit/arm_roles.py), within
        ARM's 64 characters; a longer name keeps its start and its hash."""
        room = MAX_DEPLOYMENT_NAME - len("-") - UNIQUE_STRING_LENGTH
        if not self.at_subscription or len(self.name) <= room:
            return self.name
        return self.name[: room - 9] + self.name[-9:]  # `-<8 hex digits>` ends every role deployment name

    def scope_parameters(self) -> tuple[str, ...]:
        """Parameters its parent needs to place it (per-environment subscription or resource group)."""
        return _names(self.subscription_id, self.resource_group)

    def template_parameters(self) -> tuple[str, ...]:
        """Parameters its nested template needs, besides principalId (per-environment target names)."""
        return _names(*(a.target.resource_name for a in self.assignments))


class FederatedCredential(NamedTuple):
    name: str
    namespace: str
    service_account: str
    condition: str | None = None  # bool parameter: the ServiceAccount exists only in some environments
    cluster: str | None = None  # the cluster of a `clusters:` list whose issuer it trusts; None: `cluster`

    @property
    def subject(self) -> str:
        return f"system:serviceaccount:{self.namespace}:{self.service_account}"


class ClusterPlan(NamedTuple):
    """One cluster of a `clusters:` list. Its name, resource group and subscription are the same in every
    environment that lists it; `condition` is the bool parameter of the environments that do (None:
    all of them), `key` names its issuer parameter in the identity deployments (`issuer_<key>`)."""

    name: str
    resource_group: str
    subscription_id: str
    oidc_issuer_url: str | None = None
    key: str = ""
    condition: str | None = None

    @property
    def issuer_parameter(self) -> str:
        return f"issuer_{self.key}"


class IdentityBindingPlan(NamedTuple):
    """One AKS identity binding (cluster, identity), deployed by a nested deployment in the cluster's
    resource group. `cluster` names a cluster of a `clusters:` list; None: the environment's `cluster`,
    whose name, resource group and subscription are the template parameters clusterName, ..."""

    name: str  # ^[a-z][a-z0-9]{0,63}$, maxLength 63
    deployment_name: str
    cluster: str | None = None
    condition: str | None = None  # bool parameter: the binding exists only in some environments


class IdentityPlan(NamedTuple):
    """One identity, deployed by its own nested deployment `deployment_name` (the Bicep module
    `modules/<deployment_name>.bicep`) with its FICs and role deployments: the main template then
    holds one resource per identity, far below ARM's 800-resource limit even for large estates."""

    name: str
    deployment_name: str
    placeholder: str  # Flux post-build variable holding the client ID when it is not pinned
    credentials: tuple[FederatedCredential, ...]
    role_deployments: tuple[RoleDeployment, ...]
    condition: str | None = None  # bool parameter: the identity exists only in some environments
    # Tags of the identity resource: name -> literal, or the string parameter set per environment.
    tags: tuple[tuple[str, Value], ...] = ()
    # credentials: FICs of ours; identityBinding: AKS identity bindings, no FIC of ours (AKS makes one)
    federation: Federation = "credentials"
    bindings: tuple[IdentityBindingPlan, ...] = ()
    issuers: tuple[str, ...] = ()  # issuer parameters of `clusters:` clusters its FICs trust
    # bool parameters of those clusters that only some environments list: the main template reads an
    # issuer only where its cluster exists
    issuer_conditions: tuple[str, ...] = ()

    def template_parameters(self) -> tuple[str, ...]:
        """Parameters its nested template needs besides location and issuer, in a stable order."""
        names: list[str] = [c.condition for c in self.credentials if c.condition]
        names += _names(*(value for _, value in self.tags))
        for deployment in self.role_deployments:
            names += [*deployment.scope_parameters(), *deployment.template_parameters()]
        if any(b.cluster is None for b in self.bindings):
            names += ["clusterName", "clusterResourceGroup", "clusterSubscriptionId"]
        names += [b.condition for b in self.bindings if b.condition]
        return tuple(dict.fromkeys(names))


class AzureDeployment(NamedTuple):
    """One top-level deployment (`az deployment group create`) and its files below `azure/`.

    A spec whose resources fit one template has one: `main`, the opt-in cluster step and every
    identity. A larger one is split (see plan/deployments.py): `main` holds the cluster step, and each
    `identities-NNN` deployment holds a stable group of identities; deploy `main` first.
    """

    stem: str  # "main" or "identities-NNN": azure/<stem>.json and azure/<stem>.bicep
    name: str  # the deployment name
    identities: tuple[IdentityPlan, ...]
    cluster_update: bool  # holds the opt-in cluster step (writes the cluster only while a flag is off)
    parameters: tuple[Parameter, ...]  # those its template declares, in plan order
    outputs_identities: bool = True  # has the `identities` output

    def template_path(self, bicep: bool = False) -> str:
        return f"azure/{self.stem}.{'bicep' if bicep else 'json'}"

    def parameters_path(self, env: str, bicep: bool = False) -> str:
        suffix = "bicepparam" if bicep else "parameters.json"
        middle = "" if self.stem == "main" else f".{self.stem}"
        return f"azure/params/{env}{middle}.{suffix}"


class ServiceAccountPlan(NamedTuple):
    name: str
    namespace: str
    identity: str
    token_expiration: int | None


class KubeValue(NamedTuple):
    """A value in Kubernetes' own spelling (a probe, a volume, ...), checked against the Kubernetes
    schema when planned. Kept as JSON text so that a plan stays immutable and hashable; `value()`
    gives a fresh copy each time."""

    text: str

    @classmethod
    def of(cls, value: Any) -> "KubeValue":
        return cls(json.dumps(value, ensure_ascii=False, separators=(",", ":")))

    def value(self) -> Any:
        return json.loads(self.text)


class ContainerPlan(NamedTuple):
    name: str
    image: str
    command: tuple[str, ...] = ()
    args: tuple[str, ...] = ()
    env: tuple[tuple[str, str | KubeValue], ...] = ()  # a literal, or a valueFrom source
    ports: tuple[tuple[int, str | None, str | None], ...] = ()  # (containerPort, name, protocol)
    requests: tuple[tuple[str, str | int], ...] = ()
    limits: tuple[tuple[str, str | int], ...] = ()
    # The container's other fields as Kubernetes spells them (imagePullPolicy, envFrom, volumeMounts,
    # probes, lifecycle, securityContext, restartPolicy), in the order they are written.
    fields: KubeValue | None = None


class KeyVaultObjectPlan(NamedTuple):
    name: str
    type: Literal["secret", "key", "cert"]
    version: str | None = None
    alias: str | None = None

    @property
    def file_name(self) -> str:
        """The file the provider writes (and the name secretObjects refer to it by)."""
        return self.alias or self.name


class KeyVaultMountPlan(NamedTuple):
    """One vault mounted into a workload's pods by the Secrets Store CSI driver: its SecretProviderClass
    (in the workload's namespace), the pod volume and the containers' mounts."""

    index: int  # position in the workload's keyVaultSecrets list
    class_name: str  # the SecretProviderClass
    volume_name: str
    vault_name: str
    subscription_id: str | None  # None: the deployment's subscription
    resource_group: str | None  # None: the deployment's resource group
    objects: tuple[KeyVaultObjectPlan, ...]
    mount_path: str
    containers: tuple[str, ...]  # the containers (and initContainers) that mount it
    sync_secret: str | None = None  # the Secret the driver keeps in sync
    sync_type: str = "Opaque"
    sync_keys: tuple[tuple[str, str], ...] = ()  # Secret key -> object file name
    grant: bool = False  # grant: auto


class WorkloadPlan(NamedTuple):
    name: str
    kind: Literal["Pod", "Deployment", "StatefulSet", "Job", "CronJob"]
    namespace: str
    service_account: str
    containers: tuple[ContainerPlan, ...]
    node_selector: tuple[tuple[str, str], ...] = ()
    labels: tuple[tuple[str, str], ...] = ()
    annotations: tuple[tuple[str, str], ...] = ()
    replicas: int | None = None
    schedule: str | None = None
    existing: bool = False  # defined elsewhere: wlid renders a Kustomize Component that patches it
    index: int = 0  # position in the spec's workloads list
    workload_identity: bool = True  # False: the pods opt out of the token (no use label, an annotation)
    init_containers: tuple[ContainerPlan, ...] = ()
    # Further fields of the pod spec as Kubernetes spells them (volumes, securityContext, ...,
    # then those of the spec's podTemplate), in the order they are written after wlid's own.
    pod_fields: KubeValue | None = None
    key_vaults: tuple[KeyVaultMountPlan, ...] = ()  # mounted by the Secrets Store CSI driver
    # its ServiceAccount's identity uses AKS identity bindings: the pods carry use-identity-binding
    identity_binding: bool = False


class EnvironmentPlan(NamedTuple):
    name: str
    subscription_id: str
    resource_group: str
    location: str
    tenant_id: str | None
    cluster_name: str
    cluster_resource_group: str
    cluster_subscription_id: str
    enable_workload_identity: bool
    oidc_issuer_url: str | None
    client_ids: tuple[tuple[str, str], ...]  # identity -> client ID or its placeholder
    pinned: frozenset[str] = frozenset()  # identities whose client ID is known
    # azure.tags resolved for this environment: for the command that creates the top-level deployment
    # (`az deployment group create --tags k=v...`); nested deployments carry none (see plan/tags.py).
    tags: tuple[tuple[str, str], ...] = ()
    # What this environment runs on the Kubernetes side (entities limited to some environments
    # appear only in theirs); values may differ between environments.
    namespaces: tuple[str, ...] = ()
    service_accounts: tuple[ServiceAccountPlan, ...] = ()
    workloads: tuple[WorkloadPlan, ...] = ()
    # How the pipelines and `wlid whatif` deploy the identities: a plain incremental deployment
    # ("group") or a deployment stack that deletes what left the template ("stack").
    deploy: DeployMode = "group"
    # The clusters of a `clusters:` list (the first is also cluster_name, ...); () for `cluster`.
    clusters: tuple[ClusterPlan, ...] = ()

    def cluster_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.clusters) or (self.cluster_name,)


class GitOpsPlan(NamedTuple):
    """Where the rendered tree lives in Git, for the Flux and Argo CD objects."""

    repo_url: str
    branch: str
    # OUT's path inside the repository, "" for the root, no leading or trailing "/"; None: not set in the
    # spec, render_plan fills in where OUT was rendered.
    path: str | None
    interval: str
    flux_namespace: str
    flux_source_name: str
    argocd_namespace: str
    argocd_project: str
    destination_server: str


@dataclass(frozen=True)
class Plan:
    name: str
    environments: tuple[EnvironmentPlan, ...]
    parameters: tuple[Parameter, ...]
    identities: tuple[IdentityPlan, ...]
    namespaces: tuple[str, ...]
    service_accounts: tuple[ServiceAccountPlan, ...]
    workloads: tuple[WorkloadPlan, ...]
    enables_workload_identity: bool  # some environment opts in to the cluster step (see plan/cluster.py)
    pins_issuer: bool  # some environment pins the issuer URL (parameter oidcIssuerUrl)
    deployments: tuple[AzureDeployment, ...]  # the top-level deployments, `main` first (plan/deployments.py)
    warnings: tuple[Problem, ...] = ()
    gitops: GitOpsPlan | None = None
    pipelines_install: str | None = None  # pip's argument in the pipelines; None: this wlid version
    identity_api: str = IDENTITY_API
    role_assignment_api: str = ROLE_ASSIGNMENT_API
    cluster_api: str = CLUSTER_API
    deployment_api: str = DEPLOYMENT_API
    identity_binding_api: str = IDENTITY_BINDING_API
    clusters: tuple[ClusterPlan, ...] = ()  # every cluster of a `clusters:` list, first listing first

    @cached_property
    def environments_by_name(self) -> dict[str, EnvironmentPlan]:
        return {e.name: e for e in self.environments}

    @property
    def deployment_name(self) -> str:
        """The name of the `az deployment group create` deployment of main.json."""
        return f"wlid-{self.name}"
