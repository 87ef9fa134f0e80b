"""The Azure SDK clients of one read (read-only), sharing one credential and one transport: identities
and FICs (azure-mgmt-msi), role assignments (azure-mgmt-authorization), and the cluster through plain
GETs on azure-mgmt-core's `ARMPipelineClient`. The SDKs are imported only inside methods.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from wlid_render.brownfield.azure_errors import BrownfieldError, translated
from wlid_render.brownfield.state import (
    BindingState,
    ClusterState,
    FicState,
    IdentityState,
    RoleAssignmentState,
)
from wlid_render.formats import GUID
from wlid_render.plan.model import CLUSTER_API, IDENTITY_API, IDENTITY_BINDING_API, ROLE_ASSIGNMENT_API

if TYPE_CHECKING:  # pragma: no cover
    from azure.core.credentials import TokenCredential
    from azure.core.pipeline.transport import HttpTransport

ACTION_IDENTITIES = "Microsoft.ManagedIdentity/userAssignedIdentities/read"
ACTION_FICS = "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/read"
ACTION_CLUSTERS = "Microsoft.ContainerService/managedClusters/read"
ACTION_ROLES = "Microsoft.Authorization/roleAssignments/read"
ACTION_BINDINGS = "Microsoft.ContainerService/managedClusters/identityBindings/read"
MAX_PAGES = 1000  # a nextLink that never ends is a service bug; stop instead of looping forever


class Reader:
    """The SDK clients of one read, sharing one credential and one transport."""

    def __init__(self, credential: TokenCredential | None, transport: HttpTransport | None, options: dict):
        from azure.core.pipeline.transport import RequestsTransport
        from azure.core.settings import settings
        from azure.mgmt.core.tools import get_arm_endpoints

        self.options = options
        self.owns_credential = credential is None
        self.credential = credential if credential is not None else default_credential()
        self.owns_transport = transport is None
        self.transport = transport if transport is not None else RequestsTransport(**options)
        endpoints = get_arm_endpoints(settings.current.azure_cloud)
        self.base_url: str = endpoints["resource_manager"]
        self.scopes: list[str] = list(endpoints["credential_scopes"])
        self.msi_clients: dict[str, Any] = {}
        self.arm: Any = None

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        # Clients are not closed one by one: that would close the shared transport, which belongs to
        # the caller when it was given.
        if self.owns_transport:
            self.transport.close()
        if self.owns_credential:
            close = getattr(self.credential, "close", None)
            if close is not None:
                close()

    def msi(self, subscription_id: str) -> Any:
        if subscription_id not in self.msi_clients:
            from azure.mgmt.msi import ManagedServiceIdentityClient

            self.msi_clients[subscription_id] = ManagedServiceIdentityClient(
                self.credential,
                subscription_id,
                api_version=IDENTITY_API,
                base_url=self.base_url,
                credential_scopes=self.scopes,
                transport=self.transport,
                **self.options,
            )
        return self.msi_clients[subscription_id]

    def identities(self, subscription_id: str, resource_group: str) -> tuple[IdentityState, ...]:
        client = self.msi(subscription_id)
        where = f"resource group {resource_group!r} (subscription {subscription_id})"
        with translated(
            f"the user-assigned identities of {where}",
            ACTION_IDENTITIES,
            where,
            not_found=f"resource group {resource_group!r} not found in subscription {subscription_id}",
        ):
            found = list(client.user_assigned_identities.list_by_resource_group(resource_group))
        out = []
        for identity in sorted(found, key=lambda i: (i.name or "").lower()):
            with translated(
                f"the federated credentials of identity {identity.name!r}",
                ACTION_FICS,
                f"identity {identity.name!r} in {where}",
                not_found=f"identity {identity.name!r} disappeared from {where} while it was read; run again",
            ):
                fics = list(client.federated_identity_credentials.list(resource_group, identity.name))
            out.append(
                IdentityState(
                    name=identity.name or "",
                    location=(identity.location or "").replace(" ", "").lower(),
                    credentials=tuple(
                        sorted(
                            (
                                FicState(
                                    name=f.name or "",
                                    issuer=f.issuer or "",
                                    subject=f.subject or "",
                                    audiences=tuple(f.audiences or ()),
                                )
                                for f in fics
                            ),
                            key=lambda f: f.name.lower(),
                        )
                    ),
                    client_id=identity.client_id,
                    principal_id=identity.principal_id,
                    tenant_id=identity.tenant_id,
                    tags=tuple(sorted((identity.tags or {}).items())),
                    isolation_scope=identity.isolation_scope,
                )
            )
        return tuple(out)

    def authorization(self, subscription_id: str) -> Any:
        from azure.mgmt.authorization import AuthorizationManagementClient

        return AuthorizationManagementClient(
            self.credential,
            subscription_id,
            api_version=ROLE_ASSIGNMENT_API,
            base_url=self.base_url,
            credential_scopes=self.scopes,
            transport=self.transport,
            **self.options,
        )

    def with_roles(self, identity: IdentityState, subscriptions: tuple[str, ...]) -> IdentityState:
        """`identity` with the role assignments of its principal in `subscriptions` (sorted by ID)."""
        principal = identity.principal_id or ""
        if not GUID.fullmatch(principal):
            return replace(identity, role_assignments=())
        found: dict[str, RoleAssignmentState] = {}
        for subscription in subscriptions:
            where = f"subscription {subscription}"
            with translated(
                f"the role assignments of identity {identity.name!r}",
                ACTION_ROLES,
                where,
                not_found=f"subscription {subscription} not found, or the signed-in account cannot see it",
            ):
                listed = list(
                    self.authorization(subscription).role_assignments.list_for_subscription(
                        filter=f"principalId eq '{principal.lower()}'"
                    )
                )
            for item in listed:
                if (item.principal_id or "").lower() != principal.lower() or not item.id:
                    continue  # the filter is the service's; keep only what is the identity's
                found[item.id.lower()] = RoleAssignmentState(
                    id=item.id,
                    name=item.name or "",
                    scope=item.scope or "",
                    role_definition_id=item.role_definition_id or "",
                    description=item.description,
                    condition=item.condition,
                )
        return replace(identity, role_assignments=tuple(sorted(found.values(), key=lambda r: r.id.lower())))

    # -- the cluster: plain GETs through the ARM pipeline --------------------------------------------
    def arm_client(self) -> Any:
        if self.arm is None:
            from azure.core.configuration import Configuration
            from azure.core.pipeline import policies
            from azure.mgmt.core import ARMPipelineClient
            from azure.mgmt.core.policies import ARMChallengeAuthenticationPolicy, ARMHttpLoggingPolicy

            from wlid_render import __version__

            options = self.options
            config: Configuration = Configuration(**options)
            config.headers_policy = policies.HeadersPolicy(**options)
            config.user_agent_policy = policies.UserAgentPolicy(sdk_moniker=f"wlid/{__version__}", **options)
            config.proxy_policy = policies.ProxyPolicy(**options)
            config.redirect_policy = policies.RedirectPolicy(**options)
            config.retry_policy = policies.RetryPolicy(**options)
            config.authentication_policy = ARMChallengeAuthenticationPolicy(
                self.credential, *self.scopes, **options
            )
            config.custom_hook_policy = policies.CustomHookPolicy(**options)
            config.logging_policy = policies.NetworkTraceLoggingPolicy(**options)
            config.http_logging_policy = ARMHttpLoggingPolicy(**options)
            self.arm = ARMPipelineClient(self.base_url, config=config, transport=self.transport)
        return self.arm

    def get(self, url: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        """GET one ARM document; HTTP errors are raised as azure-core exceptions for `_translated`."""
        from azure.core.exceptions import (
            ClientAuthenticationError,
            HttpResponseError,
            ResourceNotFoundError,
            map_error,
        )
        from azure.core.rest import HttpRequest
        from azure.mgmt.core.exceptions import ARMErrorFormat

        request = HttpRequest("GET", url, params=params, headers={"Accept": "application/json"})
        response = self.arm_client().send_request(request)
        if response.status_code != 200:
            error_map = {401: ClientAuthenticationError, 404: ResourceNotFoundError}
            map_error(status_code=response.status_code, response=response, error_map=error_map)
            raise HttpResponseError(response=response, error_format=ARMErrorFormat)
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise BrownfieldError(f"Azure Resource Manager answered GET {url} with something other than JSON")
        return body

    def _clusters_url(self, subscription_id: str, resource_group: str) -> str:
        return (
            f"{self.base_url.rstrip('/')}/subscriptions/{quote(subscription_id, safe='')}"
            f"/resourceGroups/{quote(resource_group, safe='')}/providers/Microsoft.ContainerService/managedClusters"
        )

    def cluster(self, subscription_id: str, resource_group: str, name: str) -> ClusterState:
        url = f"{self._clusters_url(subscription_id, resource_group)}/{quote(name, safe='')}"
        where = f"resource group {resource_group!r} (subscription {subscription_id})"
        with translated(
            f"AKS cluster {name!r}",
            ACTION_CLUSTERS,
            f"cluster {name!r} in {where}",
            not_found=f"AKS cluster {name!r} not found in {where}",
        ):
            body = self.get(url, {"api-version": CLUSTER_API})
        return cluster_state(body, subscription_id, resource_group, name)

    def clusters(self, subscription_id: str, resource_group: str) -> tuple[ClusterState, ...]:
        url: str | None = self._clusters_url(subscription_id, resource_group)
        params: dict[str, str] | None = {"api-version": CLUSTER_API}
        where = f"resource group {resource_group!r} (subscription {subscription_id})"
        with translated(
            f"the AKS clusters of {where}",
            ACTION_CLUSTERS,
            where,
            not_found=f"resource group {resource_group!r} not found in subscription {subscription_id}",
        ):
            out = [cluster_state(item, subscription_id, resource_group, "") for item in self._items(url, params)]
        return tuple(sorted(out, key=lambda c: c.name.lower()))

    def with_bindings(self, cluster: ClusterState) -> ClusterState:
        """The cluster with its identity bindings (GET .../identityBindings, API 2026-05-01, paged)."""
        url: str | None = (
            f"{self._clusters_url(cluster.subscription_id, cluster.resource_group)}/"
            f"{quote(cluster.name, safe='')}/identityBindings"
        )
        params: dict[str, str] | None = {"api-version": IDENTITY_BINDING_API}
        where = f"AKS cluster {cluster.name!r} in resource group {cluster.resource_group!r}"
        with translated(
            f"the identity bindings of {where}",
            ACTION_BINDINGS,
            where,
            not_found=f"{where} not found (or it has no identity bindings API)",
        ):
            found = [b for b in map(binding_state, self._items(url, params)) if b is not None]
        return replace(cluster, bindings=tuple(sorted(found, key=lambda b: b.name)))

    def _items(self, url: str | None, params: dict[str, str] | None) -> Iterator[dict[str, Any]]:
        """The objects of every page of an ARM list (`value`, then `nextLink`, on the same host only,
        at most MAX_PAGES pages)."""
        pages = 0
        while url and pages < MAX_PAGES:
            pages += 1
            body = self.get(url, params)
            yield from (item for item in body.get("value") or [] if isinstance(item, dict))
            url, params = body.get("nextLink") or None, None
            if url and urlsplit(url).netloc != urlsplit(self.base_url).netloc:
                raise BrownfieldError(f"Azure Resource Manager sent a nextLink to another host: {url}")


def binding_state(body: dict[str, Any]) -> BindingState | None:
    props = body.get("properties") if isinstance(body.get("properties"), dict) else {}
    managed = props.get("managedIdentity") if isinstance(props.get("managedIdentity"), dict) else {}
    identity_id = managed.get("resourceId")
    name = body.get("name")
    if not isinstance(identity_id, str) or not isinstance(name, str):
        return None
    return BindingState(name=name, identity_id=identity_id)


def cluster_state(body: dict[str, Any], subscription_id: str, resource_group: str, name: str) -> ClusterState:
    props = body.get("properties") if isinstance(body.get("properties"), dict) else {}
    oidc = props.get("oidcIssuerProfile") if isinstance(props.get("oidcIssuerProfile"), dict) else {}
    security = props.get("securityProfile") if isinstance(props.get("securityProfile"), dict) else {}
    workload = security.get("workloadIdentity") if isinstance(security.get("workloadIdentity"), dict) else {}
    issuer = oidc.get("issuerURL")
    return ClusterState(
        name=str(body.get("name") or name),
        resource_group=resource_group,
        subscription_id=subscription_id.lower(),
        location=str(body.get("location") or "").replace(" ", "").lower(),
        issuer_url=issuer if oidc.get("enabled") is True and isinstance(issuer, str) and issuer else None,
        workload_identity=workload.get("enabled") is True,
    )


def default_credential() -> TokenCredential:
    from azure.identity import DefaultAzureCredential

    # azure-identity logs a warning listing every credential it tried when none works; the caller
    # gets one clear BrownfieldError instead, so keep Python's last-resort handler from printing it.
    azure_logger = logging.getLogger("azure")
    if not azure_logger.handlers:
        azure_logger.addHandler(logging.NullHandler())
    return DefaultAzureCredential()
