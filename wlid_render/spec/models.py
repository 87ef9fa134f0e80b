"""Spec v1 as pydantic models: types, formats and naming rules of single fields.

Unknown keys are rejected everywhere (`extra="forbid"`). Rules that span several fields (references
between entries, duplicates, limits) live in `plan`, which sees the whole spec.

Every field carries a description and examples: `wlid schema` turns them into the JSON Schema that
editors use for completion and hover help (schema/wlid-v1.schema.json). They do not affect validation.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from wlid_render.formats import CLUSTER_NAME_PATTERN, FIC_NAME_PATTERN, GUID_PATTERN, IDENTITY_NAME_PATTERN
from wlid_render.warning_codes import WARNINGS


def empty_list() -> list:  # type: ignore[type-arg]
    """The default of a list field (a literal `[]` default is deep-copied for every object validated)."""
    return []


def empty_map() -> dict:  # type: ignore[type-arg]
    """The default of a mapping field (see `empty_list`)."""
    return {}


class _Model(BaseModel):
    # defer_build: the validator of Spec is built once, on the first validation, with every nested
    # model in it; built at class creation, each model would build its own validator (and its nested
    # models' again) while `wlid render` only ever needs Spec's. A model used on its own (a
    # model_dump of an override, the JSON Schema) builds its own on first use.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, defer_build=True)


def _rule(pattern: str, what: str, max_len: int | None = None):
    regex: re.Pattern[str] | None = None  # compiled on first use: a spec uses some of the rules

    def check(value: str) -> str:
        nonlocal regex
        if max_len is not None and len(value) > max_len:
            raise ValueError(f"{what}: at most {max_len} characters, got {len(value)}")
        if regex is None:
            regex = re.compile(pattern)
        if not regex.fullmatch(value):
            shown = repr(value) if len(value) <= 80 else f"{value[:60]!r}... ({len(value)} characters)"
            raise ValueError(f"{shown} is not a valid {what}")
        return value

    return AfterValidator(check)


UUID_RE = GUID_PATTERN

SpecName = Annotated[
    str,
    _rule(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?", "spec name (lower-case letters, digits and '-')", 40),
]
Uuid = Annotated[str, _rule(UUID_RE, "GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)")]
ResourceGroupName = Annotated[
    str,
    _rule(r"[-\w.()]*[-\w()]", "resource group name (letters, digits, '-', '_', '.', '(', ')')", 90),
]
Location = Annotated[str, _rule(r"[a-z][a-z0-9]*", "location (the short form, e.g. eastus)", 40)]
ClusterName = Annotated[
    str,
    _rule(
        CLUSTER_NAME_PATTERN,
        "AKS cluster name (1-63 letters, digits, '-', '_'; starts and ends alphanumeric)",
    ),
]
IssuerUrl = Annotated[
    str,
    _rule(r"https://[^\s/]+/(\S*/)?", "OIDC issuer URL (https://..., ending with '/')", 600),
]
IdentityName = Annotated[
    str,
    _rule(
        IDENTITY_NAME_PATTERN,
        "managed identity name (3-128 letters, digits, '-', '_'; starts alphanumeric)",
    ),
]
FicName = Annotated[
    str,
    _rule(
        FIC_NAME_PATTERN,
        "federated credential name (3-120 letters, digits, '-', '_'; starts alphanumeric)",
    ),
]
DnsLabel = Annotated[
    str,
    _rule(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", "Kubernetes name (DNS-1123 label: a-z, 0-9, '-')", 63),
]
DnsSubdomain = Annotated[
    str,
    _rule(
        r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*",
        "Kubernetes name (DNS-1123 subdomain: a-z, 0-9, '-', '.')",
        253,
    ),
]
AzureName = Annotated[
    str,
    _rule(r"[a-zA-Z0-9][-\w.]*", "Azure resource name (letters, digits, '-', '_', '.')", 260),
]
LabelKey = Annotated[
    str,
    _rule(
        r"([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?",
        "Kubernetes label or annotation key",
        316,
    ),
]
LabelValue = Annotated[
    str,
    _rule(
        r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?",
        "Kubernetes label value (at most 63 letters, digits, '-', '_', '.'; alphanumeric at both ends)",
        63,
    ),
]
EnvName = Annotated[
    str,
    _rule(r"[A-Za-z_][A-Za-z0-9_]*", "environment variable name (letters, digits, '_')", 256),
]
EnvironmentName = Annotated[
    str,
    _rule(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?", "environment name (lower-case letters, digits, '-')", 30),
]


# Azure's limits on tags (Microsoft Learn, "Use tags to organize your Azure resources", Limitations):
# names at most 512 characters without < > % & \ ? /, values at most 256 characters, at most 50 tags
# per resource (counted in plan, after the spec-wide and the identity's tags are merged).
TAG_NAME_FORBIDDEN = "<>%&\\?/"
MAX_TAG_NAME, MAX_TAG_VALUE = 512, 256


def _tag_name(value: str) -> str:
    if not value:
        raise ValueError("a tag name cannot be empty")
    if len(value) > MAX_TAG_NAME:
        raise ValueError(f"a tag name has at most {MAX_TAG_NAME} characters, got {len(value)}")
    bad = sorted({c for c in value if c in TAG_NAME_FORBIDDEN})
    if bad:
        raise ValueError(
            f"tag name {value[:80]!r} contains {' '.join(bad)}; Azure refuses < > % & \\ ? / in tag names"
        )
    return value


def _tag_value(value: str) -> str:
    if len(value) > MAX_TAG_VALUE:
        raise ValueError(f"a tag value has at most {MAX_TAG_VALUE} characters, got {len(value)}")
    return value


TagName = Annotated[str, AfterValidator(_tag_name)]
TagValue = Annotated[str, AfterValidator(_tag_value)]
Tags = dict[TagName, TagValue]

_TAGS = (
    "Tags written on the managed identities (Azure's limits: at most 50 per identity, names up to 512 "
    "characters without < > % & \\ ? /, values up to 256). Values may use ${env} and ${vars.NAME}. "
    "A deployment replaces the identity's tags with these: tags added by hand are removed, tags that "
    "an Azure Policy modify or append effect adds are added again in the same request."
)


def _token_expiration(value: int) -> int:
    if not 3600 <= value <= 86400:
        raise ValueError(
            f"tokenExpiration must be between 3600 and 86400 seconds, got {value} "
            "(the workload identity webhook rejects other values at admission)"
        )
    return value


# A code of warning_codes.WARNINGS: the schema lists them; wlid render says which code was meant when
# one is not known (see plan/build.py).
WarningCode = Annotated[str, Field(min_length=1, max_length=16, json_schema_extra={"enum": sorted(WARNINGS)})]


class Metadata(_Model):
    """What the spec is called, and which warnings it does not want to see."""

    name: SpecName = Field(
        description="Name of the spec: lower-case letters, digits and '-', at most 40 characters. "
        "The default output folder is out/<name> and the deployment is named wlid-<name>.",
        examples=["lab", "shop"],
    )
    ignoreWarnings: list[WarningCode] = Field(
        default_factory=empty_list,
        description="Codes of render warnings not to print for this spec (W001, ...: see docs/warnings.md). "
        "Default: every warning is printed.",
        examples=[["W006"], ["W001", "W005"]],
    )


# Keys without which no environment renders. Each may be given at the top level (for every environment)
# or by every environment instead (`environments.<name>.azure.subscriptionId`, ...): wlid checks them
# after merging (plan/build.py), the JSON Schema with one rule per key (see Spec).
REQUIRED_IN_EVERY_ENVIRONMENT = {
    "azure": ("subscriptionId", "resourceGroup", "location"),
    "cluster": ("name",),
}
_IN_EVERY_ENVIRONMENT = " Required here or in every environment (environments.<name>.azure)."


DeployMode = Literal["group", "stack"]

_DEPLOY = (
    "How the pipelines and `wlid whatif` deploy the identities: group (default), a plain incremental "
    "deployment (az deployment group create), which never deletes: a FIC or role assignment removed from "
    "the spec stays in Azure; or stack, a deployment stack (az stack group create --action-on-unmanage "
    "deleteResources --deny-settings-mode none), which deletes what left the template. Never used for "
    "the cluster step. See docs/deployment-modes.md."
)


class Azure(_Model):
    """Where the managed identities are created: the resource group the template is deployed to."""

    subscriptionId: Uuid | None = Field(
        None,
        description="Subscription (GUID) of the identities' resource group." + _IN_EVERY_ENVIRONMENT,
        examples=["11111111-1111-1111-1111-111111111111"],
    )
    resourceGroup: ResourceGroupName | None = Field(
        None,
        description="Resource group where the managed identities are created (the deployment's resource "
        "group)." + _IN_EVERY_ENVIRONMENT,
        examples=["rg-wlid-lab"],
    )
    location: Location | None = Field(
        None,
        description="Azure region of the identities, short form (eastus, westeurope). Some regions do not "
        "support federated credentials on user-assigned identities; wlid warns about them."
        + _IN_EVERY_ENVIRONMENT,
        examples=["eastus", "westeurope"],
    )
    tenantId: Uuid | None = Field(
        None,
        description="Entra tenant (GUID). Optional; when set, ServiceAccounts get the "
        "azure.workload.identity/tenant-id annotation (else the cluster's default tenant is used).",
        examples=["22222222-2222-2222-2222-222222222222"],
    )
    tags: Tags = Field(
        default_factory=empty_map,
        description=f"{_TAGS} Every identity gets them; an identity's own tags win over these.",
        examples=[{"costCenter": "1234", "environment": "${env}"}],
    )
    deploy: DeployMode = Field(
        "group",
        description=_DEPLOY,
        examples=["stack"],
    )


class Cluster(_Model):
    """The AKS cluster whose OIDC issuer the federated credentials trust."""

    name: ClusterName | None = Field(
        None,
        description="Name of the AKS cluster (1-63 letters, digits, '-', '_'; starts and ends alphanumeric). "
        "Required here or in every environment (environments.<name>.cluster).",
        examples=["aks-wlid-lab"],
    )
    resourceGroup: ResourceGroupName | None = Field(
        None,
        description="Resource group of the cluster. Default: azure.resourceGroup.",
        examples=["rg-aks"],
    )
    subscriptionId: Uuid | None = Field(
        None,
        description="Subscription (GUID) of the cluster. Default: azure.subscriptionId.",
        examples=["11111111-1111-1111-1111-111111111111"],
    )
    enableWorkloadIdentity: bool = Field(
        False,
        description="Opt-in. false (default): the template never writes the cluster; turn its OIDC issuer "
        "and workload identity on once with az aks update --enable-oidc-issuer --enable-workload-identity "
        "(it restarts the API server) and the pipelines check them. true: the template turns them on "
        "itself while one is off (a full PUT of the cluster, API 2026-05-01, refused for clusters it "
        "cannot write back; see docs/azure-resources.md for the risks).",
        examples=[True],
    )
    oidcIssuerUrl: IssuerUrl | None = Field(
        None,
        description="Pin the cluster's OIDC issuer URL (https://..., ending with '/'). "
        "Default: the template reads it from the cluster, which avoids typing mistakes.",
        examples=[
            "https://eastus.oic.prod-aks.azure.com/22222222-2222-2222-2222-222222222222/33333333-3333-3333-3333-333333333333/"
        ],
    )


class ResourceRef(_Model):
    """A role target named with its resource group (and subscription) when it is not in the deployment's."""

    name: AzureName = Field(description="Name of the resource.", examples=["kv-shop-secrets"])
    resourceGroup: ResourceGroupName | None = Field(
        None,
        description="Resource group of the resource. Default: the deployment's resource group.",
        examples=["rg-shop-data"],
    )
    subscriptionId: Uuid | None = Field(
        None,
        description="Subscription (GUID) of the resource; needs resourceGroup. Default: the deployment's.",
        examples=["33333333-3333-3333-3333-333333333333"],
    )


