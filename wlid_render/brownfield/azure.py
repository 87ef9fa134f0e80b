"""Read what exists in Azure, read-only: user-assigned identities, their federated identity credentials
(FICs), and an AKS cluster's OIDC issuer.

This is the only module of wlid that imports the Azure SDKs, and only inside functions, so that
`import wlid_render.brownfield` costs nothing without them (they come with the `wlid[azure]` extra).

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
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from wlid_render.formats import GUID
from wlid_render.plan.model import CLUSTER_API, IDENTITY_API, ROLE_ASSIGNMENT_API

if TYPE_CHECKING:  # pragma: no cover
    from azure.core.credentials import TokenCredential
    from azure.core.pipeline.transport import HttpTransport

    from wlid_render.plan.model import Plan

ACTION_IDENTITIES = "Microsoft.ManagedIdentity/userAssignedIdentities/read"
ACTION_FICS = "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/read"
ACTION_CLUSTERS = "Microsoft.ContainerService/managedClusters/read"
ACTION_ROLES = "Microsoft.Authorization/roleAssignments/read"
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
MAX_PAGES = 1000  # a nextLink that never ends is a service bug; stop instead of looping forever
_GUID = GUID

NOT_LOGGED_IN = (
    "not logged in: run `az login` (with --tenant TENANT when the subscription is in another tenant); "
    "wlid signs in with DefaultAzureCredential, which also takes AZURE_CLIENT_ID, AZURE_TENANT_ID and "
    "AZURE_FEDERATED_TOKEN_FILE (workload identity) or a managed identity"
)


class BrownfieldError(Exception):
    """A problem of the user's situation, with a message that says what to do. Never a bug of wlid."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class FicState:
    """A federated identity credential as it exists in Azure."""

    name: str
    issuer: str
    subject: str
    audiences: tuple[str, ...]


@dataclass(frozen=True)
class RoleAssignmentState:
    """A role assignment held by an identity's principal, as it exists in Azure."""

    id: str
    name: str  # a GUID: guid(...) of a template is a version-5 UUID, az and the portal make random ones
    scope: str
    role_definition_id: str  # /subscriptions/<sub>/providers/Microsoft.Authorization/roleDefinitions/<guid>
    description: str | None = None
    condition: str | None = None

    @property
    def role_guid(self) -> str:
        return self.role_definition_id.rstrip("/").rsplit("/", 1)[-1].lower()


@dataclass(frozen=True)
class IdentityState:
    """A user-assigned managed identity as it exists in Azure, with its FICs (sorted by name)."""

    name: str
    location: str
    credentials: tuple[FicState, ...] = ()
    client_id: str | None = None
    principal_id: str | None = None
    tenant_id: str | None = None
    tags: tuple[tuple[str, str], ...] = ()
    isolation_scope: str | None = None
    role_assignments: tuple[RoleAssignmentState, ...] | None = None  # None: not read

    def credential(self, name: str) -> FicState | None:
        """The FIC named `name`, ignoring case (Azure resource names are case-insensitive)."""
        return next((c for c in self.credentials if c.name.lower() == name.lower()), None)


@dataclass(frozen=True)
class ClusterState:
    """What wlid needs of an AKS cluster: where it is and its OIDC issuer."""

    name: str
    resource_group: str
    subscription_id: str
    location: str = ""
    issuer_url: str | None = None  # None: the OIDC issuer is off
    workload_identity: bool = False  # securityProfile.workloadIdentity.enabled


@dataclass(frozen=True)
class AzureState:
    """The identities of one resource group (sorted by name) and the cluster whose issuer they trust."""

    subscription_id: str
    resource_group: str
    identities: tuple[IdentityState, ...]
    cluster: ClusterState | None = None

    def identity(self, name: str) -> IdentityState | None:
        """The identity named `name`, ignoring case (Azure resource names are case-insensitive)."""
        return next((i for i in self.identities if i.name.lower() == name.lower()), None)


