"""Plan -> Kubernetes manifests: a Kustomize base and one overlay per environment. Pure.

The base holds every object that is the same in all environments: Namespaces, ServiceAccounts (with
the annotations shared by all environments) and the workloads, whose pods carry the label the
workload identity webhook looks for. Each overlay patches its ServiceAccounts with the annotations
that differ per environment: always the client ID, and the tenant ID when environments disagree.

Both are split into one kustomization per namespace, so that kustomize's work stays linear in the
number of objects however large the estate:

    k8s/base/kustomization.yaml                 resources: the namespace folders
    k8s/base/<ns>/kustomization.yaml            resources: namespace.yaml, serviceaccounts.yaml, ...
    k8s/base/<ns>/<kind-plural>.yaml            the objects of one kind, one document each, by name
    k8s/overlays/<env>/kustomization.yaml       resources: the namespace folders of that environment
    k8s/overlays/<env>/<ns>/kustomization.yaml  ../../../base/<ns> (when shared), resources.yaml,
                                                patches serviceaccounts.yaml and patches.yaml
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

from wlid_render.emit.artifact import Artifact, to_yaml, to_yaml_documents
from wlid_render.emit.components import emit_components
from wlid_render.emit.k8s_split import common, patch_for
from wlid_render.kubernetes_keys import (
    ARGOCD_RECREATE,
    ARGOCD_SYNC_OPTIONS,
    FLUX_FORCE,
    FLUX_FORCE_ENABLED,
    FLUX_SUBSTITUTE,
    FLUX_SUBSTITUTE_DISABLED,
    OPT_OUT,
    OPT_OUT_VALUE,
    RECREATED_KINDS,
)
from wlid_render.plan.model import (
    ContainerPlan,
    EnvironmentPlan,
    KubeValue,
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


# -- Namespaces and ServiceAccounts ---------------------------------------------------------------
def _object_annotations(kind: str) -> dict[str, str]:
    """What every object but a ServiceAccount carries for the GitOps tools that apply it.

    Flux post-build substitution rewrites every `${...}` (and `$$`) of every object of the namespace
    folder it builds; only the ServiceAccounts hold the client-ID placeholders it must fill, so every
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


def _namespace(plan: Plan, name: str) -> Obj:
    meta = _metadata(name, None, _common_labels(plan), _object_annotations("Namespace"))
    return _object("v1", "Namespace", meta)


def _service_account(plan: Plan, env: EnvironmentPlan, account: ServiceAccountPlan) -> Obj:
    """A ServiceAccount as it is in one environment, without its client ID (always an overlay value)."""
    annotations: dict[str, str] = {}
    if env.tenant_id is not None:
        annotations[TENANT_ID] = env.tenant_id
    if account.token_expiration is not None:
        annotations[TOKEN_EXPIRATION] = str(account.token_expiration)
    meta = _metadata(account.name, account.namespace, _common_labels(plan), annotations)
    return _object("v1", "ServiceAccount", meta)


def _client_id_patch(account: ServiceAccountPlan, client_id: str) -> Obj:
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


def _pod_annotations(workload: WorkloadPlan) -> dict[str, str]:
    """The pod (template) annotations: the spec's, and the opt-out of a workload without a token."""
    annotations = dict(workload.annotations)
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
    return spec


def _pod_template(plan: Plan, workload: WorkloadPlan) -> Obj:
    meta: Obj = {"labels": _pod_labels(plan, workload)}
    annotations = _pod_annotations(workload)
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


def _workload(plan: Plan, workload: WorkloadPlan) -> Obj:
    api_version = API_VERSIONS[workload.kind]
    if workload.kind == "Pod":
        annotations = {**_pod_annotations(workload), **_object_annotations("Pod")}
        meta = _metadata(workload.name, workload.namespace, _pod_labels(plan, workload), annotations)
        return _object(api_version, "Pod", meta, spec=_pod_spec(workload))
    meta = _metadata(
        workload.name,
        workload.namespace,
        _workload_labels(plan, workload),
        _object_annotations(workload.kind),
    )
    return _object(api_version, workload.kind, meta, spec=_controller_spec(plan, workload))


