"""Plan -> the Kubernetes objects wlid writes (pure): Namespaces, ServiceAccounts (and an overlay's
client-ID patch of one), and workloads with their pod templates. Where each object goes, base or
overlay, is decided by `emit.k8s`.
"""

from __future__ import annotations

from typing import Any

from wlid_render.emit.keyvault import add_mounts
from wlid_render.kubernetes_keys import (
    ARGOCD_RECREATE,
    ARGOCD_SYNC_OPTIONS,
    CLIENT_ID,
    FLUX_FORCE,
    FLUX_FORCE_ENABLED,
    FLUX_SUBSTITUTE,
    FLUX_SUBSTITUTE_DISABLED,
    IDENTITY_BINDING_API_GROUP,
    IDENTITY_BINDING_VERB,
    OPT_OUT,
    OPT_OUT_VALUE,
    RECREATED_KINDS,
    TENANT_ID,
    TOKEN_EXPIRATION,
    USE_IDENTITY_BINDING,
    USE_LABEL,
)
from wlid_render.plan.model import (
    ContainerPlan,
    EnvironmentPlan,
    KubeValue,
    Plan,
    ServiceAccountPlan,
    WorkloadPlan,
)

NAME_LABEL = "app.kubernetes.io/name"
PART_OF_LABEL = "app.kubernetes.io/part-of"
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"

API_VERSIONS = {
    "Pod": "v1",
    "Deployment": "apps/v1",
    "StatefulSet": "apps/v1",
    "Job": "batch/v1",
    "CronJob": "batch/v1",
}
JOB_KINDS = frozenset({"Job", "CronJob"})

Obj = dict[str, Any]


# -- common pieces --------------------------------------------------------------------------------
def _common_labels(plan: Plan) -> dict[str, str]:
    return {MANAGED_BY_LABEL: "wlid", PART_OF_LABEL: plan.name}


def _metadata(
    name: str,
    namespace: str | None,
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
) -> Obj:
    meta: Obj = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    if labels:
        meta["labels"] = labels
    if annotations:
        meta["annotations"] = annotations
    return meta


def _object(api_version: str, kind: str, metadata: Obj, **rest: Any) -> Obj:
    return {"apiVersion": api_version, "kind": kind, "metadata": metadata, **rest}


# -- Namespaces and ServiceAccounts ---------------------------------------------------------------
def _object_annotations(kind: str) -> dict[str, str]:
    """What every object but a ServiceAccount (or a SecretProviderClass) carries for the GitOps tools.

    Flux post-build substitution rewrites every `${...}` (and `$$`) of every object of the namespace
    folder it builds; only the ServiceAccounts (and the SecretProviderClasses of emit/keyvault.py) hold
    the client-ID placeholders it must fill, so every
    other object opts out and user values (a command's `${HOSTNAME}`, an env value's `${HOME}`,
    another identity's `${WLID_CLIENT_ID_...}`) reach the cluster as written. The opt-out is read on
    the object's own labels and annotations (fluxcd/pkg kustomize/kustomize_varsub.go,
    `SubstituteVariables`), not on a pod template.

    A bare Pod and a Job cannot change their pod template in place: Flux replaces them with
    `force: enabled` and Argo CD with `Force=true,Replace=true` when a changed template is refused.
    """
    annotations = {FLUX_SUBSTITUTE: FLUX_SUBSTITUTE_DISABLED}
    if kind in RECREATED_KINDS:
        annotations[FLUX_FORCE] = FLUX_FORCE_ENABLED
        annotations[ARGOCD_SYNC_OPTIONS] = ARGOCD_RECREATE
    return annotations


def namespace_object(plan: Plan, name: str) -> Obj:
    """A Namespace wlid creates."""
    meta = _metadata(name, None, _common_labels(plan), _object_annotations("Namespace"))
    return _object("v1", "Namespace", meta)


def service_account_object(plan: Plan, env: EnvironmentPlan, account: ServiceAccountPlan) -> Obj:
    """A ServiceAccount as it is in one environment, without its client ID (always an overlay value)."""
    annotations: dict[str, str] = {}
    if env.tenant_id is not None:
        annotations[TENANT_ID] = env.tenant_id
    if account.token_expiration is not None:
        annotations[TOKEN_EXPIRATION] = str(account.token_expiration)
    meta = _metadata(account.name, account.namespace, _common_labels(plan), annotations)
    return _object("v1", "ServiceAccount", meta)


def client_id_patch(account: ServiceAccountPlan, client_id: str) -> Obj:
    """An overlay's patch of a ServiceAccount: the client ID of its identity in that environment."""
    meta = _metadata(account.name, account.namespace, annotations={CLIENT_ID: client_id})
    return _object("v1", "ServiceAccount", meta)


# -- workloads ------------------------------------------------------------------------------------
def _workload_labels(plan: Plan, workload: WorkloadPlan) -> dict[str, str]:
    """The labels of a workload object; wlid's own keys win so that selectors keep matching."""
    labels = {**_common_labels(plan), NAME_LABEL: workload.name}
    for key, value in workload.labels:
        labels.setdefault(key, value)
    return labels


def _pod_labels(plan: Plan, workload: WorkloadPlan) -> dict[str, str]:
    """The pod (template) labels: the label the webhook looks for unless the workload opts out."""
    labels = _workload_labels(plan, workload)
    return {**labels, USE_LABEL: "true"} if workload.workload_identity else labels


