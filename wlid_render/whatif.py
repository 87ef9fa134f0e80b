"""The `az deployment group` commands that preview and apply one environment. Pure: nothing is printed.

The commands deploy `azure/main.json` with `azure/params/<env>.parameters.json` into the environment's
subscription and resource group under the deployment name `Plan.deployment_name`, the name the README
and the outputs query (`az deployment group show --name ...`) use. A large spec has more top-level
deployments (`Plan.deployments`: `main`, then `identities-NNN` groups), each with its own template,
parameters files and name; `main` goes first. Every value is shell-quoted.
"""

from __future__ import annotations

import os
import shlex
from typing import Literal

from wlid_render.plan.model import AzureDeployment, EnvironmentPlan, Plan

Verb = Literal["what-if", "create"]


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
    return out_path(out, deployment.template_path(bicep)), out_path(out, deployment.parameters_path(env.name, bicep))


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
    return [
        "--name",
        deployment.name,
        "--subscription",
        env.subscription_id,
        "--resource-group",
        env.resource_group,
        "--template-file",
        template,
        "--parameters",
        parameters,
    ]


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


def whatif_commands(plan: Plan, env: str, out: str | os.PathLike[str]) -> list[str]:
    """The shell lines that preview (what-if) and then deploy (create) environment `env` from OUT.

    Per top-level deployment (`main` first), two commands with the ARM JSON template and its
    parameters file, then one comment line (starting with `#`) with the Bicep files to use instead.
    Raises KeyError for an unknown environment.
    """
    plan_env = environment(plan, env)
    lines = []
    for deployment in plan.deployments:
        template, parameters = template_files(plan_env, out, True, deployment)
        lines += [
            az_command("what-if", plan, plan_env, out, deployment=deployment),
            az_command("create", plan, plan_env, out, deployment=deployment),
            "# Bicep instead of ARM JSON: the same two commands with "
            f"--template-file {shlex.quote(template)} --parameters {shlex.quote(parameters)}",
        ]
    return lines