Target = AzureName | ResourceRef

_TARGET = (
    "Give a name (a resource in the deployment's resource group) or {name, resourceGroup, subscriptionId}. "
    "Exactly one target per role."
)


class RoleGrant(_Model):
    """A role granted to the identity on exactly one target."""

    role: str = Field(
        min_length=1,
        max_length=200,
        description="Built-in role name (any case) or a role-definition GUID (a custom role).",
        examples=["Key Vault Secrets User", "Storage Blob Data Reader"],
    )
    keyVault: Target | None = Field(
        None,
        description=f"Target: a key vault. {_TARGET}",
        examples=["kv-wlid-lab", {"name": "kv-shop", "resourceGroup": "rg-shop-secrets"}],
    )
    storageAccount: Target | None = Field(
        None,
        description=f"Target: a storage account. {_TARGET}",
        examples=["stshopassets", {"name": "stshopassets", "resourceGroup": "rg-shop-data"}],
    )
    containerRegistry: Target | None = Field(
        None, description=f"Target: a container registry. {_TARGET}", examples=["acrshop"]
    )
    serviceBusNamespace: Target | None = Field(
        None, description=f"Target: a Service Bus namespace. {_TARGET}", examples=["sb-shop-orders"]
    )
    eventHubNamespace: Target | None = Field(
        None, description=f"Target: an Event Hubs namespace. {_TARGET}", examples=["evh-shop-events"]
    )
    appConfiguration: Target | None = Field(
        None, description=f"Target: an App Configuration store. {_TARGET}", examples=["appcs-shop"]
    )
    resourceGroup: ResourceGroupName | None = Field(
        None,
        description="Target: a resource group (by name, in the deployment's subscription).",
        examples=["rg-shop-data"],
    )
    subscription: Literal[True] | None = Field(
        None, description="Target: the deployment's subscription (only true is allowed).", examples=[True]
    )
    resourceId: str | None = Field(
        default=None,
        max_length=1024,
        description="Target: any resource, resource group or subscription by its ID, nested types included.",
        examples=[
            "/subscriptions/33333333-3333-3333-3333-333333333333/resourceGroups/rg-reports/providers/"
            "Microsoft.Storage/storageAccounts/streports"
        ],
    )
    description: str | None = Field(
        default=None,
        max_length=1024,
        description="Optional text on the role assignment.",
        examples=["Read-only view for cost reports"],
    )


