"""Plan -> GitOps objects that deploy the Kustomize overlays: Flux Kustomizations and Argo CD Applications.

Written only when the spec has a `gitops:` block, under `gitops/` in OUT:

- `gitops/flux/<env>.yaml`: one Flux `Kustomization` per namespace folder of the overlay, reconciling
  `k8s/overlays/<env>/<ns>` from the GitRepository `gitops.fluxSourceName`, and, when it can be
  filled, the ConfigMap their post-build substitution reads.
- `gitops/argocd/<env>.yaml`: one Argo CD `Application` per namespace folder of the same overlay.
- `gitops/README.md`: how to apply them.

One object per namespace rather than one per environment: kustomize builds each namespace folder on
its own, so the build time of an environment grows linearly with its namespaces (one build of a
whole large overlay grows faster than linearly), a failing namespace does not hold the others back,
and each team's namespace reports its own health. `kubectl kustomize k8s/overlays/<env>` still
previews the whole environment.

Client IDs and the identities ConfigMap
---------------------------------------
A client ID that is not pinned in the spec (`environments.<env>.clientIds`) is only known once the
identities are deployed; until then the overlay carries the placeholder `${WLID_CLIENT_ID_<IDENTITY>}`.
For such an environment the Flux Kustomization substitutes the placeholders from the ConfigMap
`wlid-<env>-identities` in the Flux namespace, whose keys are the variable names (`WLID_CLIENT_ID_...`).
The reference is not optional: while the ConfigMap is missing, Flux stops with an error naming it
instead of deploying ServiceAccounts with an empty client ID.

The ConfigMap itself is rendered only when every placeholder of the environment has a known value:
pass `bound` (environment -> identity -> client ID, as read from the outputs of `az deployment group
show --name <deployment> --query properties.outputs`, e.g. with `wlid_render.workflow.outputs.read_outputs`).
Otherwise no ConfigMap is written and the Kustomization still refers to it: the team creates it after
the deployment (`kubectl create configmap wlid-<env>-identities -n <flux namespace> --from-literal
...`), or renders again with the outputs.

Argo CD
-------
Argo CD does not substitute variables: an overlay that still holds placeholders would deploy
ServiceAccounts whose client-id annotation is the literal `${WLID_CLIENT_ID_...}`, and token requests of
their pods would fail. While any client ID of an environment is a placeholder, its Applications have
no `syncPolicy.automated` (they sync only by hand) and say why in the annotation
`wlid.io/automated-sync`; those whose namespace uses a placeholder also list the variables in
`wlid.io/unresolved-client-ids`. Pin the client IDs (`wlid bind`) and render again to turn automated
sync on.

Substitution and immutable objects
----------------------------------
Flux substitutes every object of the folder it builds; the Kubernetes emitter marks every object but
the ServiceAccounts and SecretProviderClasses `kustomize.toolkit.fluxcd.io/substitute: disabled`, so
only the placeholders are filled, and marks bare Pods and Jobs for replacement by Flux and Argo CD (see
emit/k8s_objects.py).
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping
from typing import Any, Literal

from wlid_render.emit.artifact import Artifact, to_yaml_documents
from wlid_render.emit.k8s import overlay_namespaces
from wlid_render.formats import GUID
from wlid_render.plan.model import EnvironmentPlan, GitOpsPlan, Plan

Flavour = Literal["flux", "argocd", "both", "none"]

GITOPS_DIR = "gitops"
FLUX_KUSTOMIZATION_API = "kustomize.toolkit.fluxcd.io/v1"
ARGOCD_APPLICATION_API = "argoproj.io/v1alpha1"
ARGOCD_DIR = f"{GITOPS_DIR}/argocd"  # gitops/argocd/<env>.yaml
UNRESOLVED_ANNOTATION = "wlid.io/unresolved-client-ids"
AUTOMATED_SYNC_ANNOTATION = "wlid.io/automated-sync"
FLUX_TIMEOUT = "5m"

_GUID = GUID


def object_name(plan: Plan, env: EnvironmentPlan, namespace: str | None = None) -> str:
    """Name of the Flux Kustomization and of the Argo CD Application of one namespace folder of an
    environment's overlay (of the whole overlay when `namespace` is None)."""
    base = f"wlid-{plan.name}-{env.name}"
    return f"{base}-{namespace}" if namespace is not None else base


def identities_configmap_name(env: EnvironmentPlan) -> str:
    """Name of the ConfigMap that Flux post-build substitution reads for one environment."""
    return f"wlid-{env.name}-identities"