# -- layout ---------------------------------------------------------------------------------------
# One kustomization per namespace, in the base and in every overlay, so that no kustomization grows
# with the whole estate. A namespace folder holds one multi-document file per kind, documents sorted
# by name; its kustomization lists the files in this order (only those that exist).
SERVICE_ACCOUNTS = "serviceaccounts.yaml"
KIND_FILES = {
    "Namespace": "namespace.yaml",
    "ServiceAccount": SERVICE_ACCOUNTS,
    "Deployment": "deployments.yaml",
    "StatefulSet": "statefulsets.yaml",
    "Job": "jobs.yaml",
    "CronJob": "cronjobs.yaml",
    "Pod": "pods.yaml",
}
FILE_ORDER = tuple(KIND_FILES.values())
SERVICE_ACCOUNT_PATCHES = SERVICE_ACCOUNTS  # overlay: client IDs, and ServiceAccount values that differ
PATCHES = "patches.yaml"  # overlay: other objects' values that differ between environments
RESOURCES = "resources.yaml"  # overlay: objects that exist in this environment only


class Key(NamedTuple):
    """Where an object lives: its namespace folder, its file (position in FILE_ORDER), its name."""

    namespace: str
    file: int
    name: str

    @property
    def file_name(self) -> str:
        return FILE_ORDER[self.file]


def _key(obj: Obj) -> Key:
    meta = obj["metadata"]
    folder = meta["name"] if obj["kind"] == "Namespace" else meta["namespace"]
    return Key(folder, FILE_ORDER.index(KIND_FILES[obj["kind"]]), meta["name"])


def _account_key(account: ServiceAccountPlan) -> Key:
    return Key(account.namespace, FILE_ORDER.index(SERVICE_ACCOUNTS), account.name)


def overlay_namespaces(env: EnvironmentPlan) -> list[str]:
    """The namespace folders of `k8s/overlays/<env>`, sorted: the namespaces of its objects."""
    names = set(env.namespaces) | {a.namespace for a in env.service_accounts}
    names |= {w.namespace for w in env.workloads if not w.existing}
    return sorted(names)


def _env_objects(
    plan: Plan, env: EnvironmentPlan, workloads: dict[WorkloadPlan, Obj] | None = None
) -> dict[Key, Obj]:
    """Key -> object, for every object of one environment (client IDs left out).

    `workloads` holds the objects of workloads planned before: environments that share a workload's
    plan share its object (read-only from here on), which the base then takes without a diff.
    """
    if workloads is None:
        workloads = {}
    objects = [_namespace(plan, n) for n in env.namespaces]
    objects += [_service_account(plan, env, a) for a in env.service_accounts]
    for w in env.workloads:
        if not w.existing:
            obj = workloads.get(w)
            if obj is None:
                obj = workloads[w] = _workload(plan, w)
            objects.append(obj)
    return _unique(objects, f"{OVERLAYS_DIR}/{env.name}")


def _unique(objects: list[Obj], folder: str) -> dict[Key, Obj]:
    """Refuse two objects that would share a place rather than let one overwrite the other."""
    out: dict[Key, Obj] = {}
    for obj in objects:
        key = _key(obj)
        if key in out:
            raise ValueError(
                f"two Kubernetes objects map to the same document {key.name!r} of "
                f"{folder}/{key.namespace}/{key.file_name}"
            )
        out[key] = obj
    return out


def _by_namespace(keys: Iterable[Key]) -> dict[str, list[Key]]:
    """Namespace -> its keys in file order and by name; namespaces sorted."""
    grouped: dict[str, list[Key]] = {}
    for key in sorted(keys):
        grouped.setdefault(key.namespace, []).append(key)
    return grouped


def _base(base: dict[Key, Obj]) -> list[Artifact]:
    """`k8s/base/<ns>/` with one file per kind, and the kustomizations that list them."""
    artifacts = []
    namespaces = _by_namespace(base)
    for namespace, keys in namespaces.items():
        folder = f"{BASE_DIR}/{namespace}"
        files: dict[str, list[Obj]] = {}
        for key in keys:
            files.setdefault(key.file_name, []).append(base[key])
        for file_name, docs in files.items():
            artifacts.append(Artifact(f"{folder}/{file_name}", to_yaml_documents(docs)))
        kustomization = _kustomization(resources=list(files))
        artifacts.append(Artifact(f"{folder}/kustomization.yaml", to_yaml(kustomization)))
    top = _kustomization(resources=list(namespaces))
    artifacts.append(Artifact(f"{BASE_DIR}/kustomization.yaml", to_yaml(top)))
    return artifacts


