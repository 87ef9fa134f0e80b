"""What exists in Azure, as wlid reads it (plain data): identities with their federated identity
credentials (FICs) and role assignments, and the cluster whose issuer they trust.
"""

from __future__ import annotations

from dataclasses import dataclass


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
class BindingState:
    """An AKS identity binding of a cluster (managedClusters/identityBindings) as it exists in Azure."""

    name: str
    identity_id: str  # properties.managedIdentity.resourceId

    @property
    def identity(self) -> str:
        """The name of the bound user-assigned identity (the last segment of its resource ID)."""
        return self.identity_id.rstrip("/").rsplit("/", 1)[-1]


@dataclass(frozen=True)
class ClusterState:
    """What wlid needs of an AKS cluster: where it is and its OIDC issuer."""

    name: str
    resource_group: str
    subscription_id: str
    location: str = ""
    issuer_url: str | None = None  # None: the OIDC issuer is off
    workload_identity: bool = False  # securityProfile.workloadIdentity.enabled
    bindings: tuple[BindingState, ...] | None = None  # its identity bindings; None: not read

    def bindings_of(self, identity: str) -> tuple[BindingState, ...]:
        """The bindings of the identity named `identity` (ignoring case); () when none or not read."""
        return tuple(b for b in self.bindings or () if b.identity.lower() == identity.lower())


@dataclass(frozen=True)
class AzureState:
    """The identities of one resource group (sorted by name) and the cluster whose issuer they trust.

    `clusters`: every cluster that was read, in the order the environment lists them (`cluster` is the
    first); () when only `cluster` was read (see `every_cluster`).
    """

    subscription_id: str
    resource_group: str
    identities: tuple[IdentityState, ...]
    cluster: ClusterState | None = None
    clusters: tuple[ClusterState, ...] = ()

    def every_cluster(self) -> tuple[ClusterState, ...]:
        """The clusters that were read: `clusters`, else `cluster` alone (or none)."""
        return self.clusters or ((self.cluster,) if self.cluster is not None else ())

    def cluster_named(self, name: str) -> ClusterState | None:
        """The cluster named `name` that was read, ignoring case (Azure resource names are)."""
        return next((c for c in self.every_cluster() if c.name.lower() == name.lower()), None)

    def identity(self, name: str) -> IdentityState | None:
        """The identity named `name`, ignoring case (Azure resource names are case-insensitive)."""
        return next((i for i in self.identities if i.name.lower() == name.lower()), None)