def variable_name(placeholder: str) -> str:
    """`${WLID_CLIENT_ID_X}` -> `WLID_CLIENT_ID_X`."""
    return placeholder[2:-1] if placeholder.startswith("${") and placeholder.endswith("}") else placeholder


def unresolved(env: EnvironmentPlan) -> list[tuple[str, str]]:
    """(identity, variable name) of every client ID of the environment that is still a placeholder."""
    return [(name, variable_name(value)) for name, value in env.client_ids if name not in env.pinned]


def overlay_path(gitops: GitOpsPlan, env: EnvironmentPlan, namespace: str | None = None) -> str:
    """The overlay folder (or one of its namespace folders) relative to the repository root, without a
    leading './'."""
    parts = (gitops.path.strip("/"), "k8s", "overlays", env.name, namespace or "")
    return "/".join(p for p in parts if p)


def units(env: EnvironmentPlan) -> list[tuple[str | None, list[tuple[str, str]]]]:
    """(namespace folder, its unresolved (identity, variable)) for each object that deploys the
    environment; the whole overlay (None) when it has no namespace folder."""
    missing = dict(unresolved(env))
    namespaces = overlay_namespaces(env)
    if not namespaces:
        return [(None, sorted(missing.items()))]
    used: dict[str, set[str]] = {}
    for account in env.service_accounts:
        used.setdefault(account.namespace, set()).add(account.identity)
    return [
        (ns, [(i, v) for i, v in missing.items() if i in used.get(ns, set())]) for ns in namespaces
    ]


def _labels(plan: Plan) -> dict[str, str]:
    return {"app.kubernetes.io/managed-by": "wlid", "app.kubernetes.io/part-of": plan.name}


def _bound_values(
    env: EnvironmentPlan, bound: Mapping[str, Mapping[str, str]] | None
) -> dict[str, str] | None:
    """variable name -> client ID for every placeholder of the environment, or None when one is unknown."""
    known = (bound or {}).get(env.name) or {}
    values: dict[str, str] = {}
    for identity, variable in unresolved(env):
        client_id = known.get(identity)
        if client_id is None:
            return None
        values[variable] = client_id.lower()
    return values


def _check_bound(plan: Plan, bound: Mapping[str, Mapping[str, str]] | None) -> None:
    names = [e.name for e in plan.environments]
    for env_name, ids in (bound or {}).items():
        if env_name not in names:
            raise ValueError(
                f"bound client IDs for unknown environment {env_name!r} (known: {', '.join(names)})"
            )
        for identity, client_id in ids.items():
            if not isinstance(client_id, str) or not _GUID.fullmatch(client_id):
                raise ValueError(
                    f"bound client ID of {identity!r} in {env_name!r} is not a GUID: {client_id!r}"
                )


def _flux_documents(plan: Plan, env: EnvironmentPlan, values: dict[str, str] | None) -> list[dict[str, Any]]:
    gitops = plan.gitops
    assert gitops is not None
    documents: list[dict[str, Any]] = []
    for namespace, missing in units(env):
        spec: dict[str, Any] = {
            "interval": gitops.interval,
            "path": f"./{overlay_path(gitops, env, namespace)}",
            "prune": True,
            "wait": True,
            "timeout": FLUX_TIMEOUT,
            "sourceRef": {"kind": "GitRepository", "name": gitops.flux_source_name},
        }
        if missing:
            spec["postBuild"] = {
                "substituteFrom": [{"kind": "ConfigMap", "name": identities_configmap_name(env)}]
            }
        metadata = {
            "name": object_name(plan, env, namespace),
            "namespace": gitops.flux_namespace,
            "labels": _labels(plan),
        }
        documents.append(
            {"apiVersion": FLUX_KUSTOMIZATION_API, "kind": "Kustomization", "metadata": metadata, "spec": spec}
        )
    if unresolved(env) and values is not None:
        documents.append(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {
                    "name": identities_configmap_name(env),
                    "namespace": gitops.flux_namespace,
                    "labels": _labels(plan),
                },
                "data": values,
            }
        )
    return documents


def manual_sync_reason(env: EnvironmentPlan) -> str | None:
    """Why the Applications of an environment do not sync automatically; None when they do."""
    variables = [variable for _, variable in unresolved(env)]
    if not variables:
        return None
    return (
        f"off until every client ID of environment {env.name} is pinned ({', '.join(variables)}): "
        "Argo CD does not substitute placeholders; pin them (wlid bind) and render again"
    )


