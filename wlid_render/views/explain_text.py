"""Environment views -> the text of `wlid explain`: per environment, the cluster and its issuer, each
identity with its federated credentials or identity bindings, role assignments, ServiceAccounts,
workloads and Key Vault mounts, how the environment deploys, and the warnings. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable

from wlid_render.views.explain import ISSUER_FROM_CLUSTER, EnvironmentView, IdentityView

DEPLOY_TEXT = {
    "group": (
        "group: az deployment group create (incremental)",
        "removing an identity, FIC or role assignment from the spec leaves it in Azure (a standing",
        "grant) until it is deleted by hand; wlid drift lists it; azure.deploy: stack deletes it",
    ),
    "stack": (
        "stack: az stack group create --action-on-unmanage deleteResources --deny-settings-mode none",
        "removing an identity, FIC or role assignment from the spec deletes it from Azure on the next",
        "deployment; what was removed before the switch to stack stays (wlid drift lists it)",
    ),
}


def _deploy_lines(mode: str) -> list[str]:
    """What the environment's `azure.deploy` mode does, and what it leaves behind."""
    how, *behind = DEPLOY_TEXT[mode]
    return [f"  deploy      {how}", *(f"              {line}" for line in behind)]


def explain_text(views: Iterable[EnvironmentView]) -> str:
    lines: list[str] = []
    for view in views:
        if lines:
            lines.append("")
        lines += _text(view)
    return "\n".join(lines) + "\n"


def _text(view: EnvironmentView) -> list[str]:
    flags = (
        "turned on by the deployment (enableWorkloadIdentity: true)"
        if view.enables_workload_identity
        else "expected on already (enableWorkloadIdentity: false)"
    )
    cluster_lines = [
        f"  cluster     {view.cluster} (resource group {view.cluster_resource_group}, "
        f"subscription {view.cluster_subscription_id})"
    ]
    if view.clusters:
        cluster_lines = [
            f"  {'clusters' if i == 0 else '':<11} {name} (resource group {group})"
            for i, (name, group) in enumerate(view.clusters)
        ]
    lines = [
        f"environment {view.name}",
        *cluster_lines,
        f"              OIDC issuer and workload identity: {flags}",
        f"  issuer      {'pinned: ' + view.issuer if view.issuer else ISSUER_FROM_CLUSTER}"
        if not view.clusters
        else "  issuers     each cluster's own, read from it at deployment unless pinned",
        f"  identities  in resource group {view.resource_group} ({view.location}), "
        f"subscription {view.subscription_id}",
        *_deploy_lines(view.deploy),
    ]
    if not view.identities:
        lines.append("    none")
    for identity in view.identities:
        state = (
            f"pinned {identity.client_id}"
            if identity.pinned
            else f"placeholder {identity.client_id} (not pinned; wlid bind pins it after the deployment)"
        )
        lines += ["", f"  identity {identity.name}", f"    client ID  {state}", "    federated credentials"]
        issuer = view.issuer or "the cluster's, read at deployment"
        for credential in identity.credentials:
            own = issuer
            if credential.cluster:
                own = credential.issuer or f"cluster {credential.cluster}'s, read at deployment"
            lines += [
                f"      {credential.name}",
                f"        issuer   {own}",
                f"        subject  {credential.subject}",
            ]
        if identity.federation == "identityBinding":
            lines += _binding_lines(identity, view.deploy)
        elif not identity.credentials:
            lines.append("      none (no ServiceAccount uses this identity here)")
        lines.append("    roles")
        for role in identity.roles:
            text = f"      {role.role} on {role.scope}"
            lines.append(text + (f": {role.description}" if role.description else ""))
        if not identity.roles:
            lines.append("      none")
        lines.append("    used by")
        for account in identity.accounts:
            expiry = f" (token expiration {account.token_expiration} s)" if account.token_expiration else ""
            lines.append(f"      ServiceAccount {account.label}{expiry}")
            for w in account.workloads:
                lines += [f"        {w.label}", *(f"          {v.label}" for v in w.vaults)]
            if not account.workloads:
                lines.append("        no workload")
        if not identity.accounts:
            lines.append("      no ServiceAccount")
    lines += ["", "  warnings"]
    for warning in view.warnings:
        lines.append(f"    {warning.message}" + (f" (hint: {warning.hint})" if warning.hint else ""))
    if not view.warnings:
        lines.append("    none")
    return lines


def _binding_lines(identity: IdentityView, deploy: str) -> list[str]:
    """What an identity in identityBinding mode deploys, and what a switch leaves behind."""
    lines = [
        "      none of wlid's: AKS keeps one, aks-identity-binding, for the identity bindings",
        "    identity bindings",
    ]
    lines += [
        f"      {name} on cluster {cluster} (resource group {group})"
        for name, cluster, group in identity.bindings
    ]
    if deploy == "stack":
        lines.append(
            "      switching to credentials or dropping a cluster: the deployment stack deletes the bindings "
            "that leave the template; aks-identity-binding stays (AKS made it)"
        )
    else:
        lines.append(
            "      switching to credentials or dropping a cluster leaves the bindings in Azure (incremental "
            "deployment) until az aks identity-binding delete; aks-identity-binding stays (AKS made it)"
        )
    return lines
