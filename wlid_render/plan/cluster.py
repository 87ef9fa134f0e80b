"""The AKS cluster of each environment: which cluster it is and whether the template writes it. Pure.

By default the templates only read the cluster: its OIDC issuer and workload identity are turned on
once, by hand or by a platform's own tooling (turning the issuer on changes the service-account token
issuer and restarts the API server, and cannot be undone; azure-aks-docs, use-oidc-issuer.md). An
environment with `cluster.enableWorkloadIdentity` lets its deployment turn them on instead (see
emit/arm_cluster.py `cluster_update`). The commands that check and turn on the flags are built from these
facts in views/az.py, for the pipelines, OUT/README.md and `wlid whatif` alike.
"""

from __future__ import annotations

from typing import NamedTuple

from wlid_render.plan.model import EnvironmentPlan, Plan


class ClusterStep(NamedTuple):
    """One environment's cluster, as the pipelines, the README and `wlid whatif` name it."""

    environment: str
    subscription_id: str
    resource_group: str
    name: str
    written_by_template: bool  # cluster.enableWorkloadIdentity: the deployment turns the flags on itself


def cluster_step(environment: EnvironmentPlan) -> ClusterStep:
    return ClusterStep(
        environment.name,
        environment.cluster_subscription_id,
        environment.cluster_resource_group,
        environment.cluster_name,
        environment.enable_workload_identity,
    )


def cluster_steps(plan: Plan) -> tuple[ClusterStep, ...]:
    """Each environment's cluster, in plan order."""
    return tuple(cluster_step(e) for e in plan.environments)