# -- reading ----------------------------------------------------------------------------------------


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
    **options: Any,
) -> AzureState:
    """Read the identities of `resource_group`, the FICs of each, and the cluster. Read-only.

    `roles`: also read each identity's role assignments, in `subscription_id` and in every one of
    `role_subscriptions` (where the spec grants roles).

    Without `cluster_name`, the clusters of `cluster_resource_group` (default: `resource_group`) are
    listed and the one whose issuer the FICs trust (or the only one) is taken; several candidates or
    none raise BrownfieldError naming them. `options` go to the azure-core pipeline (e.g.
    `retry_total`, `retry_backoff_factor`, `connection_timeout`). Raises BrownfieldError.
    """
    _require_sdk(roles)
    if not _GUID.fullmatch(subscription_id):
        raise BrownfieldError(
            f"{subscription_id!r} is not a subscription ID: give the GUID (`az account show --query id -o tsv`)"
        )
    if cluster_subscription_id is not None and not _GUID.fullmatch(cluster_subscription_id):
        raise BrownfieldError(f"{cluster_subscription_id!r} is not a subscription ID (a GUID)")
    with _Reader(credential, transport, options) as reader:
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
    return AzureState(subscription_id.lower(), resource_group, identities, cluster)


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
    assignments, unless `roles` is false) and its cluster.

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


