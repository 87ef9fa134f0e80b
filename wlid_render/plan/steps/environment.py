"""Step 1, the environment: its Azure and cluster settings, its client IDs, and the template's parameters.

An environment's `azure` and `cluster` blocks override the top-level ones key by key. Each identity's
client ID is read from the deployment's outputs, else pinned in `environments.<env>.clientIds`, else
the Flux placeholder that post-build substitution fills (W001 says which environments carry them).
"""

from __future__ import annotations

from collections.abc import Mapping

from wlid_render.errors import Path
from wlid_render.formats import regions_without_fic
from wlid_render.plan.model import ClusterPlan, EnvironmentPlan, Parameter
from wlid_render.plan.names import placeholder_for
from wlid_render.plan.steps.scope import Scope
from wlid_render.spec.models import REQUIRED_IN_EVERY_ENVIRONMENT, Azure, Cluster, Environment
from wlid_render.suggest import did_you_mean

LISTED = 5  # names a message lists before "and N more"


def plan_environment(scope: Scope, bound: Mapping[str, str]) -> tuple[EnvironmentPlan, list[str]]:
    """The environment's settings and client IDs, and the required keys (`azure.location`) it gets
    nowhere. `bound`: identity -> client ID read from the deployment's outputs."""
    spec = scope.spec
    env = spec.environments[scope.env] if spec.environments else None
    azure = spec.azure.model_copy(update=env.azure.model_dump(exclude_none=True) if env else {})
    cluster = spec.cluster.model_copy(update=env.cluster.model_dump(exclude_none=True) if env else {})
    clusters = _clusters(scope, env, azure)
    if clusters:
        cluster = Cluster(
            name=clusters[0].name,
            resourceGroup=clusters[0].resource_group,
            subscriptionId=clusters[0].subscription_id,
            oidcIssuerUrl=clusters[0].oidc_issuer_url,
        )
    merged = {"azure": azure, "cluster": cluster}
    missing = [
        f"{block}.{key}"
        for block, keys in REQUIRED_IN_EVERY_ENVIRONMENT.items()
        for key in keys
        if getattr(merged[block], key) is None
    ]
    client_ids, pinned = _client_ids(scope, env, bound)
    _deployment_mode(scope, env, azure, cluster)
    _region(scope, env, azure)
    environment = EnvironmentPlan(
        name=scope.env,
        # "" for a key the environment lacks: build_plan reports it before anything is used
        subscription_id=(azure.subscriptionId or "").lower(),
        resource_group=azure.resourceGroup or "",
        location=azure.location or "",
        tenant_id=azure.tenantId.lower() if azure.tenantId else None,
        cluster_name=cluster.name or "",
        cluster_resource_group=cluster.resourceGroup or azure.resourceGroup or "",
        cluster_subscription_id=(cluster.subscriptionId or azure.subscriptionId or "").lower(),
        enable_workload_identity=cluster.enableWorkloadIdentity,
        oidc_issuer_url=cluster.oidcIssuerUrl,
        client_ids=client_ids,
        pinned=pinned,
        tags=tuple(azure.tags.items()),
        deploy=azure.deploy,
        clusters=tuple(clusters),
    )
    return environment, missing


def _clusters(scope: Scope, env: Environment | None, azure: Azure) -> list[ClusterPlan]:
    """The clusters of a `clusters:` list (the environment's, else the top level's); [] for `cluster`."""
    spec = scope.spec
    listed, path = spec.clusters, ("clusters",)
    if env is not None and env.clusters is not None:
        listed, path = env.clusters, ("environments", scope.env, "clusters")
        if env.cluster.model_dump(exclude_none=True):
            scope.error(
                ("environments", scope.env, "cluster"),
                f"environment {scope.env!r} sets both cluster and clusters",
                "list every cluster of the environment under clusters",
            )
    if listed is None:
        return []
    if spec.cluster.model_dump(exclude_defaults=True) and path == ("clusters",):
        scope.error(("cluster",), "cluster and clusters are both set", "list every cluster under clusters")
    if not listed:
        scope.error(path, "clusters is empty", "list at least one cluster, or use cluster")
    out: list[ClusterPlan] = []
    seen: set[str] = set()
    for i, c in enumerate(listed):
        if c.name is None:
            scope.error((*path, i), "a cluster of clusters needs a name")
            continue
        if c.name.lower() in seen:
            scope.error((*path, i, "name"), f"cluster {c.name!r} is listed twice")
        seen.add(c.name.lower())
        if c.enableWorkloadIdentity:
            scope.error(
                (*path, i, "enableWorkloadIdentity"),
                f"cluster {c.name!r}: the opt-in cluster step writes only a single cluster",
                "turn the flags on once per cluster: az aks update --enable-oidc-issuer "
                "--enable-workload-identity (the pipelines check them)",
            )
        out.append(
            ClusterPlan(
                name=c.name,
                resource_group=c.resourceGroup or azure.resourceGroup or "",
                subscription_id=(c.subscriptionId or azure.subscriptionId or "").lower(),
                oidc_issuer_url=c.oidcIssuerUrl,
            )
        )
    return out


