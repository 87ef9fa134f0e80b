"""The workloads, their containers, and the pod-spec fields they take in Kubernetes' own spelling."""

from typing import Annotated, Any, Literal

from pydantic import Field

from wlid_render.spec.models.base import (
    ONLY_IN_DESCRIPTION,
    DnsLabel,
    DnsSubdomain,
    EnvName,
    LabelKey,
    LabelValue,
    OnlyIn,
    SpecModel,
    empty_list,
    empty_map,
)
from wlid_render.spec.models.keyvault import KEY_VAULT_SECRETS_FIELD, KeyVaultSecrets


class Port(SpecModel):
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


class Resources(SpecModel):
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


class EnvValueFrom(SpecModel):
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


class Container(SpecModel):
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


class Workload(SpecModel):
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
    environments: OnlyIn = Field(None, description=ONLY_IN_DESCRIPTION, examples=[["prod"]])
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
    keyVaultSecrets: list[KeyVaultSecrets] = KEY_VAULT_SECRETS_FIELD
    podTemplate: KubeObject = Field(
        default_factory=empty_map,
        description="Any other field of the pod spec (PodSpec), e.g. terminationGracePeriodSeconds, "
        "hostAliases, topologySpreadConstraints, dnsConfig; merged into the pod spec wlid writes "
        f"({_KUBE}). Fields wlid writes or has a key for (serviceAccountName, containers, volumes, "
        "nodeSelector, ...) are refused here; restartPolicy given here wins over wlid's OnFailure for Jobs.",
        examples=[{"terminationGracePeriodSeconds": 60, "topologySpreadConstraints": []}],
    )
