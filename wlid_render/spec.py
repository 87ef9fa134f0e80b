"""Spec v1 as pydantic models: types, formats and naming rules of single fields.

Unknown keys are rejected everywhere (`extra="forbid"`). Rules that span several fields (references
between entries, duplicates, limits) live in `plan`, which sees the whole spec.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


def _rule(pattern: str, what: str, max_len: int | None = None):
    regex = re.compile(pattern)

    def check(value: str) -> str:
        if max_len is not None and len(value) > max_len:
            raise ValueError(f"{what}: at most {max_len} characters, got {len(value)}")
        if not regex.fullmatch(value):
            raise ValueError(f"{value!r} is not a valid {what}")
        return value

    return AfterValidator(check)


UUID_RE = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"

SpecName = Annotated[
    StrictStr,
    _rule(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?", "spec name (lower-case letters, digits and '-')", 40),
]
Uuid = Annotated[StrictStr, _rule(UUID_RE, "GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)")]
ResourceGroupName = Annotated[
    StrictStr,
    _rule(r"[-\w.()]*[-\w()]", "resource group name (letters, digits, '-', '_', '.', '(', ')')", 90),
]
Location = Annotated[StrictStr, _rule(r"[a-z][a-z0-9]*", "location (the short form, e.g. eastus)", 40)]
ClusterName = Annotated[
    StrictStr,
    _rule(
        r"[a-zA-Z0-9]|[a-zA-Z0-9][-_a-zA-Z0-9]{0,61}[a-zA-Z0-9]",
        "AKS cluster name (1-63 letters, digits, '-', '_'; starts and ends alphanumeric)",
    ),
]
IssuerUrl = Annotated[
    StrictStr,
    _rule(r"https://[^\s/]+/(\S*/)?", "OIDC issuer URL (https://..., ending with '/')", 600),
]
IdentityName = Annotated[
    StrictStr,
    _rule(
        r"[a-zA-Z0-9][a-zA-Z0-9_-]{2,127}",
        "managed identity name (3-128 letters, digits, '-', '_'; starts alphanumeric)",
    ),
]
FicName = Annotated[
    StrictStr,
    _rule(
        r"[a-zA-Z0-9][a-zA-Z0-9_-]{2,119}",
        "federated credential name (3-120 letters, digits, '-', '_'; starts alphanumeric)",
    ),
]
DnsLabel = Annotated[
    StrictStr,
    _rule(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", "Kubernetes name (DNS-1123 label: a-z, 0-9, '-')", 63),
]
DnsSubdomain = Annotated[
    StrictStr,
    _rule(
        r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*",
        "Kubernetes name (DNS-1123 subdomain: a-z, 0-9, '-', '.')",
        253,
    ),
]
AzureName = Annotated[
    StrictStr,
    _rule(r"[a-zA-Z0-9][-\w.]*", "Azure resource name (letters, digits, '-', '_', '.')", 260),
]
LabelKey = Annotated[
    StrictStr,
    _rule(
        r"([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?",
        "Kubernetes label or annotation key",
        316,
    ),
]
EnvName = Annotated[
    StrictStr,
    _rule(r"[A-Za-z_][A-Za-z0-9_]*", "environment variable name (letters, digits, '_')", 256),
]
EnvironmentName = Annotated[
    StrictStr,
    _rule(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?", "environment name (lower-case letters, digits, '-')", 30),
]


def _token_expiration(value: int) -> int:
    if not 3600 <= value <= 86400:
        raise ValueError(
            f"tokenExpiration must be between 3600 and 86400 seconds, got {value} "
            "(the workload identity webhook rejects other values at admission)"
        )
    return value


class Metadata(_Model):
    name: SpecName


class Azure(_Model):
    subscriptionId: Uuid
    resourceGroup: ResourceGroupName
    location: Location
    tenantId: Uuid | None = None


class Cluster(_Model):
    name: ClusterName
    resourceGroup: ResourceGroupName | None = None
    subscriptionId: Uuid | None = None
    enableWorkloadIdentity: StrictBool = False
    oidcIssuerUrl: IssuerUrl | None = None


class ResourceRef(_Model):
    name: AzureName
    resourceGroup: ResourceGroupName | None = None
    subscriptionId: Uuid | None = None


Target = AzureName | ResourceRef


class RoleGrant(_Model):
    role: StrictStr = Field(min_length=1, max_length=200)
    keyVault: Target | None = None
    storageAccount: Target | None = None
    containerRegistry: Target | None = None
    serviceBusNamespace: Target | None = None
    eventHubNamespace: Target | None = None
    appConfiguration: Target | None = None
    resourceGroup: ResourceGroupName | None = None
    subscription: Literal[True] | None = None
    resourceId: StrictStr | None = Field(default=None, max_length=1024)
    description: StrictStr | None = Field(default=None, max_length=1024)


OnlyIn = list[Annotated[StrictStr, Field(min_length=1, max_length=30)]] | None


class Identity(_Model):
    name: IdentityName
    roles: list[RoleGrant] = []
    environments: OnlyIn = None  # only in these environments (default: all)


class ServiceAccount(_Model):
    name: DnsSubdomain
    namespace: DnsLabel = "default"
    identity: IdentityName
    federatedCredentialName: FicName | None = None
    tokenExpiration: Annotated[StrictInt, AfterValidator(_token_expiration)] | None = None
    environments: OnlyIn = None


class Port(_Model):
    containerPort: Annotated[StrictInt, Field(ge=1, le=65535)]
    name: DnsLabel | None = None
    protocol: Literal["TCP", "UDP", "SCTP"] | None = None


Quantity = Annotated[StrictStr, Field(min_length=1, max_length=64)] | StrictInt


class Resources(_Model):
    requests: dict[Annotated[StrictStr, Field(min_length=1, max_length=253)], Quantity] = {}
    limits: dict[Annotated[StrictStr, Field(min_length=1, max_length=253)], Quantity] = {}


class Container(_Model):
    name: DnsLabel
    image: Annotated[StrictStr, Field(min_length=1, max_length=1024)]
    command: list[StrictStr] = []
    args: list[StrictStr] = []
    env: dict[EnvName, StrictStr] = {}
    ports: list[Annotated[StrictInt, Field(ge=1, le=65535)] | Port] = []
    resources: Resources | None = None


class Workload(_Model):
    name: DnsLabel
    kind: Literal["Pod", "Deployment", "StatefulSet", "Job", "CronJob"] = "Pod"
    serviceAccount: DnsSubdomain
    namespace: DnsLabel | None = None
    containers: list[Container] = []
    existing: StrictBool = False  # the workload comes from elsewhere: render a Kustomize Component
    environments: OnlyIn = None
    nodeSelector: dict[LabelKey, StrictStr] = {}
    labels: dict[LabelKey, StrictStr] = {}
    annotations: dict[LabelKey, StrictStr] = {}
    replicas: Annotated[StrictInt, Field(ge=0)] | None = None
    schedule: Annotated[StrictStr, Field(min_length=1, max_length=256)] | None = None


class AzureOverride(_Model):
    subscriptionId: Uuid | None = None
    resourceGroup: ResourceGroupName | None = None
    location: Location | None = None
    tenantId: Uuid | None = None


class ClusterOverride(_Model):
    name: ClusterName | None = None
    resourceGroup: ResourceGroupName | None = None
    subscriptionId: Uuid | None = None
    enableWorkloadIdentity: StrictBool | None = None
    oidcIssuerUrl: IssuerUrl | None = None


VarName = Annotated[StrictStr, _rule(r"[A-Za-z_][A-Za-z0-9_]*", "variable name (letters, digits, '_')", 64)]


class Environment(_Model):
    vars: dict[VarName, StrictStr] = {}
    azure: AzureOverride = AzureOverride()
    cluster: ClusterOverride = ClusterOverride()
    clientIds: dict[IdentityName, Uuid] = {}


GitRef = Annotated[StrictStr, Field(min_length=1, max_length=255)]


class GitOps(_Model):
    repoURL: Annotated[StrictStr, Field(min_length=1, max_length=2048)]
    branch: GitRef = "main"
    path: Annotated[StrictStr, Field(max_length=1024)] = ""  # where OUT sits in the repository
    interval: Annotated[StrictStr, _rule(r"[0-9]+(ms|s|m|h)([0-9]+(ms|s|m|h))*", "duration (e.g. 10m)")] = (
        "10m"
    )
    fluxNamespace: DnsLabel = "flux-system"
    fluxSourceName: DnsSubdomain = "flux-system"  # the GitRepository that holds this repository
    argocdNamespace: DnsLabel = "argocd"
    argocdProject: DnsSubdomain = "default"
    destinationServer: Annotated[StrictStr, Field(min_length=1, max_length=2048)] = (
        "https://kubernetes.default.svc"
    )


class Spec(_Model):
    apiVersion: Literal["wlid/v1"]
    kind: Literal["WorkloadIdentitySpec"]
    metadata: Metadata
    azure: Azure
    cluster: Cluster
    identities: list[Identity] = Field(min_length=1)
    serviceAccounts: list[ServiceAccount] = []
    workloads: list[Workload] = []
    environments: dict[EnvironmentName, Environment] = {}
    gitops: GitOps | None = None