def _argocd_applications(plan: Plan, env: EnvironmentPlan) -> list[dict[str, Any]]:
    gitops = plan.gitops
    assert gitops is not None
    applications = []
    manual = manual_sync_reason(env)
    for namespace, missing in units(env):
        metadata: dict[str, Any] = {
            "name": object_name(plan, env, namespace),
            "namespace": gitops.argocd_namespace,
            "labels": _labels(plan),
        }
        annotations = {}
        if missing:
            annotations[UNRESOLVED_ANNOTATION] = ",".join(variable for _, variable in missing)
        if manual:
            annotations[AUTOMATED_SYNC_ANNOTATION] = manual
        if annotations:
            metadata["annotations"] = annotations
        spec: dict[str, Any] = {
            "project": gitops.argocd_project,
            "source": {
                "repoURL": gitops.repo_url,
                "targetRevision": gitops.branch,
                "path": overlay_path(gitops, env, namespace),
            },
            "destination": {"server": gitops.destination_server},
        }
        if not manual:
            spec["syncPolicy"] = {"automated": {"prune": True, "selfHeal": True}}
        applications.append(
            {"apiVersion": ARGOCD_APPLICATION_API, "kind": "Application", "metadata": metadata, "spec": spec}
        )
    return applications


def _readme(plan: Plan, flavour: Flavour, configmaps: dict[str, bool]) -> str:
    gitops = plan.gitops
    assert gitops is not None
    out_dir = gitops.path.strip("/")
    where = f"`{out_dir}/`" if out_dir else "the repository root"
    lines = [
        f"# {plan.name}: GitOps objects",
        "",
        "Generated by `wlid render` from the `gitops:` block of the spec; do not edit by hand.",
        "They deploy the Kustomize overlays `k8s/overlays/<env>`, one object per namespace folder",
        f"`k8s/overlays/<env>/<ns>`, of this tree, which lives at {where} of",
        f"`{gitops.repo_url}` (branch `{gitops.branch}`).",
        "",
        "Every environment normally has its own cluster, and the overlays create mostly the same namespaces",
        "and ServiceAccounts: give each cluster only the objects of its own environment.",
        "",
    ]
    if flavour in ("flux", "both"):
        lines += [
            "## Flux",
            "",
            f"`gitops/flux/<env>.yaml` holds one Flux `Kustomization` per namespace in `{gitops.flux_namespace}`",
            f"that reconciles `k8s/overlays/<env>/<ns>` from the GitRepository `{gitops.flux_source_name}`",
            f"every {gitops.interval} (prune and wait on). The GitRepository must point at the",
            "repository above.",
            "",
            "- Commit, and let the cluster's `flux-system` Kustomization pick the file up from",
            "  `gitops/flux/` (for example from the folder it reconciles for that cluster). A Kustomization",
            "  whose path is the whole `gitops/flux/` folder applies every environment to one cluster.",
            "- Or apply it once by hand on the environment's cluster:",
            "",
            "```sh",
            *(f"kubectl apply -f gitops/flux/{env.name}.yaml" for env in plan.environments),
            "```",
            "",
            "Do not point a Flux Kustomization at the rendered tree itself: it would apply the base and",
            "every overlay at once.",
            "",
        ]
        lines += _flux_client_ids(plan, configmaps)
    if flavour in ("argocd", "both"):
        lines += [
            "## Argo CD",
            "",
            f"`gitops/argocd/<env>.yaml` holds one Argo CD `Application` per namespace (project `{gitops.argocd_project}`,",
            f"destination `{gitops.destination_server}`) with automated sync, prune and self-heal once every",
            "client ID of the environment is pinned. Apply it in the namespace of Argo CD:",
            "",
            "```sh",
            *(
                f"kubectl apply -n {gitops.argocd_namespace} -f gitops/argocd/{env.name}.yaml"
                for env in plan.environments
            ),
            "```",
            "",
            "The spec has one destination for all environments. With an Argo CD in every cluster (the",
            "default destination `https://kubernetes.default.svc`), apply in each cluster only the",
            "Application of its environment.",
            "",
            "**Client IDs must be pinned or bound for Argo CD.** Argo CD does not substitute the",
            "`${WLID_CLIENT_ID_...}` placeholders of the overlays: the ServiceAccounts would carry them",
            "literally and token requests would fail. Client IDs bound from the deployment outputs fill",
            "only the Flux ConfigMap; for Argo CD write them under `environments.<env>.clientIds` in the",
            "spec (`wlid bind`) and render again. While an environment has placeholders its Applications",
            f"do not sync automatically (no `syncPolicy.automated`; the annotation `{AUTOMATED_SYNC_ANNOTATION}`",
            f"says why) and those of namespaces that use them list them in `{UNRESOLVED_ANNOTATION}`.",
            "",
        ]
        pending = [(env, unresolved(env)) for env in plan.environments if unresolved(env)]
        if pending:
            lines += [
                "Still to pin before Argo CD syncs (automated sync is off there until then):",
                "",
                *(f"- `{env.name}`: {', '.join(f'`{v}`' for _, v in missing)}" for env, missing in pending),
                "",
            ]
    return "\n".join(lines).rstrip("\n") + "\n"


