"""The clusters of one environment as read, against the plan: which issuer the FICs of each cluster
get, and the checks of each cluster (OIDC issuer and workload identity on, the pinned issuer). Pure.

With `cluster`, the one cluster that was read (`AzureState.cluster`); with a `clusters:` list, every
listed cluster, found by name in `AzureState.clusters`.
"""

from __future__ import annotations

from wlid_render.brownfield.drift_report import Difference
from wlid_render.brownfield.state import AzureState, ClusterState
from wlid_render.plan.model import EnvironmentPlan


def cluster_issuers(
    env: EnvironmentPlan, state: AzureState, findings: list[Difference]
) -> dict[str, str | None]:
    """Cluster name (lower case) -> the issuer the FICs of that cluster of the environment get, when
    it is known (else None); the checks of each cluster on the way, in the order they are listed."""
    listed = env.clusters or (None,)
    out: dict[str, str | None] = {}
    for i, planned in enumerate(listed):
        if planned is None:  # `cluster`: the environment's settings
            name, pinned, enable = env.cluster_name, env.oidc_issuer_url, env.enable_workload_identity
        else:  # the opt-in cluster step writes only the environment's first cluster (plan/cluster.py)
            name, pinned = planned.name, planned.oidc_issuer_url
            enable = env.enable_workload_identity if i == 0 else False
        out[name.lower()] = _issuer(pinned, enable, cluster_read(env, state, name), findings)
    return out


def cluster_read(env: EnvironmentPlan, state: AzureState, name: str) -> ClusterState | None:
    """The cluster `name` of the environment as read: with `cluster`, the one cluster that was read."""
    return state.cluster_named(name) if env.clusters else state.cluster


def _issuer(
    pinned: str | None, enable: bool, cluster: ClusterState | None, findings: list[Difference]
) -> str | None:
    """The issuer one cluster's FICs get, when it is known; that cluster's findings on the way.

    `enable`: the deployment turns the flags on (cluster.enableWorkloadIdentity), so a flag that is
    off is drift; otherwise it is an error (issuer) or a warning (workload identity)."""
    if cluster is None:
        return pinned
    name = cluster.name
    if cluster.issuer_url is None:
        if enable:
            message = (
                f"the OIDC issuer of cluster {name} is off: the deployment turns it on "
                "(its issuer URL is known only then, so FIC issuers are not compared)"
            )
        else:
            message = (
                f"the OIDC issuer of cluster {name} is off and the spec does not turn it on: the "
                "deployment cannot read an issuer (set cluster.enableWorkloadIdentity: true)"
            )
        findings.append(Difference("cluster", "", None, message, "drift" if enable else "error"))
        return pinned
    if not cluster.workload_identity:
        if enable:
            message = f"workload identity is off on cluster {name}: the deployment turns it on"
        else:
            message = (
                f"workload identity (the webhook) is off on cluster {name}: pods get no token "
                "(set cluster.enableWorkloadIdentity: true)"
            )
        findings.append(Difference("cluster", "", None, message, "drift" if enable else "warning"))
    if pinned and pinned != cluster.issuer_url:
        message = (
            f"the spec pins oidcIssuerUrl {pinned}, cluster {name} issues tokens as "
            f"{cluster.issuer_url}: FICs with the pinned issuer never match a token"
        )
        findings.append(Difference("cluster-issuer", "", None, message, "error"))
        return pinned
    return cluster.issuer_url