def _overlay(env: EnvironmentPlan, objects: dict[Key, Obj], base: dict[Key, Obj]) -> list[Artifact]:
    """`k8s/overlays/<env>/<ns>/` for every namespace the environment has, and its kustomization."""
    artifacts = []
    namespaces = _by_namespace(objects)
    assert list(namespaces) == overlay_namespaces(env), "overlay_namespaces must name the folders"
    base_namespaces = {key.namespace for key in base}
    client_ids = dict(env.client_ids)
    accounts = {_account_key(a): (a, client_ids[a.identity]) for a in env.service_accounts}
    for namespace, keys in namespaces.items():
        folder = f"{OVERLAYS_DIR}/{env.name}/{namespace}"
        fields: Obj = {"resources": [f"../../../base/{namespace}"] if namespace in base_namespaces else []}
        artifacts += _namespace_overlay(folder, fields, keys, objects, base, accounts)
    top = _kustomization(resources=list(namespaces))
    artifacts.append(Artifact(f"{OVERLAYS_DIR}/{env.name}/kustomization.yaml", to_yaml(top)))
    return artifacts


def _namespace_overlay(
    folder: str,
    fields: Obj,
    keys: list[Key],
    objects: dict[Key, Obj],
    base: dict[Key, Obj],
    accounts: dict[Key, tuple[ServiceAccountPlan, str]],
) -> list[Artifact]:
    """The folder of one namespace of an overlay; `fields` already lists its base folder, if any.

    `accounts` maps the environment's ServiceAccounts to their plan and client ID.
    """
    own = []
    for key in keys:
        if key not in base:
            doc = objects[key]
            if key in accounts:
                doc["metadata"].setdefault("annotations", {})[CLIENT_ID] = accounts[key][1]
            own.append(doc)
    account_patches: list[Obj] = []
    other_patches: list[Obj] = []
    for key in keys:
        if key not in base:
            continue
        patch = patch_for(objects[key], base[key])
        if key in accounts:
            client = _client_id_patch(*accounts[key])
            if patch is not None:
                client["metadata"]["annotations"] = {
                    **client["metadata"]["annotations"],
                    **patch.get("metadata", {}).get("annotations", {}),
                }
            account_patches.append(client)
        elif patch is not None:
            other_patches.append(patch)
    artifacts = []
    if own:
        artifacts.append(Artifact(f"{folder}/{RESOURCES}", to_yaml_documents(own)))
        fields["resources"].append(RESOURCES)
    patch_files = []
    for file_name, docs in ((SERVICE_ACCOUNT_PATCHES, account_patches), (PATCHES, other_patches)):
        if docs:
            artifacts.append(Artifact(f"{folder}/{file_name}", to_yaml_documents(docs)))
            patch_files.append({"path": file_name})
    if patch_files:
        fields["patches"] = patch_files
    artifacts.append(Artifact(f"{folder}/kustomization.yaml", to_yaml(_kustomization(**fields))))
    return artifacts


def emit_kubernetes(plan: Plan) -> list[Artifact]:
    """The Kustomize base, one overlay per environment, and the Components of existing workloads.

    Objects present in every environment go to the base with what all environments share; each
    overlay patches in its own values (always the client IDs) and adds the objects only it has.
    Both are split into one kustomization per namespace.
    """
    workloads: dict[WorkloadPlan, Obj] = {}
    per_env = {env.name: _env_objects(plan, env, workloads) for env in plan.environments}
    everywhere = set.intersection(*(set(objects) for objects in per_env.values()))
    base = {key: common([objects[key] for objects in per_env.values()]) for key in sorted(everywhere)}
    artifacts = _base(base)
    for env in plan.environments:
        artifacts += _overlay(env, per_env[env.name], base)
    artifacts += emit_components(plan)
    return sorted(artifacts, key=lambda artifact: artifact.path)
