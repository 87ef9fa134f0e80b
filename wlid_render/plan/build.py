"""Spec -> Plan: resolve defaults and references, check the rules that span entries. Pure.

build_plan plans each environment with the steps of plan/steps (environment -> ServiceAccounts ->
identities -> role assignments -> workloads), checking the spec-wide rules between them once for
each distinct part of the spec; then it checks what spans environments (identities they share,
required keys), merges the environments into one template (plan/merge.py) and cuts it into
deployments (plan/deployments.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TypeVar

from wlid_render.errors import Problem, SpecError
from wlid_render.formats import DEFAULT_ENVIRONMENT
from wlid_render.plan.deployments import plan_deployments
from wlid_render.plan.directives import directive_keys
from wlid_render.plan.merge import EnvView, merge
from wlid_render.plan.model import GitOpsPlan, IdentityPlan, Plan, ServiceAccountPlan, WorkloadPlan
from wlid_render.plan.sharing import shared_identities
from wlid_render.plan.spec_checks import (
    duplicate_identities,
    duplicate_service_accounts,
    identity_names,
    missing_keys,
    placeholder_collisions,
    service_account_names,
    undeclared_output_environments,
    unknown_warning_codes,
)
from wlid_render.plan.steps.environment import environment_parameters, plan_environment
from wlid_render.plan.steps.identities import plan_identities
from wlid_render.plan.steps.key_vaults import check_key_vaults, differing_component_mounts
from wlid_render.plan.steps.scope import Scope, Shared
from wlid_render.plan.steps.service_accounts import plan_service_accounts
from wlid_render.plan.steps.workloads import plan_workloads
from wlid_render.spec.models import Spec
from wlid_render.warning_codes import without_ignored

MAX_PARAMETERS = 256
T = TypeVar("T")


def build_plan(
    specs: Spec | Mapping[str, Spec], bound: Mapping[str, Mapping[str, str]] | None = None
) -> Plan:
    """Resolve the per-environment specs into one plan. Raises SpecError with every problem found.

    `specs` maps each environment to its spec with `${env}`/`${vars.*}` resolved (see
    `spec.parse.parse_environments`); a single Spec stands for all its environments as written.
    `bound` holds client IDs read from deployment outputs (env -> identity -> client ID); they take
    precedence over `clientIds` pinned in the spec, which take precedence over Flux placeholders.
    """
    bound = bound or {}
    if isinstance(specs, Spec):
        specs = {env: specs for env in (sorted(specs.environments) or [DEFAULT_ENVIRONMENT])}
    first = specs[min(specs)]
    declared = frozenset(first.environments or (DEFAULT_ENVIRONMENT,))
    shared = Shared()
    errors: list[Problem] = directive_keys(first)  # keys are the same in every environment
    warnings: list[Problem] = []
    views: dict[str, EnvView] = {}
    lacking: dict[str, list[str]] = {}  # required key -> the environments that get it nowhere
    for env in sorted(specs):
        scope = Scope(specs[env], env, declared, shared)
        views[env], missing = _plan_environment(scope, bound.get(env, {}))
        errors += scope.errors
        warnings += scope.warnings
        for key in missing:
            lacking.setdefault(key, []).append(env)
    shared_errors, shared_warnings = shared_identities(specs, views)
    errors += shared_errors
    warnings += shared_warnings
    errors += undeclared_output_environments(bound, specs)
    errors += missing_keys(first, lacking, len(specs))
    errors += unknown_warning_codes(first)
    if errors:
        raise SpecError(list(dict.fromkeys(errors)))
    if first.gitops is None:
        warnings.append(
            Problem(
                "no gitops: block, so no Flux or Argo CD objects are rendered",
                hint="add gitops: {repoURL: <the Git repository OUT is committed to>} to get them under "
                "OUT/gitops",
                severity="warning",
                code="W006",
            )
        )
    return _plan(first, views, warnings)


def _plan_environment(scope: Scope, bound: Mapping[str, str]) -> tuple[EnvView, list[str]]:
    """One environment through the steps, and the required keys it gets nowhere."""
    spec = scope.spec
    environment, missing = plan_environment(scope, bound)
    names = identity_names(spec)
    scope.check_once("placeholders", names, placeholder_collisions)
    scope.check_once("duplicate service accounts", service_account_names(spec), duplicate_service_accounts)
    accounts = plan_service_accounts(scope)
    scope.check_once("duplicate identities", names, duplicate_identities)
    identities = plan_identities(scope, accounts, environment.clusters)
    workloads = _binding_workloads(plan_workloads(scope), identities, accounts)
    check_key_vaults(scope, environment, identities, accounts, workloads)
    used = {a.namespace for _, a in accounts} | {w.namespace for w in workloads}
    environment = environment._replace(
        namespaces=tuple(sorted(n for n in used if n != "default" and not n.startswith("kube-"))),
        service_accounts=tuple(a for _, a in accounts),
        workloads=tuple(workloads),
    )
    return EnvView(environment, identities, accounts), missing


def _binding_workloads(
    workloads: list[WorkloadPlan],
    identities: list[tuple[int, IdentityPlan]],
    accounts: list[tuple[int, ServiceAccountPlan]],
) -> list[WorkloadPlan]:
    """Mark the workloads whose ServiceAccount's identity uses identity bindings."""
    binding = {i.name for _, i in identities if i.federation == "identityBinding"}
    if not binding:
        return workloads
    of = {(a.namespace, a.name): a.identity for _, a in accounts}
    return [
        w._replace(identity_binding=True)
        if w.workload_identity and of.get((w.namespace, w.service_account)) in binding
        else w
        for w in workloads
    ]