OnlyIn = list[Annotated[str, Field(min_length=1, max_length=30)]] | None

_ONLY_IN = "Only in these environments (names under environments). Default: every environment."


class Identity(_Model):
    """A user-assigned managed identity, its role assignments, and (through ServiceAccounts) its FICs."""

    name: IdentityName = Field(
        description="Name of the managed identity: 3-128 letters, digits, '-', '_', starting alphanumeric. "
        "The same in every environment.",
        examples=["myIdentity", "shop-api"],
    )
    roles: list[RoleGrant] = Field(
        default_factory=empty_list,
        description="Roles granted to the identity, each on exactly one target.",
        examples=[[{"role": "Key Vault Secrets User", "keyVault": "kv-wlid-lab"}]],
    )
    tags: Tags = Field(
        default_factory=empty_map,
        description=f"{_TAGS} Added to azure.tags; a name given in both (ignoring case) takes this value.",
        examples=[{"owner": "team-orders"}],
    )
    environments: OnlyIn = Field(None, description=_ONLY_IN, examples=[["prod"]])


class ServiceAccount(_Model):
    """A Kubernetes ServiceAccount bound to an identity: wlid annotates it with the client ID and creates
    the federated credential that trusts system:serviceaccount:<namespace>:<name>."""

    name: DnsSubdomain = Field(
        description="Name of the ServiceAccount (DNS-1123 subdomain: a-z, 0-9, '-', '.').",
        examples=["workload-identity-sa"],
    )
    namespace: DnsLabel = Field(
        "default",
        description="Namespace of the ServiceAccount (DNS-1123 label). Default: default.",
        examples=["default", "shop"],
    )
    identity: IdentityName = Field(
        description="Name of the identity (under identities) whose client ID the ServiceAccount carries.",
        examples=["myIdentity"],
    )
    federatedCredentialName: FicName | None = Field(
        None,
        description="Name of the federated identity credential (3-120 letters, digits, '-', '_'). "
        "Default: <namespace>-<name>. FIC names cannot be changed later.",
        examples=["myFedIdentity"],
    )
    tokenExpiration: Annotated[int, AfterValidator(_token_expiration)] | None = Field(
        None,
        description="Lifetime of the projected service account token in seconds, 3600..86400 "
        "(the webhook rejects other values). Default: the webhook's 3600.",
        examples=[3600, 86400],
    )
    environments: OnlyIn = Field(None, description=_ONLY_IN, examples=[["prod"]])


