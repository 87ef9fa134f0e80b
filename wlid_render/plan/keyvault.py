"""A workload's `keyVaultSecrets`: each entry planned as a SecretProviderClass, a pod volume and the
containers' mounts, and checked against the rest of the workload (names, mounts, synced keys)."""

from __future__ import annotations

from wlid_render.errors import Path, Problem
from wlid_render.plan.model import KeyVaultMountPlan, KeyVaultObjectPlan, Target
from wlid_render.plan.targets import KIND_BY_KEY, TargetError, resource_target
from wlid_render.spec.models import KeyVaultSecrets, ResourceRef, Workload

DEFAULT_MOUNT_ROOT = "/mnt/secrets-store"
VOLUME_PREFIX = "wlid-kv"


def vault_target(entry: KeyVaultSecrets) -> Target:
    """The vault as a role target (its name checked against Key Vault's rule). Raises TargetError."""
    return resource_target(KIND_BY_KEY["keyVault"], entry.keyVault)


def _suffix(index: int) -> str:
    return "" if index == 0 else f"-{index}"


def mount_plan(workload: Workload, index: int, entry: KeyVaultSecrets) -> KeyVaultMountPlan:
    ref = entry.keyVault if isinstance(entry.keyVault, ResourceRef) else ResourceRef(name=entry.keyVault)
    all_containers = [c.name for c in workload.containers]
    sync = entry.syncSecret
    return KeyVaultMountPlan(
        index=index,
        class_name=entry.name or f"{workload.name}-kv{_suffix(index)}",
        volume_name=f"{VOLUME_PREFIX}{_suffix(index)}",
        vault_name=ref.name,
        subscription_id=ref.subscriptionId.lower() if ref.subscriptionId else None,
        resource_group=ref.resourceGroup,
        objects=tuple(KeyVaultObjectPlan(o.name, o.type, o.version, o.alias) for o in entry.objects),
        mount_path=entry.mountPath or f"{DEFAULT_MOUNT_ROOT}/{ref.name}",
        containers=tuple(entry.containers or all_containers),
        sync_secret=sync.name if sync else None,
        sync_type=sync.type if sync else "Opaque",
        sync_keys=tuple(sync.keys.items()) if sync else (),
        grant=entry.grant == "auto",
    )


def key_vault_mounts(workload: Workload) -> tuple[KeyVaultMountPlan, ...]:
    return tuple(mount_plan(workload, j, entry) for j, entry in enumerate(workload.keyVaultSecrets))


def key_vault_problems(
    workload: Workload, path: Path, planned: tuple[KeyVaultMountPlan, ...]
) -> list[Problem]:
    """Errors in a workload's keyVaultSecrets that the workload alone shows; `planned`: the entries as
    `key_vault_mounts` plans them."""
    errors: list[Problem] = []
    containers = {c.name for c in (*workload.containers, *workload.initContainers)}
    user_volumes = {v.get("name") for v in workload.volumes if isinstance(v, dict)}
    user_mounts = {
        (c.name, m.get("mountPath"))
        for c in (*workload.containers, *workload.initContainers)
        for m in c.volumeMounts
        if isinstance(m, dict)
    }
    vaults: dict[tuple[str, str | None, str | None], int] = {}
    classes: dict[str, int] = {}
    mounts: dict[tuple[str, str], int] = {}
    for j, (entry, plan) in enumerate(zip(workload.keyVaultSecrets, planned, strict=True)):
        at = (*path, "keyVaultSecrets", j)
        try:
            vault_target(entry)
        except TargetError as exc:
            errors.append(Problem(str(exc), (*at, "keyVault")))
        key = (
            plan.vault_name.lower(),
            plan.resource_group and plan.resource_group.lower(),
            plan.subscription_id,
        )
        if key in vaults:
            errors.append(
                Problem(
                    f"key vault {plan.vault_name} is mounted twice (also keyVaultSecrets[{vaults[key]}])",
                    (*at, "keyVault"),
                    hint="list every object of one vault in one entry",
                )
            )
        vaults.setdefault(key, j)
        if plan.class_name in classes:
            errors.append(
                Problem(
                    f"SecretProviderClass name {plan.class_name!r} is used twice "
                    f"(also keyVaultSecrets[{classes[plan.class_name]}])",
                    (*at, "name"),
                )
            )
        classes.setdefault(plan.class_name, j)
        if plan.volume_name in user_volumes:
            errors.append(
                Problem(f"volume name {plan.volume_name!r} is wlid's for this mount", (*path, "volumes"))
            )
        errors += _objects(entry, at)
        if workload.existing and not entry.containers:
            errors.append(
                Problem(
                    "an existing workload names the containers that mount the vault",
                    (*at, "containers"),
                    hint="wlid does not see its containers; e.g. containers: [app]",
                )
            )
        if not workload.existing and not plan.containers:
            continue
        for name in entry.containers:
            if not workload.existing and name not in containers:
                errors.append(Problem(f"no container named {name!r}", (*at, "containers")))
        for name in plan.containers:
            if (name, plan.mount_path) in user_mounts:
                errors.append(
                    Problem(
                        f"container {name!r} already mounts a volume at {plan.mount_path}",
                        (*at, "mountPath"),
                    )
                )
            if (name, plan.mount_path) in mounts:
                errors.append(
                    Problem(
                        f"container {name!r} mounts two vaults at {plan.mount_path} "
                        f"(also keyVaultSecrets[{mounts[(name, plan.mount_path)]}])",
                        (*at, "mountPath"),
                        hint="give each entry its own mountPath",
                    )
                )
            mounts.setdefault((name, plan.mount_path), j)
    return errors


def _objects(entry: KeyVaultSecrets, at: Path) -> list[Problem]:
    errors: list[Problem] = []
    files: dict[str, int] = {}
    for k, obj in enumerate(entry.objects):
        name = obj.alias or obj.name
        if name in files:
            errors.append(
                Problem(
                    f"two objects write the file {name!r} (also objects[{files[name]}])",
                    (*at, "objects", k),
                    hint="give one of them an alias",
                )
            )
        files.setdefault(name, k)
    if entry.syncSecret is not None:
        for key, file in entry.syncSecret.keys.items():
            if file not in files:
                errors.append(
                    Problem(
                        f"no object of this vault is mounted as {file!r}",
                        (*at, "syncSecret", "keys", key),
                        hint=f"name an object (or its alias): {', '.join(sorted(files))}",
                    )
                )
    return errors
