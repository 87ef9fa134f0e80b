"""Plan -> OUT/README.md: what was rendered and how to apply it."""

from __future__ import annotations

from wlid_render.emit.artifact import Artifact
from wlid_render.explain import (
    MERMAID_MAX_EDGES,
    MERMAID_MAX_TEXT,
    environment_views,
    explain_mermaid,
    graph_edges,
    mermaid_fits,
)
from wlid_render.plan.model import EnvironmentPlan, Plan


def _commands(plan: Plan, env: EnvironmentPlan, target: str) -> list[str]:
    """The az commands of one environment: `main`, then each identity group of a large spec."""
    main, *groups = plan.deployments
    lines = [
        "```sh",
        f"az deployment group what-if {target} \\",
        "  --template-file azure/main.json \\",
        f"  --parameters azure/params/{env.name}.parameters.json",
        f"az deployment group create {target} --name {main.name} \\",
        "  --template-file azure/main.json \\",
        f"  --parameters azure/params/{env.name}.parameters.json",
    ]
    if groups:
        lines += [
            f"for group in {' '.join(g.stem for g in groups)}; do",
            f'  az deployment group create {target} --name "{main.name}.$group" \\',
            '    --template-file "azure/$group.json" \\',
            f'    --parameters "azure/params/{env.name}.$group.parameters.json"',
            "done",
        ]
    lines += ["```", ""]
    if groups:
        lines += [
            f"The identities are split into {len(groups)} deployments (`azure/identities-NNN.json`) so that "
            "each template stays within ARM's limits; deploy `main` first (it turns on the cluster's OIDC "
            "issuer), preview each group with `what-if` the same way.",
            "",
        ]
        bicep = (
            "`--template-file azure/<name>.bicep --parameters "
            f"azure/params/{env.name}.<name>.bicepparam` (for main: `azure/main.bicep` and "
            f"`azure/params/{env.name}.bicepparam`)."
        )
    else:
        bicep = f"`--template-file azure/main.bicep --parameters azure/params/{env.name}.bicepparam`."
    return [*lines, f"With Bicep instead: {bicep}", ""]


def _read_outputs(plan: Plan, target: str) -> list[str]:
    query = "--query properties.outputs.identities.value"
    groups = [d for d in plan.deployments if d.outputs_identities]
    if len(groups) == 1:
        return [
            "Read them after the deployment with",
            f"`az deployment group show {target} --name {groups[0].name} {query}`",
        ]
    return [
        "Read them after the deployments, from each identity group, with",
        f"`az deployment group show {target} --name {plan.deployment_name}.<group> {query}`",
    ]


def _environment_section(plan: Plan, env: EnvironmentPlan) -> list[str]:
    target = f"--subscription {env.subscription_id} --resource-group {env.resource_group}"
    lines = [
        f"### {env.name}",
        "",
        f"Identities in resource group `{env.resource_group}` ({env.location}), subscription "
        f"`{env.subscription_id}`; cluster `{env.cluster_name}` in `{env.cluster_resource_group}`.",
        "",
        *_commands(plan, env, target),
    ]
    missing = [(name, value) for name, value in env.client_ids if name not in env.pinned]
    if missing:
        lines += [
            "Client IDs not pinned in the spec; the overlay carries Flux post-build placeholders:",
            "",
            *(f"- `{value}`: client ID of `{name}`" for name, value in missing),
            "",
            *_read_outputs(plan, target),
            f"and pin them under `environments.{env.name}.clientIds` in the spec (or let Flux substitute them).",
            "",
        ]
    lines += [
        f"Kubernetes: point Flux (`spec.path`) or Argo CD (`spec.source.path`) at `k8s/overlays/{env.name}`, "
        f"or preview with `kubectl kustomize k8s/overlays/{env.name}`.",
        "",
    ]
    return lines


def _graphs(plan: Plan) -> list[str]:
    """Per environment, the graph of `wlid explain --format mermaid` (GitHub shows it as a picture)."""
    several = len(plan.environments) > 1
    lines = [
        "Issuer -> federated credential -> identity -> role -> scope, and ServiceAccount -> workloads "
        f"(`wlid explain SPEC{' --env ENV' if several else ''}` prints the same as text):",
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
                f"`wlid explain SPEC --env {env.name}` prints it as text.",
                "",
            ]
    return lines


def emit_readme(plan: Plan, paths: list[str]) -> Artifact:
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
        subjects = "<br>".join(f"`{c.name}`: `{c.subject}`" for c in identity.credentials) or "none"
        roles = "<br>".join(
            f"{a.role_name} on {a.target.label}" for d in identity.role_deployments for a in d.assignments
        )
        lines.append(f"| `{identity.name}` | {subjects} | {roles or 'none'} |")
    lines += ["", *_graphs(plan)]
    lines += ["Files:", "", *(f"- `{p}`" for p in sorted([*paths, "README.md"])), ""]
    lines += ["## Apply", ""]
    for env in plan.environments:
        lines += _environment_section(plan, env)
    return Artifact("README.md", "\n".join(lines).rstrip("\n") + "\n")
