"""Plan -> Kubernetes manifests: a Kustomize base and one overlay per environment. Pure.

The base holds every object that is the same in all environments: Namespaces, ServiceAccounts (with
the annotations shared by all environments) and the workloads, whose pods carry the label the
workload identity webhook looks for. Each overlay patches its ServiceAccounts with the annotations
that differ per environment: always the client ID, and the tenant ID when environments disagree.
"""

from __future__ import annotations

from typing import Any

from wlid_render.emit.artifact import Artifact, to_yaml, to_yaml_documents
from wlid_render.plan.model import (
    ContainerPlan,
    EnvironmentPlan,
    Plan,
    ServiceAccountPlan,
    WorkloadPlan,
)

BASE_DIR = "k8s/base"
OVERLAYS_DIR = "k8s/overlays"
KUSTOMIZE_API = "kustomize.config.k8s.io/v1beta1"

USE_LABEL = "azure.workload.identity/use"
CLIENT_ID = "azure.workload.identity/client-id"
TENANT_ID = "azure.workload.identity/tenant-id"
TOKEN_EXPIRATION = "azure.workload.identity/service-account-token-expiration"
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
REPLICATED_KINDS = frozenset({"Deployment", "StatefulSet"})

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


def _kustomization(**fields: Any) -> Obj:
    return {"apiVersion": KUSTOMIZE_API, "kind": "Kustomization", **fields}


# -- file names -----------------------------------------------------------------------------------
def _namespace_file(name: str) -> str:
    return f"namespace_{name}.yaml"


def _service_account_file(account: ServiceAccountPlan) -> str:
    return f"serviceaccount_{account.namespace}_{account.name}.yaml"


def _workload_file(workload: WorkloadPlan) -> str:
    return f"{workload.kind.lower()}_{workload.namespace}_{workload.name}.yaml"


# -- Namespaces and ServiceAccounts ---------------------------------------------------------------
def _namespace(plan: Plan, name: str) -> Obj:
    return _object("v1", "Namespace", _metadata(name, None, _common_labels(plan)))


def _shared_tenant(plan: Plan) -> str | None:
    """The tenant ID when every environment has the same one; None when unset or when they differ."""
    tenants = {env.tenant_id for env in plan.environments}
    if len(tenants) == 1:
        return tenants.pop()
    return None


def _service_account(plan: Plan, account: ServiceAccountPlan) -> Obj:
    annotations: dict[str, str] = {}
    tenant = _shared_tenant(plan)
    if tenant is not None:
        annotations[TENANT_ID] = tenant
    if account.token_expiration is not None:
        annotations[TOKEN_EXPIRATION] = str(account.token_expiration)
    meta = _metadata(account.name, account.namespace, _common_labels(plan), annotations)
    return _object("v1", "ServiceAccount", meta)


def _service_account_patch(plan: Plan, env: EnvironmentPlan, account: ServiceAccountPlan) -> Obj:
    annotations = {CLIENT_ID: dict(env.client_ids)[account.identity]}
    if env.tenant_id is not None and _shared_tenant(plan) is None:
        annotations[TENANT_ID] = env.tenant_id
    meta = _metadata(account.name, account.namespace, annotations=annotations)
    return _object("v1", "ServiceAccount", meta)


# -- workloads ------------------------------------------------------------------------------------
def _workload_labels(plan: Plan, workload: WorkloadPlan) -> dict[str, str]:
    """The labels of a workload object; wlid's own keys win so that selectors keep matching."""
    labels = {**_common_labels(plan), NAME_LABEL: workload.name}
    for key, value in workload.labels:
        labels.setdefault(key, value)
    return labels


def _pod_labels(plan: Plan, workload: WorkloadPlan) -> dict[str, str]:
    return {**_workload_labels(plan, workload), USE_LABEL: "true"}


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


def _container(container: ContainerPlan) -> Obj:
    fields: Obj = {
        "name": container.name,
        "image": container.image,
        "command": list(container.command),
        "args": list(container.args),
        "env": [{"name": name, "value": value} for name, value in container.env],
        "ports": [_port(*port) for port in container.ports],
        "resources": _resources(container),
    }
    return {key: value for key, value in fields.items() if value}


