"""The az commands that check, preview and apply one environment. Pure: nothing is printed or run.

The commands deploy `azure/main.json` with `azure/params/<env>.parameters.json` into the environment's
subscription and resource group under the deployment name `Plan.deployment_name`, the name the README
and the outputs query (`az deployment group show --name ...`) use. A large spec has more top-level
deployments (`Plan.deployments`: `main`, then `identities-NNN` groups), each with its own template,
parameters files and name; `main` goes first. Every value is shell-quoted.

How a deployment is applied depends on the environment's `azure.deploy`:

* `group` (default): `az deployment group create`, an incremental deployment. It never deletes: a FIC
  or role assignment removed from the spec stays in Azure.
* `stack`: `az stack group create --action-on-unmanage deleteResources --deny-settings-mode none`, a
  deployment stack that deletes the resources that left its template (Microsoft Learn, "az stack group
  create": https://learn.microsoft.com/en-us/cli/azure/stack/group#az-stack-group-create; a stack at
  resource-group scope also manages what its nested deployments put in other resource groups and
  subscriptions, https://learn.microsoft.com/en-us/azure/azure-resource-manager/bicep/deployment-stacks).
  Only for deployments that hold identities, never for the cluster step: a `main` that holds only the
  cluster step (a split spec) stays a plain deployment, and the plan refuses a stack in an environment
  whose template writes the cluster. What-if does not cover stacks: it previews the template's creates
  and changes; what the stack would delete is what `az stack group show --query "resources[].id"` lists
  and the template no longer holds.

Before anything is deployed, the cluster's OIDC issuer and workload identity must be on (unless the
template turns them on, `cluster.enableWorkloadIdentity: true`): `cluster_flags_check` is the `az aks
show` query the pipelines, OUT/README.md and `wlid whatif` assert, built from the environment's
`plan.cluster.ClusterStep`. JMESPath `a && b` is `b` when `a` is truthy, else `a`
(https://jmespath.org/specification.html#and-expressions), so the query gives true only when both
flags are true (`false` or `null` otherwise). `--output json` prints it as `true`; `--output tsv` would
print Python's `True`/`None` (knack's TSV writer applies `str()`), so the check compares JSON.
"""

from __future__ import annotations

import os
import shlex
from typing import Literal

from wlid_render.plan.cluster import ClusterStep, cluster_step
from wlid_render.plan.model import AzureDeployment, EnvironmentPlan, Plan

Verb = Literal["what-if", "create"]

FLAGS_QUERY = "oidcIssuerProfile.enabled && securityProfile.workloadIdentity.enabled"
STACK_OPTIONS = ("--action-on-unmanage", "deleteResources", "--deny-settings-mode", "none")


def environment(plan: Plan, env: str) -> EnvironmentPlan:
    """The plan of environment `env`; KeyError naming the known environments when there is none."""
    for candidate in plan.environments:
        if candidate.name == env:
            return candidate
    known = ", ".join(e.name for e in plan.environments) or "none"
    raise KeyError(f"no environment named {env!r} in {plan.name!r} (known: {known})")


def out_path(out: str | os.PathLike[str], *parts: str) -> str:
    """`parts` joined below OUT with '/'; OUT is written as given, without a trailing '/' ("" means ".")."""
    base = os.fspath(out) or "."
    return "/".join([base.rstrip("/"), *parts])  # "/" + parts gives "/azure/..."


def template_files(
    env: EnvironmentPlan, out: str | os.PathLike[str], bicep: bool, deployment: AzureDeployment
) -> tuple[str, str]:
    """(template, parameters file) of one deployment of one environment, below OUT."""
    return out_path(out, deployment.template_path(bicep)), out_path(
        out, deployment.parameters_path(env.name, bicep)
    )


def uses_stack(env: EnvironmentPlan, deployment: AzureDeployment) -> bool:
    """Whether `deployment` is applied as a deployment stack in `env`: in stack mode, every deployment
    that holds identities; never a cluster-only `main`. A template that also holds the cluster step
    writes the cluster only in environments with cluster.enableWorkloadIdentity: true, and the plan
    refuses a stack there, so a stack never writes (and can never delete) the cluster."""
    return env.deploy == "stack" and bool(deployment.identities)


def target_arguments(env: EnvironmentPlan, deployment: AzureDeployment) -> list[str]:
    """`--name NAME --subscription SUB --resource-group RG` of one deployment (or stack)."""
    return [
        "--name",
        deployment.name,
        "--subscription",
        env.subscription_id,
        "--resource-group",
        env.resource_group,
    ]


