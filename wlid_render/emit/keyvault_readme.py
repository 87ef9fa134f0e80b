"""OUT/README.md's section on `keyVaultSecrets`: the driver prerequisite, and per environment which
vault's objects each workload mounts where, with the commands that show the mount and the synced
Secret in the cluster."""

from __future__ import annotations

import shlex

from wlid_render.plan.model import EnvironmentPlan, Plan, WorkloadPlan

# kubectl's short resource names; a CronJob runs its pods through Jobs, which `kubectl exec` cannot
# name before they exist.
_EXEC_TARGET = {"Pod": "", "Deployment": "deploy/", "StatefulSet": "sts/", "Job": "job/"}

PREREQUISITE = [
    "The Secrets Store CSI driver and its Azure Key Vault provider must run on the cluster: the AKS "
    "add-on (`az aks enable-addons --addons azure-keyvault-secrets-provider -g <resource group> -n "
    "<cluster>`) or the Helm chart `csi-secrets-store-provider-azure` (a synced Secret needs "
    "`--set secrets-store-csi-driver.syncSecret.enabled=true` there). The vaults must use Azure RBAC, "
    "not access policies. See docs/keyvault.md.",
    "",
]


def _check(env: EnvironmentPlan, workload: WorkloadPlan, container: str, path: str) -> str:
    prefix = _EXEC_TARGET.get(workload.kind)
    if prefix is None:
        return f"a pod of {workload.kind} `{workload.name}`: `kubectl exec -n {workload.namespace} POD -c {container} -- ls {path}`"
    words = ["kubectl", "exec", "-n", workload.namespace, f"{prefix}{workload.name}", "-c", container]
    return "`" + shlex.join([*words, "--", "ls", path]) + "`"


def keyvault_section(plan: Plan) -> list[str]:
    """The section, or nothing when no workload mounts a vault."""
    if not any(w.key_vaults for env in plan.environments for w in env.workloads):
        return []
    lines = ["## Key Vault objects mounted by the Secrets Store CSI driver", "", *PREREQUISITE]
    several = len(plan.environments) > 1
    for env in plan.environments:
        mounted = [w for w in env.workloads if w.key_vaults]
        if not mounted:
            continue
        if several:
            lines += [f"**{env.name}**", ""]
        for w in mounted:
            for m in w.key_vaults:
                objects = ", ".join(
                    f"{o.type} `{o.name}`" + (f" as `{o.alias}`" if o.alias else "") for o in m.objects
                )
                lines.append(
                    f"- key vault `{m.vault_name}` -> {objects} -> {w.kind} `{w.namespace}/{w.name}` at "
                    f"`{m.mount_path}` (SecretProviderClass `{m.class_name}`)"
                )
                if m.containers:
                    lines.append(f"  - check: {_check(env, w, m.containers[0], m.mount_path)}")
                if m.sync_secret is not None:
                    secret = shlex.join(["kubectl", "get", "secret", "-n", w.namespace, m.sync_secret])
                    lines.append(
                        f"  - synced Secret `{m.sync_secret}` (keys {', '.join(k for k, _ in m.sync_keys)}), "
                        f"there while a pod mounts the volume: `{secret}`"
                    )
        lines.append("")
    return lines
