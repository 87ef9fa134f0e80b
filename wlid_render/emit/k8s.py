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
from wlid_render.emit.k8s_objects import (
    Obj,
    client_id_patch,
    identity_binding_objects,
    namespace_object,
    service_account_object,
    workload_object,
)
from wlid_render.emit.k8s_split import common, patch_for
from wlid_render.emit.keyvault import (
    CLIENT_ID_PARAMETER,
    merge_patches,
    spc_object,
    spc_parameters,
    with_client_id,
)
from wlid_render.emit.keyvault import client_id_patch as spc_client_id_patch
from wlid_render.kubernetes_keys import CLIENT_ID
from wlid_render.plan.model import EnvironmentPlan, Plan, ServiceAccountPlan, WorkloadPlan

BASE_DIR = "k8s/base"
OVERLAYS_DIR = "k8s/overlays"
KUSTOMIZE_API = "kustomize.config.k8s.io/v1beta1"


def _kustomization(**fields: Any) -> Obj:
    return {"apiVersion": KUSTOMIZE_API, "kind": "Kustomization", **fields}


# -- layout ---------------------------------------------------------------------------------------
# One kustomization per namespace, in the base and in every overlay, so that no kustomization grows
# with the whole estate. A namespace folder holds one multi-document file per kind, documents sorted
# by name; its kustomization lists the files in this order (only those that exist).
SERVICE_ACCOUNTS = "serviceaccounts.yaml"
SECRET_PROVIDER_CLASSES = "secretproviderclasses.yaml"  # base and overlay (client-ID patches)
KIND_FILES = {
    "Namespace": "namespace.yaml",
    "ServiceAccount": SERVICE_ACCOUNTS,
    "SecretProviderClass": SECRET_PROVIDER_CLASSES,
    "Deployment": "deployments.yaml",
    "StatefulSet": "statefulsets.yaml",
    "Job": "jobs.yaml",
    "CronJob": "cronjobs.yaml",
    "Pod": "pods.yaml",
    # AKS identity bindings: cluster-scoped, filed with the namespace of the ServiceAccounts they bind,
    # always in the overlay (they name the environment's client ID)
    "ClusterRole": "clusterroles.yaml",
    "ClusterRoleBinding": "clusterrolebindings.yaml",
}
_CLUSTER_SCOPED_FILES = frozenset({KIND_FILES["ClusterRole"], KIND_FILES["ClusterRoleBinding"]})
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


def _key(obj: Obj, folder: str | None = None) -> Key:
    """`folder`: the namespace folder of a cluster-scoped object."""
    meta = obj["metadata"]
    if folder is None:
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
    plan: Plan,
    env: EnvironmentPlan,
    workloads: dict[WorkloadPlan, Obj] | None = None,
    classes: dict[Key, tuple[Obj, Obj]] | None = None,
) -> dict[Key, Obj]:
    """Key -> object, for every object of one environment (client IDs left out: see _client_ids).

    `workloads` holds the objects of workloads planned before: environments that share a workload's
    plan share its object (read-only from here on), which the base then takes without a diff.
    `classes`: the environment's SecretProviderClasses (_provider_classes), when already made.
    """
    if workloads is None:
        workloads = {}
    if classes is None:
        classes = _provider_classes(plan, env)
    objects = [namespace_object(plan, n) for n in env.namespaces]
    objects += [service_account_object(plan, env, a) for a in env.service_accounts]
    for w in env.workloads:
        if not w.existing:
            obj = workloads.get(w)
            if obj is None:
                obj = workloads[w] = workload_object(plan, w)
            objects.append(obj)
    objects += [spc for spc, _ in classes.values()]
    return _unique(objects, f"{OVERLAYS_DIR}/{env.name}", _binding_objects(plan, env))


def _provider_classes(plan: Plan, env: EnvironmentPlan) -> dict[Key, tuple[Obj, Obj]]:
    """Key -> (SecretProviderClass without its client ID, the overlay's client-ID patch of it) for
    every vault a workload of the environment mounts. The client ID is the one its ServiceAccount's
    annotation gets (env.client_ids), so the two cannot differ."""
    identities = {(a.namespace, a.name): a.identity for a in env.service_accounts}
    client_ids = dict(env.client_ids)
    by_name = {i.name: i for i in plan.identities}
    out: dict[Key, tuple[Obj, Obj]] = {}
    for w in env.workloads:
        identity = identities.get((w.namespace, w.service_account))
        for mount in w.key_vaults:
            client_id = client_ids[identity] if identity is not None else ""
            parameters = spc_parameters(mount, client_id, env.tenant_id or "", by_name.get(identity or ""))
            del parameters[CLIENT_ID_PARAMETER]
            spc = spc_object(plan, w, mount, parameters)
            out[_key(spc)] = (spc, spc_client_id_patch(w, mount, client_id))
    return out