class _Reader:
    """The SDK clients of one read, sharing one credential and one transport."""

    def __init__(self, credential: TokenCredential | None, transport: HttpTransport | None, options: dict):
        from azure.core.pipeline.transport import RequestsTransport
        from azure.core.settings import settings
        from azure.mgmt.core.tools import get_arm_endpoints

        self.options = options
        self.owns_credential = credential is None
        self.credential = credential if credential is not None else _default_credential()
        self.owns_transport = transport is None
        self.transport = transport if transport is not None else RequestsTransport(**options)
        endpoints = get_arm_endpoints(settings.current.azure_cloud)
        self.base_url: str = endpoints["resource_manager"]
        self.scopes: list[str] = list(endpoints["credential_scopes"])
        self.msi_clients: dict[str, Any] = {}
        self.arm: Any = None

    def __enter__(self) -> _Reader:
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
        with _translated(
            f"the user-assigned identities of {where}",
            ACTION_IDENTITIES,
            where,
            not_found=f"resource group {resource_group!r} not found in subscription {subscription_id}",
        ):
            found = list(client.user_assigned_identities.list_by_resource_group(resource_group))
        out = []
        for identity in sorted(found, key=lambda i: (i.name or "").lower()):
            with _translated(
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
        if not _GUID.fullmatch(principal):
            return replace(identity, role_assignments=())
        found: dict[str, RoleAssignmentState] = {}
        for subscription in subscriptions:
            where = f"subscription {subscription}"
            with _translated(
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
        with _translated(
            f"AKS cluster {name!r}",
            ACTION_CLUSTERS,
            f"cluster {name!r} in {where}",
            not_found=f"AKS cluster {name!r} not found in {where}",
        ):
            body = self.get(url, {"api-version": CLUSTER_API})
        return _cluster_state(body, subscription_id, resource_group, name)

    def clusters(self, subscription_id: str, resource_group: str) -> tuple[ClusterState, ...]:
        url: str | None = self._clusters_url(subscription_id, resource_group)
        params: dict[str, str] | None = {"api-version": CLUSTER_API}
        where = f"resource group {resource_group!r} (subscription {subscription_id})"
        out: list[ClusterState] = []
        pages = 0
        with _translated(
            f"the AKS clusters of {where}",
            ACTION_CLUSTERS,
            where,
            not_found=f"resource group {resource_group!r} not found in subscription {subscription_id}",
        ):
            while url and pages < MAX_PAGES:
                pages += 1
                body = self.get(url, params)
                for item in body.get("value") or []:
                    if isinstance(item, dict):
                        out.append(_cluster_state(item, subscription_id, resource_group, ""))
                url, params = body.get("nextLink") or None, None
                if url and urlsplit(url).netloc != urlsplit(self.base_url).netloc:
                    raise BrownfieldError(f"Azure Resource Manager sent a nextLink to another host: {url}")
        return tuple(sorted(out, key=lambda c: c.name.lower()))


def _cluster_state(
    body: dict[str, Any], subscription_id: str, resource_group: str, name: str
) -> ClusterState:
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


def _require_sdk(roles: bool = False) -> None:
    modules = ("azure.identity", "azure.mgmt.core", "azure.mgmt.msi")
    try:
        for module in (*modules, "azure.mgmt.authorization") if roles else modules:
            importlib.import_module(module)
    except ImportError as exc:
        raise BrownfieldError(
            f"reading Azure needs the Azure SDKs ({exc.name} is missing): pip install 'wlid[azure]'"
        ) from None


def _default_credential() -> TokenCredential:
    from azure.identity import DefaultAzureCredential

    # azure-identity logs a warning listing every credential it tried when none works; the caller
    # gets one clear BrownfieldError instead, so keep Python's last-resort handler from printing it.
    azure_logger = logging.getLogger("azure")
    if not azure_logger.handlers:
        azure_logger.addHandler(logging.NullHandler())
    return DefaultAzureCredential()


# -- errors -----------------------------------------------------------------------------------------


@contextmanager
def _translated(what: str, action: str, scope: str, not_found: str) -> Iterator[None]:
    """Turn the SDK's exceptions into BrownfieldError with a message that says what to do."""
    from azure.core.exceptions import (
        AzureError,
        ClientAuthenticationError,
        HttpResponseError,
        ServiceRequestError,
        ServiceResponseError,
    )
    from azure.identity import CredentialUnavailableError

    try:
        yield
    except CredentialUnavailableError:
        raise BrownfieldError(NOT_LOGGED_IN) from None
    except ClientAuthenticationError as exc:
        raise BrownfieldError(_authentication_message(exc)) from None
    except HttpResponseError as exc:
        raise BrownfieldError(_http_message(exc, what, action, scope, not_found)) from None
    except (ServiceRequestError, ServiceResponseError) as exc:
        raise BrownfieldError(
            f"cannot reach Azure Resource Manager while reading {what}: {_short(exc.message)} "
            "(check the network or proxy settings: HTTPS_PROXY)"
        ) from None
    except AzureError as exc:
        raise BrownfieldError(f"reading {what} failed: {_short(exc.message)}") from None


def _error_code(exc: Any) -> tuple[str, str]:
    """(code, message) of an ARM error response, empty when there is none."""
    error = getattr(exc, "error", None)
    code = getattr(error, "code", None) or ""
    message = getattr(error, "message", None) or getattr(exc, "reason", None) or ""
    return str(code), str(message)


def _authentication_message(exc: Any) -> str:
    response = getattr(exc, "response", None)
    if response is not None and getattr(response, "status_code", None) == 401:
        code, _ = _error_code(exc)
        tenant = " with --tenant set to the subscription's tenant" if "Tenant" in code else ""
        return f"Azure Resource Manager refused the credential (401 {code or 'Unauthorized'}): run `az login` again{tenant}"
    return (
        f"{NOT_LOGGED_IN} (the credential could not get a token: {_short(getattr(exc, 'message', str(exc)))})"
    )


def _http_message(exc: Any, what: str, action: str, scope: str, not_found: str) -> str:
    status = getattr(exc, "status_code", None)
    code, message = _error_code(exc)
    if status == 403:
        named = re.search(r"perform action '([^']+)'", message)
        denied = named.group(1) if named else action
        return (
            f"permission denied (403 {code or 'Forbidden'}) reading {what}: the signed-in account needs "
            f"{denied} on {scope} (the built-in Reader role includes it)"
        )
    if status == 404:
        if code == "SubscriptionNotFound":
            return (
                "the subscription was not found, or the signed-in account cannot see it (`az account list`)"
            )
        return not_found
    if status == 429:
        return (
            f"Azure Resource Manager throttled the requests (429 {code}) reading {what} and the retries "
            "ran out; wait a minute and run again"
        )
    detail = f": {_short(message)}" if message else ""
    return f"Azure answered {status} {code} reading {what}{detail}".replace("  ", " ")


def _short(text: object, limit: int = 300) -> str:
    """The first line of a service message, without control characters, at most `limit` characters."""
    first = str(text).strip().splitlines()[0] if str(text).strip() else ""
    first = re.sub(r"[\x00-\x1f\x7f-\x9f]", "?", first)
    return first if len(first) <= limit else first[: limit - 3] + "..."