class Port(_Model):
    """A container port with a name or protocol."""

    containerPort: Annotated[int, Field(ge=1, le=65535)] = Field(
        description="Port number, 1-65535.", examples=[8080]
    )
    name: DnsLabel | None = Field(
        None, description="Name of the port (DNS-1123 label).", examples=["metrics"]
    )
    protocol: Literal["TCP", "UDP", "SCTP"] | None = Field(
        None, description="TCP (Kubernetes' default), UDP or SCTP.", examples=["TCP"]
    )


Quantity = Annotated[str, Field(min_length=1, max_length=64)] | int


class Resources(_Model):
    """Compute resources of a container."""

    requests: dict[Annotated[str, Field(min_length=1, max_length=253)], Quantity] = Field(
        default_factory=empty_map,
        description="Resource requests, e.g. cpu and memory (Kubernetes quantities).",
        examples=[{"cpu": "100m", "memory": "128Mi"}],
    )
    limits: dict[Annotated[str, Field(min_length=1, max_length=253)], Quantity] = Field(
        default_factory=empty_map,
        description="Resource limits (Kubernetes quantities).",
        examples=[{"memory": "256Mi"}],
    )


KubeObject = dict[str, Any]  # fields in Kubernetes' own spelling, checked at render time (plan/pod_fields.py)

_KUBE = "Kubernetes' own fields, checked against the Kubernetes schema at render time"


def _kube(what: str, example: Any, description: str = "") -> Any:
    """A field that takes a Kubernetes object as Kubernetes spells it (a permissive object here)."""
    return Field(None, description=f"{description or what} ({_KUBE}).", examples=[example])


def _kube_list(what: str, example: Any) -> Any:
    return Field(default_factory=empty_list, description=f"{what} ({_KUBE}).", examples=[example])


class EnvValueFrom(_Model):
    """An environment variable read from elsewhere (Kubernetes' valueFrom): exactly one source."""

    secretKeyRef: KubeObject | None = _kube(
        "A key of a Secret", {"name": "db", "key": "password"}, "A key of a Secret in the pod's namespace"
    )
    configMapKeyRef: KubeObject | None = _kube("A key of a ConfigMap", {"name": "settings", "key": "mode"})
    fieldRef: KubeObject | None = _kube("A field of the pod", {"fieldPath": "metadata.name"})
    resourceFieldRef: KubeObject | None = _kube(
        "A resource of the container", {"resource": "limits.memory", "divisor": "1Mi"}
    )