def _plan(first: Spec, views: dict[str, EnvView], warnings: list[Problem]) -> Plan:
    """The environments merged into one template, its parameters and deployments. Raises SpecError."""
    name = first.metadata.name
    merged = merge(name, views)
    envs = [v.environment for v in views.values()]
    problems = merged.problems + differing_component_mounts(envs)
    if problems:
        raise SpecError(list(dict.fromkeys(problems)))
    params, enables, pins = environment_parameters(envs)
    params += merged.parameters
    if len(params) > MAX_PARAMETERS:
        raise SpecError(
            [
                Problem(
                    f"{len(params)} template parameters; ARM allows {MAX_PARAMETERS}",
                    ("environments",),
                    hint="fewer values that differ between environments, or split the spec",
                )
            ]
        )
    identities = tuple(merged.identities)
    parameters = tuple(params)
    return Plan(
        name=name,
        environments=tuple(envs),
        parameters=parameters,
        identities=identities,
        namespaces=_union(e.namespaces for e in envs),
        service_accounts=_union(e.service_accounts for e in envs),
        workloads=_union(e.workloads for e in envs),
        enables_workload_identity=enables,
        pins_issuer=pins,
        deployments=plan_deployments(name, identities, parameters, enables),
        warnings=without_ignored(dict.fromkeys(warnings), first.metadata.ignoreWarnings),
        gitops=_gitops(first),
        pipelines_install=first.pipelines.install,
        clusters=tuple(merged.clusters),
    )


def _union(groups: Iterable[tuple[T, ...]]) -> tuple[T, ...]:
    """Items of all environments, first appearance first (for summaries; emitters use each env's)."""
    return tuple(dict.fromkeys(item for group in groups for item in group))


def _folder(path: str) -> str:
    """A folder of the repository without leading or trailing '/' or './'; "" for the root."""
    parts = [p for p in path.split("/") if p not in ("", ".")]
    return "/".join(parts)


def _gitops(spec: Spec) -> GitOpsPlan | None:
    g = spec.gitops
    if g is None:
        return None
    return GitOpsPlan(
        repo_url=g.repoURL,
        branch=g.branch,
        path=None if g.path is None else _folder(g.path),
        interval=g.interval,
        flux_namespace=g.fluxNamespace,
        flux_source_name=g.fluxSourceName,
        argocd_namespace=g.argocdNamespace,
        argocd_project=g.argocdProject,
        destination_server=g.destinationServer,
    )