def deployment_arguments(
    plan: Plan,
    env: EnvironmentPlan,
    out: str | os.PathLike[str],
    bicep: bool = False,
    deployment: AzureDeployment | None = None,
) -> list[str]:
    """The options shared by what-if and create: deployment name, target, template and parameters
    (of `main` unless `deployment` is given)."""
    deployment = deployment or plan.deployments[0]
    template, parameters = template_files(env, out, bicep, deployment)
    return [*target_arguments(env, deployment), "--template-file", template, "--parameters", parameters]


def az_command(
    verb: Verb,
    plan: Plan,
    env: EnvironmentPlan,
    out: str | os.PathLike[str],
    *extra: str,
    bicep: bool = False,
    deployment: AzureDeployment | None = None,
) -> str:
    """`az deployment group <verb> ...` as one shell-quoted line, `extra` options appended."""
    arguments = deployment_arguments(plan, env, out, bicep, deployment)
    return shlex.join(["az", "deployment", "group", verb, *arguments, *extra])


def apply_command(
    plan: Plan,
    env: EnvironmentPlan,
    out: str | os.PathLike[str],
    deployment: AzureDeployment,
    bicep: bool = False,
) -> list[str]:
    """The argv that applies one deployment in `env`: a deployment stack or a plain group deployment."""
    arguments = deployment_arguments(plan, env, out, bicep, deployment)
    if uses_stack(env, deployment):
        return ["az", "stack", "group", "create", *arguments, *STACK_OPTIONS, "--yes"]
    return ["az", "deployment", "group", "create", *arguments]


def stack_resources_command(env: EnvironmentPlan, deployment: AzureDeployment) -> list[str]:
    """The argv that lists the resource IDs a stack manages now (what it deletes once they leave)."""
    return ["az", "stack", "group", "show", *target_arguments(env, deployment), "--query", "resources[].id"]


def _cluster_target(cluster: ClusterStep) -> list[str]:
    return [
        "--subscription",
        cluster.subscription_id,
        "--resource-group",
        cluster.resource_group,
        "--name",
        cluster.name,
    ]


def cluster_flags_check(cluster: ClusterStep) -> list[str] | None:
    """The argv of `az aks show` printing whether OIDC issuer and workload identity are both on; None
    when the template turns them on itself (nothing to assert before deploying)."""
    if cluster.written_by_template:
        return None
    return ["az", "aks", "show", *_cluster_target(cluster), "--query", FLAGS_QUERY, "--output", "json"]


def cluster_flags_fix(cluster: ClusterStep) -> str:
    """The one-time command that turns the flags on, shell-quoted."""
    return shlex.join(
        [
            "az",
            "aks",
            "update",
            *_cluster_target(cluster),
            "--enable-oidc-issuer",
            "--enable-workload-identity",
        ]
    )


def cluster_flags_message(cluster: ClusterStep) -> str:
    """What to do when the flags are off (one line)."""
    return (
        f"cluster {cluster.name}: the OIDC issuer and workload identity must both be on before the "
        f"identities are deployed; turn them on once with: {cluster_flags_fix(cluster)} (enabling the OIDC "
        "issuer restarts the API server: plan a maintenance window)"
    )


def whatif_commands(plan: Plan, env: str, out: str | os.PathLike[str]) -> list[str]:
    """The shell lines that check, preview (what-if) and then deploy environment `env` from OUT.

    First, unless the template turns the cluster flags on, the `az aks show` check with a comment
    saying what it must print. Then per top-level deployment (`main` first): the what-if command,
    with a deployment stack the command listing what the stack manages now (what-if does not show
    what a stack deletes), the apply command, and one comment line (starting with `#`) with the Bicep
    files to use instead. Raises KeyError for an unknown environment.
    """
    plan_env = environment(plan, env)
    lines = []
    cluster = cluster_step(plan_env)
    check = cluster_flags_check(cluster)
    if check is not None:
        lines += [
            "# must print true (else: " + cluster_flags_message(cluster) + ")",
            shlex.join(check),
        ]
    for deployment in plan.deployments:
        template, parameters = template_files(plan_env, out, True, deployment)
        lines.append(az_command("what-if", plan, plan_env, out, deployment=deployment))
        if uses_stack(plan_env, deployment):
            lines += [
                "# what-if does not show what a deployment stack deletes: the resources listed here that "
                "the template no longer holds",
                shlex.join(stack_resources_command(plan_env, deployment)),
            ]
        lines += [
            shlex.join(apply_command(plan, plan_env, out, deployment)),
            "# Bicep instead of ARM JSON: the same commands with "
            f"--template-file {shlex.quote(template)} --parameters {shlex.quote(parameters)}",
        ]
    return lines
