"""The AKS cluster of each environment: whether the template may write it, and the commands that check
and turn on its OIDC issuer and workload identity. Pure.

By default the templates only read the cluster: its flags are turned on once, by hand or by a
platform's own tooling, with `az aks update --enable-oidc-issuer --enable-workload-identity` (turning
the issuer on changes the service-account token issuer and restarts the API server, and cannot be
undone; azure-aks-docs, use-oidc-issuer.md). The pipelines check the flags before what-if with
`check_command()` and fail with `off_message()`; an environment with `cluster.enableWorkloadIdentity`
lets its deployment turn them on instead (see emit/arm.py `_cluster_update`).
"""

from __future__ import annotations

from typing import NamedTuple

from wlid_render.plan.model import EnvironmentPlan, Plan

# JMESPath over `az aks show` output (the CLI spells the issuer `issuerUrl`, ARM `issuerURL`; both
# flags have the same names): "true" when both are on.
FLAGS_QUERY = "oidcIssuerProfile.enabled && securityProfile.workloadIdentity.enabled"
FLAGS_ON = "true"  # what `check_command()` prints, with --output tsv, when both flags are on


class ClusterStep(NamedTuple):
    """One environment's cluster, as the pipelines and the README name it."""

    environment: str
    subscription_id: str
    resource_group: str
    name: str
    written_by_template: bool  # cluster.enableWorkloadIdentity: the deployment turns the flags on itself

    def _target(self) -> list[str]:
        return [
            "--subscription",
            self.subscription_id,
            "--resource-group",
            self.resource_group,
            "--name",
            self.name,
        ]

    def check_command(self) -> list[str]:
        """Prints FLAGS_ON when the OIDC issuer and workload identity are both on; read-only."""
        return ["az", "aks", "show", *self._target(), "--query", FLAGS_QUERY, "--output", "tsv"]

    def enable_command(self) -> list[str]:
        """The one-time command that turns both flags on (it restarts the API server)."""
        return ["az", "aks", "update", *self._target(), "--enable-oidc-issuer", "--enable-workload-identity"]

    def off_message(self) -> str:
        """What a pipeline says when the check does not print FLAGS_ON."""
        if self.written_by_template:
            return (
                f"AKS cluster {self.name} ({self.resource_group}) does not have both the OIDC issuer and "
                "workload identity on; this environment's deployment turns them on (cluster."
                "enableWorkloadIdentity), which writes the whole cluster once and restarts its API server."
            )
        return (
            f"AKS cluster {self.name} ({self.resource_group}) does not have both the OIDC issuer and "
            "workload identity on, and wlid does not write clusters. Turn them on once with: "
            f"{' '.join(self.enable_command())} (this restarts the API server; the OIDC issuer cannot be "
            "turned off again)."
        )


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
