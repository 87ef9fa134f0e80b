"""Plan -> OUT/README.md: what was rendered and how to apply it.

Every command is written to run from the root of the repository that holds OUT (`RepoPaths`), with each
word shell-quoted as in the pipelines, and uses the same command builders as `wlid whatif` and the
pipelines (views/az.py): the cluster flags check, what-if, the apply command of the environment's
`azure.deploy` mode, and after the first deployment `wlid bind` for the client IDs.
"""

from __future__ import annotations

import shlex

from wlid_render.emit.arm_template import BINDING_TYPE
from wlid_render.emit.artifact import Artifact
from wlid_render.emit.gitops import ARGOCD_DIR, manual_sync_reason
from wlid_render.emit.keyvault_readme import keyvault_section
from wlid_render.kubernetes_keys import (
    IDENTITY_BINDING_API_GROUP,
    IDENTITY_BINDING_VERB,
    USE_IDENTITY_BINDING,
)
from wlid_render.plan.cluster import cluster_step
from wlid_render.plan.model import ClusterPlan, EnvironmentPlan, Plan
from wlid_render.repo_paths import RepoPaths
from wlid_render.views.az import (
    apply_command,
    cluster_flags_check,
    cluster_flags_fix,
    deployment_arguments,
    stack_resources_command,
    target_arguments,
    uses_stack,
)
from wlid_render.views.explain import environment_views
from wlid_render.views.mermaid import (
    MERMAID_MAX_EDGES,
    MERMAID_MAX_TEXT,
    explain_mermaid,
    graph_edges,
    mermaid_fits,
)


def _sh(words: list[str]) -> str:
    return shlex.join(words)


def _commands(plan: Plan, env: EnvironmentPlan, out: str) -> list[str]:
    """The az commands of one environment: the cluster flags check, then per top-level deployment
    (`main` first) what-if and the apply command."""
    lines = ["```sh"]
    cluster = cluster_step(env)
    check = cluster_flags_check(cluster)
    if check is not None:
        lines += [
            "# the cluster's OIDC issuer and workload identity must be on: this prints true",
            _sh(check),
            f"# if not, once (enabling the OIDC issuer restarts the API server): {cluster_flags_fix(cluster)}",
        ]
    for deployment in plan.deployments:
        arguments = deployment_arguments(plan, env, out, deployment=deployment)
        lines.append(_sh(["az", "deployment", "group", "what-if", *arguments]))
        if uses_stack(env, deployment):
            lines += [
                "# what-if does not show what a stack deletes: what it manages now that the template no longer holds",
                _sh(stack_resources_command(env, deployment)),
            ]
        lines.append(_sh(apply_command(plan, env, out, deployment)))
    lines += ["```", ""]
    groups = plan.deployments[1:]
    if groups:
        lines += [
            f"The identities are split into {len(groups)} deployments (`azure/identities-NNN.json`) so that "
            "each template stays within ARM's limits; deploy `main` first, then each group.",
            "",
        ]
        bicep = (
            f"`--template-file {out}/azure/<name>.bicep --parameters "
            f"{out}/azure/params/{env.name}.<name>.bicepparam` (for main: `{out}/azure/main.bicep` and "
            f"`{out}/azure/params/{env.name}.bicepparam`)."
        )
    else:
        bicep = (
            f"`--template-file {out}/azure/main.bicep --parameters {out}/azure/params/{env.name}.bicepparam`."
        )
    return [*lines, f"With Bicep instead: {bicep}", "", WHATIF_BLIND_SPOT, ""]


# what-if evaluates nested deployments only as far as it can resolve their parameters before running
# them (docs/azure-resources.md, "What-if and nested deployments")
WHATIF_BLIND_SPOT = (
    "What-if may not resolve what the deployment reads at run time (the credentials' issuer, unless "
    "pinned with `cluster.oidcIssuerUrl`; the principal of a new identity; the opt-in cluster step): such "
    "nested deployments can show placeholder values, changes on every run, or be skipped "
    "(NestedDeploymentShortCircuited) with older CLI versions."
)


