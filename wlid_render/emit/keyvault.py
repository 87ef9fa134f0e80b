"""Plan -> the Kubernetes side of `keyVaultSecrets` (pure): one SecretProviderClass per (workload, vault)
and the pod volume and container mounts that use it. Where they go is decided by emit/k8s.py (the
class, and the client ID patched into it per environment) and emit/k8s_objects.py / emit/components.py
(the pod template).

The Azure provider of the Secrets Store CSI driver (secrets-store-csi-driver-provider-azure,
pkg/provider/types) reads from `spec.parameters`, all strings: `usePodIdentity`, `clientID` (the
identity it exchanges the pod's token for: it does not read the ServiceAccount's annotation, issues
#952 #1080 #1316), `keyvaultName`, `tenantId`, and `objects`, a YAML document `array:` of strings, each
itself a YAML document of one object (objectName, objectType, objectVersion, objectAlias). Both levels
are written by the canonical YAML serialiser here, so strings a Go reader would take for numbers stay
strings.

The client ID is the very value the ServiceAccount's annotation gets (EnvironmentPlan.client_ids: read
from the deployment's outputs, pinned, or the Flux placeholder). A class carrying a placeholder must be
substituted by Flux like the ServiceAccount, so it does not opt out of post-build substitution; none of
its other values can hold `$` (spec/models/keyvault.py).
"""

from __future__ import annotations

from typing import Any

from wlid_render.emit.artifact import to_yaml
from wlid_render.plan.model import IdentityPlan, KeyVaultMountPlan, Plan, WorkloadPlan

SPC_API = "secrets-store.csi.x-k8s.io/v1"
SPC_KIND = "SecretProviderClass"
CSI_DRIVER = "secrets-store.csi.k8s.io"
TOKEN_PROXY_PARAMETER = "useAzureTokenProxy"
CLIENT_ID_PARAMETER = "clientID"

Obj = dict[str, Any]


def objects_parameter(mount: KeyVaultMountPlan) -> str:
    """The provider's `objects` parameter: YAML `array:` of one YAML document per object, each a
    literal block as the provider's documentation writes them. Each document is serialised as data;
    a literal block holds its lines as they are (none starts with a space or ends with one)."""
    lines = ["array:"]
    for obj in mount.objects:
        item = {"objectName": obj.name, "objectType": obj.type}
        if obj.version is not None:
            item["objectVersion"] = obj.version
        if obj.alias is not None:
            item["objectAlias"] = obj.alias
        lines.append("  - |")
        lines += [f"    {line}" for line in to_yaml(item).splitlines()]
    return "\n".join(lines) + "\n"


def spc_parameters(
    mount: KeyVaultMountPlan, client_id: str, tenant_id: str, identity: IdentityPlan | None = None
) -> dict[str, str]:
    """The provider's parameters for one vault, as the identity `identity` (client ID `client_id`)
    reads it. Every value of the class that depends on the identity is set here."""
    parameters = {
        "usePodIdentity": "false",
        CLIENT_ID_PARAMETER: client_id,
        "keyvaultName": mount.vault_name,
        "tenantId": tenant_id,
        "objects": objects_parameter(mount),
    }
    if identity is not None and identity.federation == "identityBinding":
        # Tokens of a binding identity come from the AKS token proxy; the provider asks it only when
        # told to (facts: AKS identity bindings, azure-aks-docs identity-bindings).
        parameters[TOKEN_PROXY_PARAMETER] = "true"
    return parameters


def spc_object(
    plan: Plan, workload: WorkloadPlan, mount: KeyVaultMountPlan, parameters: dict[str, str]
) -> Obj:
    labels = {"app.kubernetes.io/managed-by": "wlid", "app.kubernetes.io/part-of": plan.name}
    spec: Obj = {"provider": "azure", "parameters": parameters}
    if mount.sync_secret is not None:
        spec["secretObjects"] = [
            {
                "secretName": mount.sync_secret,
                "type": mount.sync_type,
                "data": [{"objectName": file, "key": key} for key, file in mount.sync_keys],
            }
        ]
    meta = {"name": mount.class_name, "namespace": workload.namespace, "labels": labels}
    return {"apiVersion": SPC_API, "kind": SPC_KIND, "metadata": meta, "spec": spec}


def client_id_patch(workload: WorkloadPlan, mount: KeyVaultMountPlan, client_id: str) -> Obj:
    """An overlay's patch of a SecretProviderClass: the client ID of the identity in that environment."""
    meta = {"name": mount.class_name, "namespace": workload.namespace}
    spec = {"parameters": {CLIENT_ID_PARAMETER: client_id}}
    return {"apiVersion": SPC_API, "kind": SPC_KIND, "metadata": meta, "spec": spec}


def with_client_id(obj: Obj, client_id: str) -> Obj:
    """A class written whole in an overlay: its client ID in the place spc_parameters gives it."""
    parameters = obj["spec"]["parameters"]
    first, rest = next(iter(parameters.items())), list(parameters.items())[1:]
    obj["spec"]["parameters"] = dict([first, (CLIENT_ID_PARAMETER, client_id), *rest])
    return obj


def csi_volume(mount: KeyVaultMountPlan) -> Obj:
    return {
        "name": mount.volume_name,
        "csi": {
            "driver": CSI_DRIVER,
            "readOnly": True,
            "volumeAttributes": {"secretProviderClass": mount.class_name},
        },
    }


def volume_mount(mount: KeyVaultMountPlan) -> Obj:
    return {"name": mount.volume_name, "mountPath": mount.mount_path, "readOnly": True}


def add_mounts(pod_spec: Obj, mounts: tuple[KeyVaultMountPlan, ...]) -> None:
    """The CSI volumes after the pod's own, and each mount after the container's own."""
    if not mounts:
        return
    pod_spec["volumes"] = [*pod_spec.get("volumes", []), *(csi_volume(m) for m in mounts)]
    for key in ("initContainers", "containers"):
        for container in pod_spec.get(key, []):
            own = [volume_mount(m) for m in mounts if container["name"] in m.containers]
            if own:
                container["volumeMounts"] = [*container.get("volumeMounts", []), *own]


def merge_patches(patch: Obj | None, client: Obj) -> Obj:
    """An overlay's patch of a class: the values that differ from the base (`patch`, if any) and its
    client ID."""
    if patch is None:
        return client
    spec = patch.get("spec", {})
    parameters = {**spec.get("parameters", {}), **client["spec"]["parameters"]}
    return {**patch, "spec": {**spec, "parameters": parameters}}