def _pod_spec(workload: WorkloadPlan) -> Obj:
    spec: Obj = {
        "serviceAccountName": workload.service_account,
        "containers": [_container(c) for c in workload.containers],
    }
    if workload.node_selector:
        spec["nodeSelector"] = dict(workload.node_selector)
    if workload.kind in JOB_KINDS:
        spec["restartPolicy"] = "OnFailure"
    return spec


def _pod_template(plan: Plan, workload: WorkloadPlan) -> Obj:
    meta: Obj = {"labels": _pod_labels(plan, workload)}
    if workload.annotations:
        meta["annotations"] = dict(workload.annotations)
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


def _workload(plan: Plan, workload: WorkloadPlan) -> Obj:
    api_version = API_VERSIONS[workload.kind]
    if workload.kind == "Pod":
        meta = _metadata(
            workload.name, workload.namespace, _pod_labels(plan, workload), dict(workload.annotations)
        )
        return _object(api_version, "Pod", meta, spec=_pod_spec(workload))
    meta = _metadata(workload.name, workload.namespace, _workload_labels(plan, workload))
    return _object(api_version, workload.kind, meta, spec=_controller_spec(plan, workload))


# -- layout ---------------------------------------------------------------------------------------
def _base_objects(plan: Plan) -> dict[str, Obj]:
    """Base file name -> object."""
    named: list[tuple[str, Obj]] = [(_namespace_file(n), _namespace(plan, n)) for n in plan.namespaces]
    named += [(_service_account_file(a), _service_account(plan, a)) for a in plan.service_accounts]
    named += [(_workload_file(w), _workload(plan, w)) for w in plan.workloads]
    return _unique(named, BASE_DIR)


SERVICE_ACCOUNT_PATCHES = "serviceaccounts.yaml"


def _overlay_patches(plan: Plan, env: EnvironmentPlan) -> list[Obj]:
    """The strategic-merge patches of one overlay, in ServiceAccount file order (one file, one per doc)."""
    accounts = sorted(plan.service_accounts, key=_service_account_file)
    return [_service_account_patch(plan, env, a) for a in accounts]


def _unique(named: list[tuple[str, Obj]], folder: str) -> dict[str, Obj]:
    """Refuse two objects that would share a file rather than let one overwrite the other."""
    out: dict[str, Obj] = {}
    for file_name, obj in named:
        if file_name in out:
            raise ValueError(f"two Kubernetes objects map to the same file {folder}/{file_name}")
        out[file_name] = obj
    return out


def _overlay_kustomization(has_patches: bool) -> Obj:
    fields: Obj = {"resources": ["../../base"]}
    if has_patches:
        fields["patches"] = [{"path": SERVICE_ACCOUNT_PATCHES}]
    return _kustomization(**fields)


def _files(folder: str, objects: dict[str, Obj]) -> list[Artifact]:
    return [Artifact(f"{folder}/{name}", to_yaml(obj)) for name, obj in objects.items()]


def emit_kubernetes(plan: Plan) -> list[Artifact]:
    """The Kustomize base and overlays of a plan, sorted by path."""
    base = _base_objects(plan)
    artifacts = _files(BASE_DIR, base)
    artifacts.append(
        Artifact(f"{BASE_DIR}/kustomization.yaml", to_yaml(_kustomization(resources=sorted(base))))
    )
    for env in plan.environments:
        folder = f"{OVERLAYS_DIR}/{env.name}"
        patches = _overlay_patches(plan, env)
        if patches:
            artifacts.append(Artifact(f"{folder}/{SERVICE_ACCOUNT_PATCHES}", to_yaml_documents(patches)))
        artifacts.append(
            Artifact(f"{folder}/kustomization.yaml", to_yaml(_overlay_kustomization(bool(patches))))
        )
    return sorted(artifacts, key=lambda artifact: artifact.path)
