"""Read what exists in Azure, read-only: user-assigned identities, their federated identity credentials
(FICs), and an AKS cluster's OIDC issuer.

The Azure SDKs are imported only inside functions (here and in `azure_client`, `azure_errors`), so
that `import wlid_render.brownfield` costs nothing without them (they come with the `wlid[azure]`
extra); no other module of wlid imports them.

* Identities and FICs: azure-mgmt-msi, API version 2024-11-30 (the version wlid's templates deploy).
* The cluster: one plain GET of `Microsoft.ContainerService/managedClusters` (API 2024-09-01, the
  version wlid's templates read the issuer with) through azure-mgmt-core's `ARMPipelineClient`, with
  the same credential, transport and the standard ARM policies (retry, redirect, bearer challenge).
* Role assignments of each identity (when asked: `roles=True`): azure-mgmt-authorization, API version
  2022-04-01 (the version wlid's templates write), `role_assignments.list_for_subscription` filtered by
  the identity's principal ID, in the identities' subscription and every other subscription given.
* Credentials: `DefaultAzureCredential` unless one is given; nothing is stored or printed.
* `transport`: any azure-core `HttpTransport`; tests pass one that replays recorded responses.

Every failure that comes from the user's situation (not logged in, no permission, not found,
throttled, no network) is raised as `BrownfieldError` with one clear message, never a traceback.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from wlid_render.brownfield.azure_client import Reader
from wlid_render.brownfield.azure_errors import BrownfieldError
from wlid_render.brownfield.state import AzureState, ClusterState, IdentityState
from wlid_render.formats import GUID

if TYPE_CHECKING:  # pragma: no cover
    from azure.core.credentials import TokenCredential
    from azure.core.pipeline.transport import HttpTransport

    from wlid_render.plan.model import Plan


def read_state(
    subscription_id: str,
    resource_group: str,
    *,
    cluster_name: str | None = None,
    cluster_resource_group: str | None = None,
    cluster_subscription_id: str | None = None,
    credential: TokenCredential | None = None,
    transport: HttpTransport | None = None,
    roles: bool = False,
    role_subscriptions: tuple[str, ...] = (),
    bindings: bool = False,
    more_clusters: tuple[tuple[str, str, str], ...] = (),
    **options: Any,
) -> AzureState:
    """Read the identities of `resource_group`, the FICs of each, and the cluster. Read-only.

    `more_clusters`: (name, resource group, subscription ID) of further clusters to read (the other
    clusters of an environment's `clusters:` list), each with its bindings when `bindings`; the state
    then lists every cluster in `AzureState.clusters`, the first one first.

    `bindings`: also read the cluster's AKS identity bindings (managedClusters/identityBindings).

    `roles`: also read each identity's role assignments, in `subscription_id` and in every one of
    `role_subscriptions` (where the spec grants roles).

    Without `cluster_name`, the clusters of `cluster_resource_group` (default: `resource_group`) are
    listed and the one whose issuer the FICs trust (or the only one) is taken; several candidates or
    none raise BrownfieldError naming them. `options` go to the azure-core pipeline (e.g.
    `retry_total`, `retry_backoff_factor`, `connection_timeout`). Raises BrownfieldError.
    """
    _require_sdk(roles)
    if not GUID.fullmatch(subscription_id):
        raise BrownfieldError(
            f"{subscription_id!r} is not a subscription ID: give the GUID (`az account show --query id -o tsv`)"
        )
    for sub in (cluster_subscription_id, *(c[2] for c in more_clusters)):
        if sub is not None and not GUID.fullmatch(sub):
            raise BrownfieldError(f"{sub!r} is not a subscription ID (a GUID)")
    with Reader(credential, transport, options) as reader:
        identities = reader.identities(subscription_id, resource_group)
        if roles:
            subscriptions = tuple(dict.fromkeys(s.lower() for s in (subscription_id, *role_subscriptions)))
            identities = tuple(reader.with_roles(i, subscriptions) for i in identities)
        cluster_sub = cluster_subscription_id or subscription_id
        cluster_rg = cluster_resource_group or resource_group
        if cluster_name:
            cluster = reader.cluster(cluster_sub, cluster_rg, cluster_name)
        else:
            cluster = _pick_cluster(reader.clusters(cluster_sub, cluster_rg), identities, cluster_rg)
        if bindings:
            cluster = reader.with_bindings(cluster)
        others = []
        for name, rg, sub in more_clusters:
            other = reader.cluster(sub, rg, name)
            others.append(reader.with_bindings(other) if bindings else other)
    clusters = (cluster, *others) if others else ()
    return AzureState(subscription_id.lower(), resource_group, identities, cluster, clusters)


def read_environment_state(
    plan: Plan,
    env: str,
    *,
    credential: TokenCredential | None = None,
    transport: HttpTransport | None = None,
    roles: bool = True,
    **options: Any,
) -> AzureState:
    """What exists for one environment of a plan: its resource group's identities (with their role
    assignments, unless `roles` is false) and its cluster, or every cluster of its `clusters:` list
    (each in its own resource group and subscription).

    KeyError (naming the known environments) when the plan has no environment `env`.
    """
    from wlid_render.brownfield.roles import planned_subscriptions
    from wlid_render.views.az import environment

    target = environment(plan, env)
    return read_state(
        target.subscription_id,
        target.resource_group,
        cluster_name=target.cluster_name,
        cluster_resource_group=target.cluster_resource_group,
        cluster_subscription_id=target.cluster_subscription_id,
        credential=credential,
        transport=transport,
        roles=roles,
        role_subscriptions=planned_subscriptions(plan, target),
        bindings=any(i.bindings for i in plan.identities),
        more_clusters=tuple((c.name, c.resource_group, c.subscription_id) for c in target.clusters[1:]),
        **options,
    )


def _pick_cluster(
    clusters: tuple[ClusterState, ...], identities: tuple[IdentityState, ...], resource_group: str
) -> ClusterState:
    if not clusters:
        raise BrownfieldError(
            f"no AKS cluster in resource group {resource_group!r}: name it with --cluster "
            "(and --cluster-resource-group when it lives elsewhere)"
        )
    if len(clusters) == 1:
        return clusters[0]
    trusted = {c.issuer for i in identities for c in i.credentials}
    matching = [c for c in clusters if c.issuer_url and c.issuer_url in trusted]
    if len(matching) == 1:
        return matching[0]
    names = ", ".join(c.name for c in (matching or clusters))
    raise BrownfieldError(
        f"resource group {resource_group!r} holds several AKS clusters ({names}): name one with --cluster"
    )


def _require_sdk(roles: bool = False) -> None:
    modules = ("azure.identity", "azure.mgmt.core", "azure.mgmt.msi")
    try:
        for module in (*modules, "azure.mgmt.authorization") if roles else modules:
            importlib.import_module(module)
    except ImportError as exc:
        raise BrownfieldError(
            f"reading Azure needs the Azure SDKs ({exc.name} is missing): pip install 'wlid[azure]'"
        ) from None