def deploy_mode_text(env: EnvironmentPlan) -> str:
    """What the environment's `azure.deploy` mode leaves behind when something leaves the spec."""
    if env.deploy == "stack":
        return (
            "Deployed as a deployment stack (`azure.deploy: stack`): an identity, federated credential or "
            "role assignment removed from the spec is deleted from Azure by the next deployment."
        )
    return (
        "Deployed as a plain incremental deployment (`azure.deploy: group`): an identity, federated "
        "credential or role assignment removed from the spec stays in Azure until it is deleted by hand "
        "(`wlid drift` lists it); `azure.deploy: stack` deletes it instead."
    )


def _bind(plan: Plan, env: EnvironmentPlan, repo: RepoPaths) -> list[str]:
    """After the first deployment: save the outputs, pin the client IDs into the spec, render again."""
    files = []
    lines = ["```sh"]
    for deployment in (d for d in plan.deployments if d.outputs_identities):
        middle = "" if deployment.stem == "main" else f".{deployment.stem}"
        file = f"outputs-{env.name}{middle}.json"
        files.append(file)
        target = target_arguments(env, deployment)
        if uses_stack(env, deployment):
            show = ["az", "stack", "group", "show", *target, "--query", "outputs"]
        else:
            show = ["az", "deployment", "group", "show", *target, "--query", "properties.outputs"]
        lines.append(f"{_sh(show)} > {shlex.quote(file)}")
    lines += [
        _sh(["wlid", "bind", "--spec", repo.spec, "--env", env.name, *files]),
        _sh(["wlid", "render", repo.spec, "-o", repo.out]),
        "```",
        "",
    ]
    return lines


def _bindings_section(plan: Plan) -> list[str]:
    """Prerequisites and checks of AKS identity bindings, when an identity uses them."""
    names = [f"`{i.name}`" for i in plan.identities if i.bindings]
    if not names:
        return []
    checks = []
    for env in plan.environments:
        clusters = env.clusters or (
            ClusterPlan(env.cluster_name, env.cluster_resource_group, env.cluster_subscription_id),
        )
        for c in clusters:
            words = ["az", "aks", "identity-binding", "list", "--subscription", c.subscription_id]
            checks.append(_sh([*words, "--resource-group", c.resource_group, "--cluster-name", c.name]))
    return [
        "## Identity bindings",
        "",
        f"{', '.join(names)} use{'s' if len(names) == 1 else ''} AKS identity bindings (`federation: identityBinding`): one "
        f"`{BINDING_TYPE}` (API {plan.identity_binding_api}) per cluster, deployed "
        "in the cluster's resource group; AKS then creates the identity's one federated credential "
        "`aks-identity-binding` itself (wlid never writes or deletes it). Each overlay holds a ClusterRole "
        f"(`{IDENTITY_BINDING_API_GROUP}`, `{IDENTITY_BINDING_VERB}` on the client ID) and a ClusterRoleBinding per "
        f'namespace, and the pods carry `{USE_IDENTITY_BINDING}: "true"`.',
        "",
        "Prerequisites:",
        "",
        "- clusters with identity bindings available (stable API 2026-04-01) and the OIDC issuer and workload "
        "identity on; the AKS-managed workload identity webhook (a self-installed azure-workload-identity "
        "webhook must know the `use-identity-binding` annotation);",
        "- applications whose Azure SDK uses the AKS token proxy (opt-in, e.g. azure-identity for Python "
        ">= 1.26.0b1 with `use_token_proxy=True`);",
        "- no API server VNet integration on those clusters (not supported with identity bindings).",
        "",
        "After the deployment, check the bindings of each cluster:",
        "",
        "```sh",
        *dict.fromkeys(checks),
        "```",
        "",
    ]