def _flux_client_ids(plan: Plan, configmaps: dict[str, bool]) -> list[str]:
    gitops = plan.gitops
    assert gitops is not None
    lines = ["### Client IDs", ""]
    pending = [env for env in plan.environments if unresolved(env)]
    if not pending:
        return [*lines, "Every client ID is pinned in the spec: no substitution is needed.", ""]
    lines += [
        "Client IDs that are not pinned in the spec are placeholders in the overlays. For those",
        "environments the Kustomization substitutes them from the ConfigMap `wlid-<env>-identities`",
        f"in `{gitops.flux_namespace}` (not optional: while it is missing Flux reports an error and",
        "deploys nothing).",
        "",
    ]
    for env in pending:
        name = identities_configmap_name(env)
        variables = [v for _, v in unresolved(env)]
        if configmaps.get(env.name):
            lines += [f"- `{env.name}`: `{name}` is rendered in `gitops/flux/{env.name}.yaml`.", ""]
            continue
        target = ["--subscription", env.subscription_id, "--resource-group", env.resource_group]
        deployment_of = {i.name: d.name for d in plan.deployments for i in d.identities}
        literals = [
            f'  --from-literal={v}="$(az deployment group show {shlex.join([*target, "--name", deployment_of[i]])}'
            f' --query {shlex.quote(f"properties.outputs.identities.value.{json.dumps(i)}.clientId")} -o tsv)"'
            for i, v in unresolved(env)
        ]
        lines += [
            f"- `{env.name}`: create `{name}` after deploying the identities (keys: "
            f"{', '.join(f'`{v}`' for v in variables)}), with the environment's cluster as kubectl context:",
            "",
            "  ```sh",
            f"  kubectl create configmap {name} -n {gitops.flux_namespace} \\",
            *(f"  {line} \\" for line in literals[:-1]),
            f"  {literals[-1]}",
            "  ```",
            "",
            "  or render again with the deployment outputs, which writes the ConfigMap here.",
            "",
        ]
    return lines


def emit_gitops(
    plan: Plan,
    flavour: Flavour = "both",
    bound: Mapping[str, Mapping[str, str]] | None = None,
) -> list[Artifact]:
    """The GitOps files of a plan, sorted by path; none without a `gitops:` block or with flavour "none".

    `bound` maps environment -> identity -> client ID (e.g. `read_outputs` of each environment); an
    environment whose placeholders are all bound gets its ConfigMap. Pinned client IDs win over bound
    ones. Raises ValueError for a bound environment the plan does not have or a value that is no GUID.
    """
    if flavour not in ("flux", "argocd", "both", "none"):
        raise ValueError(f"unknown GitOps flavour {flavour!r} (flux, argocd, both or none)")
    if plan.gitops is None or flavour == "none":
        return []
    _check_bound(plan, bound)
    artifacts: list[Artifact] = []
    configmaps: dict[str, bool] = {}
    for env in plan.environments:
        if flavour in ("flux", "both"):
            values = _bound_values(env, bound)
            configmaps[env.name] = bool(unresolved(env)) and values is not None
            documents = _flux_documents(plan, env, values)
            artifacts.append(Artifact(f"{GITOPS_DIR}/flux/{env.name}.yaml", to_yaml_documents(documents)))
        if flavour in ("argocd", "both"):
            applications = _argocd_applications(plan, env)
            artifacts.append(Artifact(f"{ARGOCD_DIR}/{env.name}.yaml", to_yaml_documents(applications)))
    artifacts.append(Artifact(f"{GITOPS_DIR}/README.md", _readme(plan, flavour, configmaps)))
    return sorted(artifacts)