def _binding_objects(plan: Plan, env: EnvironmentPlan) -> list[tuple[str, Obj]]:
    """(namespace folder, object): the ClusterRole and ClusterRoleBinding of each identity in
    identityBinding mode and namespace of its ServiceAccounts, with the environment's client ID
    bound as on the ServiceAccounts."""
    binding = {i.name for i in plan.identities if i.federation == "identityBinding"}
    if not binding:
        return []
    client_ids = dict(env.client_ids)
    grouped: dict[tuple[str, str], list[str]] = {}
    for account in env.service_accounts:
        if account.identity in binding:
            grouped.setdefault((account.identity, account.namespace), []).append(account.name)
    out = []
    for (identity, namespace), accounts in sorted(grouped.items()):
        for obj in identity_binding_objects(plan, identity, namespace, accounts, client_ids[identity]):
            out.append((namespace, obj))
    return out


def _unique(objects: list[Obj], folder: str, placed: list[tuple[str, Obj]] | None = None) -> dict[Key, Obj]:
    """Refuse two objects that would share a place rather than let one overwrite the other."""
    out: dict[Key, Obj] = {}
    keyed = [(_key(obj), obj) for obj in objects] + [(_key(obj, f), obj) for f, obj in placed or []]
    for key, obj in keyed:
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


def _overlay(
    env: EnvironmentPlan, objects: dict[Key, Obj], base: dict[Key, Obj], class_patches: dict[Key, Obj]
) -> list[Artifact]:
    """`k8s/overlays/<env>/<ns>/` for every namespace the environment has, and its kustomization.

    `class_patches`: the client-ID patch of each of the environment's SecretProviderClasses."""
    artifacts = []
    namespaces = _by_namespace(objects)
    assert list(namespaces) == overlay_namespaces(env), "overlay_namespaces must name the folders"
    base_namespaces = {key.namespace for key in base}
    client_ids = dict(env.client_ids)
    accounts = {_account_key(a): (a, client_ids[a.identity]) for a in env.service_accounts}
    for namespace, keys in namespaces.items():
        folder = f"{OVERLAYS_DIR}/{env.name}/{namespace}"
        fields: Obj = {"resources": [f"../../../base/{namespace}"] if namespace in base_namespaces else []}
        artifacts += _namespace_overlay(folder, fields, keys, objects, base, accounts, class_patches)
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
    classes: dict[Key, Obj],
) -> list[Artifact]:
    """The folder of one namespace of an overlay; `fields` already lists its base folder, if any.

    `accounts` maps the environment's ServiceAccounts to their plan and client ID, `classes` its
    SecretProviderClasses to their client-ID patch.
    """
    own = []
    for key in keys:
        if key not in base:
            doc = objects[key]
            if key in accounts:
                doc["metadata"].setdefault("annotations", {})[CLIENT_ID] = accounts[key][1]
            if key in classes:
                doc = with_client_id(doc, classes[key]["spec"]["parameters"][CLIENT_ID_PARAMETER])
            own.append(doc)
    account_patches: list[Obj] = []
    class_patches: list[Obj] = []
    other_patches: list[Obj] = []
    for key in keys:
        if key not in base:
            continue
        patch = patch_for(objects[key], base[key])
        if key in accounts:
            client = client_id_patch(*accounts[key])
            if patch is not None:
                client["metadata"]["annotations"] = {
                    **client["metadata"]["annotations"],
                    **patch.get("metadata", {}).get("annotations", {}),
                }
            account_patches.append(client)
        elif key in classes:
            class_patches.append(merge_patches(patch, classes[key]))
        elif patch is not None:
            other_patches.append(patch)
    artifacts = []
    if own:
        artifacts.append(Artifact(f"{folder}/{RESOURCES}", to_yaml_documents(own)))
        fields["resources"].append(RESOURCES)
    patch_files = []
    for file_name, docs in (
        (SERVICE_ACCOUNT_PATCHES, account_patches),
        (SECRET_PROVIDER_CLASSES, class_patches),
        (PATCHES, other_patches),
    ):
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
    classes = {env.name: _provider_classes(plan, env) for env in plan.environments}
    per_env = {env.name: _env_objects(plan, env, workloads, classes[env.name]) for env in plan.environments}
    everywhere = set.intersection(*(set(objects) for objects in per_env.values()))
    everywhere = {key for key in everywhere if FILE_ORDER[key.file] not in _CLUSTER_SCOPED_FILES}
    base = {key: common([objects[key] for objects in per_env.values()]) for key in sorted(everywhere)}
    artifacts = _base(base)
    for env in plan.environments:
        patches = {key: patch for key, (_, patch) in classes[env.name].items()}
        artifacts += _overlay(env, per_env[env.name], base, patches)
    artifacts += emit_components(plan)
    return sorted(artifacts, key=lambda artifact: artifact.path)