def _environment_section(plan: Plan, env: EnvironmentPlan, repo: RepoPaths, argocd: bool) -> list[str]:
    clusters = (
        f"clusters {', '.join(f'`{c.name}` in `{c.resource_group}`' for c in env.clusters)}"
        if env.clusters
        else f"cluster `{env.cluster_name}` in `{env.cluster_resource_group}`"
    )
    lines = [
        f"### {env.name}",
        "",
        f"Identities in resource group `{env.resource_group}` ({env.location}), subscription "
        f"`{env.subscription_id}`; {clusters}.",
        deploy_mode_text(env),
        "",
        *_commands(plan, env, repo.out),
    ]
    missing = [(name, value) for name, value in env.client_ids if name not in env.pinned]
    if missing:
        lines += [
            "Client IDs are not pinned in the spec yet; the overlay carries placeholders:",
            "",
            *(f"- `{value}`: client ID of `{name}`" for name, value in missing),
            "",
            "After the first deployment, pin them with `wlid bind` (it edits only those lines of the spec) "
            "and render again:",
            "",
            *_bind(plan, env, repo),
        ]
    overlay = f"{repo.out}/k8s/overlays/{env.name}"
    lines += [
        f"Kubernetes: point Flux (`spec.path`) or Argo CD (`spec.source.path`) at `{overlay}`, "
        f"or preview with `{_sh(['kubectl', 'kustomize', overlay])}`.",
        "",
    ]
    manual = manual_sync_reason(env) if argocd else None
    if manual is not None:
        lines += [f"Argo CD automated sync of `gitops/argocd/{env.name}.yaml` is {manual}.", ""]
    return lines


def _graphs(plan: Plan, spec: str) -> list[str]:
    """Per environment, the graph of `wlid explain --format mermaid` (GitHub shows it as a picture)."""
    several = len(plan.environments) > 1
    lines = [
        "Issuer -> federated credential -> identity -> role -> scope, and ServiceAccount -> workloads "
        f"(`wlid explain {shlex.quote(spec)}{' --env ENV' if several else ''}` prints the same as text):",
        "",
    ]
    for env in plan.environments:
        if several:
            lines += [f"**{env.name}**", ""]
        # Each workload is an edge: a graph of thousands of them is neither resolved nor drawn only to
        # be dropped.
        edges = len(env.workloads)
        graph = ""
        if edges <= MERMAID_MAX_EDGES:
            view = environment_views(plan, env.name, ())[0]  # the graph shows no warnings
            edges = graph_edges(view)
            graph = explain_mermaid([view]) if edges <= MERMAID_MAX_EDGES else ""
        if graph and mermaid_fits(graph):
            lines += ["```mermaid", *graph.splitlines(), "```", ""]
        else:
            lines += [
                f"The graph of {env.name} is too large to draw (at least {edges:,} edges; Mermaid draws at "
                f"most {MERMAID_MAX_EDGES:,} edges and {MERMAID_MAX_TEXT:,} characters); "
                f"`wlid explain {shlex.quote(spec)} --env {env.name}` prints it as text.",
                "",
            ]
    return lines


def emit_readme(plan: Plan, paths: list[str], repo: RepoPaths | None = None) -> Artifact:
    """OUT/README.md; `repo` names OUT and the spec as the repository sees them (the commands run from
    its root). Default: `out/<name>` and `wlid.yaml`."""
    repo = repo or RepoPaths(f"out/{plan.name}")
    argocd = any(p.startswith(f"{ARGOCD_DIR}/") for p in paths)  # Argo CD Applications are rendered
    lines = [
        f"# {plan.name}: Azure Workload Identity for AKS",
        "",
        "Generated by `wlid render` from the spec; do not edit by hand: change the spec and render again",
        "(`wlid render --check` fails when these files are stale).",
        "",
        "## What is here",
        "",
        "| identity | federated credentials (subject) | roles |",
        "|---|---|---|",
    ]
    for identity in plan.identities:
        subjects = "<br>".join(f"`{c.name}`: `{c.subject}`" for c in identity.credentials) or (
            "none: AKS identity bindings (see below)" if identity.bindings else "none"
        )
        roles = "<br>".join(
            f"{a.role_name} on {a.target.label}" for d in identity.role_deployments for a in d.assignments
        )
        lines.append(f"| `{identity.name}` | {subjects} | {roles or 'none'} |")
    lines += ["", *_bindings_section(plan), *_graphs(plan, repo.spec)]
    lines += keyvault_section(plan)
    lines += ["Files:", "", *(f"- `{p}`" for p in sorted([*paths, "README.md"])), ""]
    lines += [
        "## Apply",
        "",
        f"Run the commands from the root of the repository (the spec is `{repo.spec}`, this tree "
        f"`{repo.out}`).",
        "",
    ]
    for env in plan.environments:
        lines += _environment_section(plan, env, repo, argocd)
    return Artifact("README.md", "\n".join(lines).rstrip("\n") + "\n")