def _client_ids(
    scope: Scope, env: Environment | None, bound: Mapping[str, str]
) -> tuple[tuple[tuple[str, str], ...], frozenset[str]]:
    """identity -> client ID (or its placeholder) for the identities of this environment, and the
    identities whose client ID is known. Outputs win over pinned client IDs."""
    spec = scope.spec
    identity_names = {i.name for i in spec.identities}
    pinned = dict(env.clientIds) if env else {}
    for ident in bound:
        if ident not in identity_names:
            scope.warn(
                "W003",
                ("environments", scope.env) if env else ("identities",),
                f"environment {scope.env!r}: the deployment outputs name identity {ident!r}, "
                "which the spec does not declare; ignored",
                at_key=True,
            )
    for ident in pinned:
        if ident not in identity_names:
            guess = did_you_mean(ident, identity_names)
            scope.error(
                ("environments", scope.env, "clientIds", ident),
                f"no identity named {ident!r}",
                f"did you mean {guess}?" if guess else "keys are identity names",
            )
    pinned |= {k: v for k, v in bound.items() if k in identity_names}
    client_ids = []
    first_unpinned: Path = ("identities",)
    for index, identity in enumerate(spec.identities):
        if identity.environments is not None and scope.env not in identity.environments:
            continue
        if identity.name in pinned:
            client_ids.append((identity.name, pinned[identity.name].lower()))
        else:
            if len(first_unpinned) == 1:
                first_unpinned = ("identities", index, "name")
            client_ids.append((identity.name, placeholder_for(identity.name)))
    unpinned = [value for name, value in client_ids if name not in pinned]
    if unpinned:
        _unpinned(scope, unpinned, ("environments", scope.env) if env else first_unpinned)
    return tuple(client_ids), frozenset(pinned)


def _unpinned(scope: Scope, placeholders: list[str], path: Path) -> None:
    """W001: one line per environment, with the way to pin them that this spec can use."""
    several = len(scope.declared) > 1
    bind = f"wlid bind{f' --env {scope.env}' if several else ''} OUTPUTS"
    hint = f"pin them after the first deployment: {bind}, with the deployment's outputs as az prints them"
    if scope.spec.gitops is not None:
        hint += "; or let Flux post-build substitution fill them"
    count = len(placeholders)
    scope.warn(
        "W001",
        path,
        f"environment {scope.env!r}: {count} client ID{'s' if count > 1 else ''} not pinned; the overlay "
        f"carries {_some(placeholders)}",
        hint,
        at_key=path[0] == "environments",
    )


def _some(names: list[str]) -> str:
    """`a, b, c` or, for a long list, its first LISTED names and how many more there are."""
    if len(names) <= LISTED + 1:
        return ", ".join(names)
    return f"{', '.join(names[:LISTED])} and {len(names) - LISTED} more"


def _deployment_mode(scope: Scope, env: Environment | None, azure: Azure, cluster: Cluster) -> None:
    """A deployment stack cannot hold the cluster step: leaving its template would delete the cluster."""
    if azure.deploy == "stack" and cluster.enableWorkloadIdentity:
        where = "environments" if env and env.azure.deploy else None
        scope.error(
            (where, scope.env, "azure", "deploy") if where else ("azure", "deploy"),
            f"environment {scope.env!r}: azure.deploy: stack with cluster.enableWorkloadIdentity: "
            "true would make the cluster a resource of the deployment stack, which deletes what "
            "leaves its template",
            "turn the flags on once (az aks update --enable-oidc-issuer --enable-workload-identity; "
            "the pipelines check them) and set enableWorkloadIdentity: false, or use azure.deploy: "
            "group",
        )


def _region(scope: Scope, env: Environment | None, azure: Azure) -> None:
    """W002: a region where user-assigned identities take no federated credentials."""
    if azure.location in regions_without_fic():
        overridden = env is not None and env.azure.location is not None
        scope.warn(
            "W002",
            ("environments", scope.env, "azure", "location") if overridden else ("azure", "location"),
            # Said once for every environment that takes the region from the top level.
            (f"environment {scope.env!r}: " if overridden else "")
            + f"region {azure.location} does not support federated identity credentials on "
            "user-assigned identities (405 from Azure)",
            "create the identities in another region (azure.location); the cluster may stay",
        )


def environment_parameters(envs: list[EnvironmentPlan]) -> tuple[list[Parameter], bool, bool]:
    """The template parameters every environment sets (location, cluster) and the opt-in ones; whether
    some environment turns the cluster step on, and whether some pins the issuer URL."""

    def values(attr: str) -> tuple[tuple[str, str | bool], ...]:
        return tuple((e.name, getattr(e, attr)) for e in envs)

    params = [
        Parameter("location", "string", "Azure region of the managed identities.", values("location")),
        Parameter("clusterName", "string", "Name of the AKS cluster.", values("cluster_name")),
        Parameter(
            "clusterResourceGroup",
            "string",
            "Resource group of the AKS cluster.",
            values("cluster_resource_group"),
        ),
        Parameter(
            "clusterSubscriptionId",
            "string",
            "Subscription of the AKS cluster.",
            values("cluster_subscription_id"),
        ),
    ]
    enables = any(e.enable_workload_identity for e in envs)
    if enables:
        params.append(
            Parameter(
                "enableWorkloadIdentity",
                "bool",
                "Opt-in: turn on the cluster's OIDC issuer and workload identity while one is off "
                "(writes the cluster once).",
                values("enable_workload_identity"),
                default=False,
            )
        )
    pins = any(e.oidc_issuer_url for e in envs)
    if pins:
        params.append(
            Parameter(
                "oidcIssuerUrl",
                "string",
                "The cluster's OIDC issuer URL; empty: read it from the cluster.",
                tuple((e.name, e.oidc_issuer_url or "") for e in envs),
                default="",
            )
        )
    return params, enables, pins