def pod_annotations(workload: WorkloadPlan) -> dict[str, str]:
    """The pod (template) annotations: the spec's, the opt-out of a workload without a token, and the
    identity-binding opt-in (only a workload with a token has it)."""
    annotations = dict(workload.annotations)
    if workload.identity_binding:
        annotations[USE_IDENTITY_BINDING] = "true"
    if not workload.workload_identity:
        annotations[OPT_OUT] = OPT_OUT_VALUE
    return annotations


def _selector(plan: Plan, workload: WorkloadPlan) -> Obj:
    return {"matchLabels": {NAME_LABEL: workload.name, PART_OF_LABEL: plan.name}}


def _resources(container: ContainerPlan) -> Obj:
    resources: Obj = {}
    if container.requests:
        resources["requests"] = dict(container.requests)
    if container.limits:
        resources["limits"] = dict(container.limits)
    return resources


def _port(container_port: int, name: str | None, protocol: str | None) -> Obj:
    port: Obj = {"containerPort": container_port}
    if name is not None:
        port["name"] = name
    if protocol is not None:
        port["protocol"] = protocol
    return port


def _env(name: str, value: str | KubeValue) -> Obj:
    if isinstance(value, str):
        return {"name": name, "value": value}
    return {"name": name, "valueFrom": value.value()}


def _container(container: ContainerPlan) -> Obj:
    # Kubernetes' own fields of the spec (see plan.pod_fields): imagePullPolicy and envFrom go beside
    # image and env, the others (volumeMounts, probes, lifecycle, securityContext, restartPolicy) last.
    extra = container.fields.value() if container.fields is not None else {}
    fields: Obj = {
        "name": container.name,
        "image": container.image,
        "imagePullPolicy": extra.pop("imagePullPolicy", None),
        "command": list(container.command),
        "args": list(container.args),
        "env": [_env(name, value) for name, value in container.env],
        "envFrom": extra.pop("envFrom", None),
        "ports": [_port(*port) for port in container.ports],
        "resources": _resources(container),
    }
    return {**{key: value for key, value in fields.items() if value}, **extra}


def _pod_spec(workload: WorkloadPlan) -> Obj:
    spec: Obj = {"serviceAccountName": workload.service_account}
    if workload.init_containers:
        spec["initContainers"] = [_container(c) for c in workload.init_containers]
    spec["containers"] = [_container(c) for c in workload.containers]
    if workload.node_selector:
        spec["nodeSelector"] = dict(workload.node_selector)
    if workload.kind in JOB_KINDS:
        spec["restartPolicy"] = "OnFailure"
    if workload.pod_fields is not None:  # a restartPolicy of the spec's podTemplate wins
        spec.update(workload.pod_fields.value())
    add_mounts(spec, workload.key_vaults)
    return spec


def _pod_template(plan: Plan, workload: WorkloadPlan) -> Obj:
    meta: Obj = {"labels": _pod_labels(plan, workload)}
    annotations = pod_annotations(workload)
    if annotations:
        meta["annotations"] = annotations
    return {"metadata": meta, "spec": _pod_spec(workload)}


def _controller_spec(plan: Plan, workload: WorkloadPlan) -> Obj:
    template = _pod_template(plan, workload)
    if workload.kind == "Job":
        return {"template": template}
    if workload.kind == "CronJob":
        return {"schedule": workload.schedule, "jobTemplate": {"spec": {"template": template}}}
    spec: Obj = {}
    if workload.replicas is not None:
        spec["replicas"] = workload.replicas
    if workload.kind == "StatefulSet":
        spec["serviceName"] = workload.name
    spec["selector"] = _selector(plan, workload)
    spec["template"] = template
    return spec


def workload_object(plan: Plan, workload: WorkloadPlan) -> Obj:
    """A workload wlid creates: a bare Pod, or a controller with its pod template."""
    api_version = API_VERSIONS[workload.kind]
    if workload.kind == "Pod":
        annotations = {**pod_annotations(workload), **_object_annotations("Pod")}
        meta = _metadata(workload.name, workload.namespace, _pod_labels(plan, workload), annotations)
        return _object(api_version, "Pod", meta, spec=_pod_spec(workload))
    meta = _metadata(
        workload.name,
        workload.namespace,
        _workload_labels(plan, workload),
        _object_annotations(workload.kind),
    )
    return _object(api_version, workload.kind, meta, spec=_controller_spec(plan, workload))


RBAC_API = "rbac.authorization.k8s.io/v1"


def identity_binding_name(plan: Plan, identity: str, namespace: str) -> str:
    """The ClusterRole and ClusterRoleBinding of one identity's ServiceAccounts in one namespace."""
    return f"wlid-{plan.name}-{identity.lower()}-{namespace}"


def identity_binding_objects(
    plan: Plan, identity: str, namespace: str, accounts: list[str], client_id: str
) -> list[Obj]:
    """A ClusterRole that allows `use-managed-identity` on the identity's client ID, and the
    ClusterRoleBinding that grants it to the identity's ServiceAccounts of one namespace (AKS identity
    bindings: identity-bindings-concepts, Azure/AKS#4658). Cluster-scoped: no namespace of their own."""
    name = identity_binding_name(plan, identity, namespace)
    role = _object(
        RBAC_API,
        "ClusterRole",
        _metadata(name, None, _common_labels(plan)),
        rules=[
            {
                "apiGroups": [IDENTITY_BINDING_API_GROUP],
                "resources": [client_id],
                "verbs": [IDENTITY_BINDING_VERB],
            }
        ],
    )
    binding = _object(
        RBAC_API,
        "ClusterRoleBinding",
        _metadata(name, None, _common_labels(plan)),
        roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name},
        subjects=[{"kind": "ServiceAccount", "name": a, "namespace": namespace} for a in sorted(accounts)],
    )
    return [role, binding]