_PROBE_EXAMPLE = {"httpGet": {"path": "/healthz", "port": 8080}, "periodSeconds": 10}


class Container(_Model):
    """A container of a workload."""

    name: DnsLabel = Field(description="Name of the container (DNS-1123 label).", examples=["busybox"])
    image: Annotated[str, Field(min_length=1, max_length=1024)] = Field(
        description="Container image.", examples=["busybox", "ghcr.io/example/shop-api:1.8.0"]
    )
    imagePullPolicy: Literal["Always", "IfNotPresent", "Never"] | None = Field(
        None,
        description="When the kubelet pulls the image. Default: Kubernetes' rule.",
        examples=["IfNotPresent"],
    )
    command: list[str] = Field(
        default_factory=empty_list, description="Entrypoint (strings).", examples=[["sh", "-c", "sleep 3600"]]
    )
    args: list[str] = Field(
        default_factory=empty_list, description="Arguments (strings).", examples=[["--port", "8080"]]
    )
    env: dict[EnvName, str | EnvValueFrom] = Field(
        default_factory=empty_map,
        description="Environment variables: a string (quote numbers and yes/no/on/off/true/false), or one "
        "of secretKeyRef, configMapKeyRef, fieldRef, resourceFieldRef (Kubernetes' valueFrom). A secret "
        "never goes here as a literal: reference a Secret with secretKeyRef.",
        examples=[
            {"SECRET_NAME": "my-secret", "DB_PASSWORD": {"secretKeyRef": {"name": "db", "key": "password"}}}
        ],
    )
    envFrom: list[KubeObject] = _kube_list(
        "Every key of a ConfigMap or Secret as environment variables",
        [{"configMapRef": {"name": "settings"}}],
    )
    ports: list[Annotated[int, Field(ge=1, le=65535)] | Port] = Field(
        default_factory=empty_list,
        description="Container ports: a number, or {containerPort, name, protocol}.",
        examples=[[8080, {"containerPort": 9090, "name": "metrics", "protocol": "TCP"}]],
    )
    resources: Resources | None = Field(
        None,
        description="Resource requests and limits.",
        examples=[{"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}}],
    )
    volumeMounts: list[KubeObject] = _kube_list(
        "Volumes of the workload mounted into the container", [{"name": "cache", "mountPath": "/cache"}]
    )
    livenessProbe: KubeObject | None = _kube(
        "Liveness probe: the kubelet restarts the container when it fails", _PROBE_EXAMPLE
    )
    readinessProbe: KubeObject | None = _kube(
        "Readiness probe: traffic only while it succeeds", _PROBE_EXAMPLE
    )
    startupProbe: KubeObject | None = _kube(
        "Startup probe: the other probes wait until it succeeds", {**_PROBE_EXAMPLE, "failureThreshold": 30}
    )
    lifecycle: KubeObject | None = _kube(
        "postStart and preStop hooks", {"preStop": {"sleep": {"seconds": 5}}}
    )
    securityContext: KubeObject | None = _kube(
        "Security options of the container",
        {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
    )
    restartPolicy: Literal["Always"] | None = Field(
        None,
        description="Init containers only: Always makes it a sidecar that runs beside the containers "
        "(Kubernetes 1.29 and later).",
        examples=["Always"],
    )


class Workload(_Model):
    """A workload whose pods use a ServiceAccount's identity (labelled azure.workload.identity/use: "true")."""

    name: DnsLabel = Field(
        description="Name of the workload (DNS-1123 label; CronJob and StatefulSet: at most 52 characters).",
        examples=["sample-workload-identity"],
    )
    kind: Literal["Pod", "Deployment", "StatefulSet", "Job", "CronJob"] = Field(
        "Pod", description="Kind of the workload. Default: Pod.", examples=["Deployment"]
    )
    serviceAccount: DnsSubdomain = Field(
        description="Name of the ServiceAccount (under serviceAccounts) the pods run as.",
        examples=["workload-identity-sa"],
    )
    namespace: DnsLabel | None = Field(
        None,
        description="Namespace of the workload. Default: the ServiceAccount's namespace.",
        examples=["shop"],
    )
    containers: list[Container] = Field(
        default_factory=empty_list,
        description="The containers; at least one, none for an existing workload.",
        examples=[[{"name": "busybox", "image": "busybox", "command": ["sh", "-c", "sleep 3600"]}]],
    )
    existing: bool = Field(  # the workload comes from elsewhere: render a Kustomize Component
        False,
        description="true: the workload is defined elsewhere; wlid renders a Kustomize Component that patches "
        "in the ServiceAccount and the workload identity label.",
        examples=[True],
    )
    workloadIdentity: bool = Field(  # false: the pods run as the ServiceAccount but get no token
        True,
        description="false: the pods run as the ServiceAccount without an Azure token: no "
        "azure.workload.identity/use label, and the annotation wlid.io/workload-identity: disabled "
        "that tells wlid validate the pods opt out on purpose (WI015). Default: true.",
        examples=[False],
    )
    environments: OnlyIn = Field(None, description=_ONLY_IN, examples=[["prod"]])
    nodeSelector: dict[LabelKey, LabelValue] = Field(
        default_factory=empty_map,
        description="Node selector of the pods.",
        examples=[{"kubernetes.io/os": "linux"}],
    )
    labels: dict[LabelKey, LabelValue] = Field(
        default_factory=empty_map,
        description="Labels added to the pods (pod template).",
        examples=[{"team": "shop"}],
    )
    annotations: dict[LabelKey, str] = Field(
        default_factory=empty_map,
        description="Annotations added to the pods (pod template), e.g. the webhook's skip-containers.",
        examples=[{"azure.workload.identity/skip-containers": "sidecar"}],
    )
    replicas: Annotated[int, Field(ge=0)] | None = Field(
        None, description="Replicas (Deployment, StatefulSet).", examples=[2]
    )
    schedule: Annotated[str, Field(min_length=1, max_length=256)] | None = Field(
        None, description="Cron schedule (CronJob, required there).", examples=["0 2 * * *"]
    )
    initContainers: list[Container] = Field(
        default_factory=empty_list,
        description="Containers that run to completion before the containers start, in order; with "
        "restartPolicy: Always, a sidecar.",
        examples=[[{"name": "migrate", "image": "ghcr.io/example/shop-migrate:1.8.0"}]],
    )
    volumes: list[KubeObject] = _kube_list(
        "Volumes of the pods (each a name and one source)", [{"name": "cache", "emptyDir": {}}]
    )
    securityContext: KubeObject | None = _kube(
        "Security options of the pods",
        {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
    )
    imagePullSecrets: list[DnsSubdomain | KubeObject] = Field(
        default_factory=empty_list,
        description="Secrets (docker-registry) the kubelet pulls images with: names, or {name: ...}.",
        examples=[["acr-pull"]],
    )
    tolerations: list[KubeObject] = _kube_list(
        "Taints the pods tolerate",
        [{"key": "workload", "operator": "Equal", "value": "batch", "effect": "NoSchedule"}],
    )
    affinity: KubeObject | None = _kube(
        "Node and pod affinity of the pods",
        {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [
                        {
                            "matchExpressions": [
                                {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]}
                            ]
                        }
                    ]
                }
            }
        },
    )
    priorityClassName: DnsSubdomain | None = Field(
        None, description="PriorityClass of the pods.", examples=["high-priority"]
    )
    podTemplate: KubeObject = Field(
        default_factory=empty_map,
        description="Any other field of the pod spec (PodSpec), e.g. terminationGracePeriodSeconds, "
        "hostAliases, topologySpreadConstraints, dnsConfig; merged into the pod spec wlid writes "
        f"({_KUBE}). Fields wlid writes or has a key for (serviceAccountName, containers, volumes, "
        "nodeSelector, ...) are refused here; restartPolicy given here wins over wlid's OnFailure for Jobs.",
        examples=[{"terminationGracePeriodSeconds": 60, "topologySpreadConstraints": []}],
    )


class AzureOverride(_Model):
    """Values of azure that differ in this environment."""

    subscriptionId: Uuid | None = Field(
        None, description="Overrides azure.subscriptionId.", examples=["44444444-4444-4444-4444-444444444444"]
    )
    resourceGroup: ResourceGroupName | None = Field(
        None, description="Overrides azure.resourceGroup.", examples=["rg-shop-dev"]
    )
    location: Location | None = Field(None, description="Overrides azure.location.", examples=["westeurope"])
    tenantId: Uuid | None = Field(
        None, description="Overrides azure.tenantId.", examples=["22222222-2222-2222-2222-222222222222"]
    )
    deploy: DeployMode | None = Field(None, description="Overrides azure.deploy.", examples=["stack"])


class ClusterOverride(_Model):
    """Values of cluster that differ in this environment."""

    name: ClusterName | None = Field(None, description="Overrides cluster.name.", examples=["aks-shop-dev"])
    resourceGroup: ResourceGroupName | None = Field(
        None, description="Overrides cluster.resourceGroup.", examples=["rg-aks-dev"]
    )
    subscriptionId: Uuid | None = Field(
        None,
        description="Overrides cluster.subscriptionId.",
        examples=["44444444-4444-4444-4444-444444444444"],
    )
    enableWorkloadIdentity: bool | None = Field(
        None, description="Overrides cluster.enableWorkloadIdentity (the opt-in cluster step).", examples=[True]
    )
    oidcIssuerUrl: IssuerUrl | None = Field(
        None,
        description="Overrides cluster.oidcIssuerUrl (https://..., ending with '/').",
        examples=[
            "https://westeurope.oic.prod-aks.azure.com/22222222-2222-2222-2222-222222222222/44444444-4444-4444-4444-444444444444/"
        ],
    )


VarName = Annotated[str, _rule(r"[A-Za-z_][A-Za-z0-9_]*", "variable name (letters, digits, '_')", 64)]


class Environment(_Model):
    """One environment: its variables, what differs from azure and cluster, and its pinned client IDs."""

    vars: dict[VarName, str] = Field(
        default_factory=empty_map,
        description="Variables for ${vars.NAME} in any string of the spec (outside metadata, environments "
        "and gitops).",
        examples=[{"imageTag": "1.8.0", "keyVault": "kv-dev"}],
    )
    azure: AzureOverride = Field(
        default_factory=AzureOverride,
        description="Overrides of azure in this environment.",
        examples=[{"subscriptionId": "44444444-4444-4444-4444-444444444444", "resourceGroup": "rg-shop-dev"}],
    )
    cluster: ClusterOverride = Field(
        default_factory=ClusterOverride,
        description="Overrides of cluster in this environment.",
        examples=[{"name": "aks-shop-dev", "enableWorkloadIdentity": True}],
    )
    clientIds: dict[IdentityName, Uuid] = Field(
        default_factory=empty_map,
        description="Client IDs of the identities after the first deployment (wlid bind writes them). "
        "Without one, the overlay carries a Flux placeholder ${WLID_CLIENT_ID_<IDENTITY>}.",
        examples=[{"myIdentity": "33333333-3333-3333-3333-333333333333"}],
    )


GitRef = Annotated[
    str, _rule(r"[A-Za-z0-9._/-]+", "Git branch name (letters, digits, '.', '_', '-', '/')", 255)
]


class GitOps(_Model):
    """Where the rendered tree lives in Git: wlid renders Flux and Argo CD objects under OUT/gitops."""

    repoURL: Annotated[
        str,
        _rule(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s$`'\"]+|[^\s$`'\"@]+@[^\s$`'\"]+", "Git repository URL", 2048),
    ] = Field(
        description="URL of the Git repository that holds the rendered tree.",
        examples=["https://github.com/example/platform-gitops.git"],
    )
    branch: GitRef = Field("main", description="Branch to follow. Default: main.", examples=["main"])
    path: Annotated[  # where OUT sits in the repository; it reaches generated files, so no shell or CI syntax
        str,
        _rule(
            r"([A-Za-z0-9._/][A-Za-z0-9._/-]*)?",
            "repository path (letters, digits, '.', '_', '-', '/'; not starting with '-')",
            1024,
        ),
    ] | None = Field(
        None,
        description="Where OUT sits in the GitOps repository ('' or '.': its root). Default: where OUT was "
        "rendered, relative to the root of the Git repository that holds it.",
        examples=["out/lab"],
    )
    interval: Annotated[str, _rule(r"[0-9]+(ms|s|m|h)([0-9]+(ms|s|m|h))*", "duration (e.g. 10m)")] = Field(
        "10m", description="Flux reconcile interval (a duration). Default: 10m.", examples=["10m", "1h"]
    )
    fluxNamespace: DnsLabel = Field(
        "flux-system",
        description="Namespace of the Flux Kustomizations and ConfigMaps. Default: flux-system.",
        examples=["flux-system"],
    )
    fluxSourceName: DnsSubdomain = Field(  # the GitRepository that holds this repository
        "flux-system",
        description="Name of the Flux GitRepository that holds the repository. Default: flux-system.",
        examples=["flux-system"],
    )
    argocdNamespace: DnsLabel = Field(
        "argocd", description="Namespace of the Argo CD Applications. Default: argocd.", examples=["argocd"]
    )
    argocdProject: DnsSubdomain = Field(
        "default", description="Argo CD project of the Applications. Default: default.", examples=["default"]
    )
    destinationServer: Annotated[str, Field(min_length=1, max_length=2048)] = Field(
        "https://kubernetes.default.svc",
        description="Cluster API server the Argo CD Applications deploy to. Default: the cluster Argo CD runs in.",
        examples=["https://kubernetes.default.svc"],
    )


_INSTALL = (
    r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?(\[[A-Za-z0-9._,-]+\])?===?[A-Za-z0-9][A-Za-z0-9.+!_-]*"
    r"|https://[A-Za-z0-9._~:/?@!+,=%-]+\.(whl|tar\.gz|zip)(#sha256=[0-9a-f]{64})?"
    r"|git\+https://[A-Za-z0-9._~:/%-]+@[0-9a-f]{40}"
    r"|(\.{1,2}/)?[A-Za-z0-9._][A-Za-z0-9._/+-]*\.(whl|tar\.gz)"
)


class Pipelines(_Model):
    """How the generated CI pipelines (OUT/pipelines) get wlid."""

    install: Annotated[
        str,
        _rule(
            _INSTALL,
            "pinned wlid install (NAME==VERSION, an https URL of a wheel or sdist, git+https://...@<commit>, "
            "or a wheel path in the repository)",
            2048,
        ),
    ] | None = Field(
        None,
        description="What the pipelines pass to `pip install` to get wlid: a pinned requirement "
        "(wlid==0.2.0), an https URL of a wheel or sdist (best with #sha256=<hash>, which pip checks), "
        "git+https://...@<40-hex commit>, or the path of a wheel in the repository. Never an unpinned "
        "name. Default: wlid==<the version that rendered the tree>.",
        examples=["wlid==0.1.0", "tools/wlid-0.1.0-py3-none-any.whl"],
    )


def _set_in_every_environment(schema: dict[str, Any]) -> None:
    """JSON Schema rules for REQUIRED_IN_EVERY_ENVIRONMENT: without environments, the top level sets
    each key; with environments, the top level or else every environment does."""
    environments = {"required": ["environments"], "properties": {"environments": {"minProperties": 1}}}
    rules: list[dict[str, Any]] = []
    for block, keys in REQUIRED_IN_EVERY_ENVIRONMENT.items():
        for key in keys:
            given = {
                "required": [block],
                "properties": {block: {"required": [key], "properties": {key: {"type": "string"}}}},
            }
            rules.append({"if": {"not": environments}, "then": given})
            rules.append(
                {
                    "if": {"allOf": [environments, {"not": given}]},
                    "then": {"properties": {"environments": {"additionalProperties": given}}},
                }
            )
    schema["allOf"] = rules


class Spec(_Model):
    """A wlid spec (v1): Azure Workload Identity wiring for AKS, rendered by `wlid render`."""

    model_config = ConfigDict(json_schema_extra=_set_in_every_environment)

    apiVersion: Literal["wlid/v1"] = Field(description="Always wlid/v1.", examples=["wlid/v1"])
    kind: Literal["WorkloadIdentitySpec"] = Field(
        description="Always WorkloadIdentitySpec.", examples=["WorkloadIdentitySpec"]
    )
    metadata: Metadata = Field(description="Name of the spec.", examples=[{"name": "lab"}])
    azure: Azure = Field(
        default_factory=Azure,
        description="Where the identities are created: defaults for every environment. subscriptionId, "
        "resourceGroup and location are required here or in every environment.",
        examples=[
            {
                "subscriptionId": "11111111-1111-1111-1111-111111111111",
                "resourceGroup": "rg-wlid-lab",
                "location": "eastus",
            }
        ],
    )
    cluster: Cluster = Field(
        default_factory=Cluster,
        description="The AKS cluster whose OIDC issuer the credentials trust: defaults for every environment. "
        "name is required here or in every environment.",
        examples=[{"name": "aks-wlid-lab", "enableWorkloadIdentity": True}],
    )
    identities: list[Identity] = Field(
        min_length=1,
        description="The user-assigned managed identities (at least one).",
        examples=[
            [{"name": "myIdentity", "roles": [{"role": "Key Vault Secrets User", "keyVault": "kv-wlid-lab"}]}]
        ],
    )
    serviceAccounts: list[ServiceAccount] = Field(
        default_factory=empty_list,
        description="Kubernetes ServiceAccounts, each bound to one identity through a federated credential "
        "(at most 20 per identity).",
        examples=[[{"name": "workload-identity-sa", "namespace": "default", "identity": "myIdentity"}]],
    )
    workloads: list[Workload] = Field(
        default_factory=empty_list,
        description="Workloads whose pods run as those ServiceAccounts.",
        examples=[
            [
                {
                    "name": "sample-workload-identity",
                    "serviceAccount": "workload-identity-sa",
                    "containers": [{"name": "busybox", "image": "busybox"}],
                }
            ]
        ],
    )
    environments: dict[EnvironmentName, Environment] = Field(
        default_factory=empty_map,
        description="Environments by name (lower-case letters, digits, '-'). Default: one environment "
        "named default.",
        examples=[{"dev": {"vars": {"imageTag": "1.8.0"}}, "prod": {"vars": {"imageTag": "1.7.3"}}}],
    )
    gitops: GitOps | None = Field(
        None,
        description="Render Flux and Argo CD objects under OUT/gitops.",
        examples=[{"repoURL": "https://github.com/example/platform-gitops.git", "path": "out/lab"}],
    )
    pipelines: Pipelines = Field(
        default_factory=Pipelines,
        description="How the generated CI pipelines get wlid.",
        examples=[{"install": "wlid==0.1.0"}],
    )
