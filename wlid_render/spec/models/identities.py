"""The identities, their role assignments and targets, and the ServiceAccounts bound to them."""

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from wlid_render.formats import Federation
from wlid_render.spec.models.base import (
    ONLY_IN_DESCRIPTION,
    TAGS_DESCRIPTION,
    AzureName,
    DnsLabel,
    DnsSubdomain,
    FicName,
    IdentityName,
    OnlyIn,
    ResourceGroupName,
    SpecModel,
    Tags,
    Uuid,
    empty_list,
    empty_map,
)


class ResourceRef(SpecModel):
    """A role target named with its resource group (and subscription) when it is not in the deployment's."""

    name: AzureName = Field(description="Name of the resource.", examples=["kv-shop-secrets"])
    resourceGroup: ResourceGroupName | None = Field(
        None,
        description="Resource group of the resource. Default: the deployment's resource group.",
        examples=["rg-shop-data"],
    )
    subscriptionId: Uuid | None = Field(
        None,
        description="Subscription (GUID) of the resource; needs resourceGroup. Default: the deployment's.",
        examples=["33333333-3333-3333-3333-333333333333"],
    )


Target = AzureName | ResourceRef

_TARGET = (
    "Give a name (a resource in the deployment's resource group) or {name, resourceGroup, subscriptionId}. "
    "Exactly one target per role."
)


class RoleGrant(SpecModel):
    """A role granted to the identity on exactly one target."""

    role: str = Field(
        min_length=1,
        max_length=200,
        description="Built-in role name (any case) or a role-definition GUID (a custom role).",
        examples=["Key Vault Secrets User", "Storage Blob Data Reader"],
    )
    keyVault: Target | None = Field(
        None,
        description=f"Target: a key vault. {_TARGET}",
        examples=["kv-wlid-lab", {"name": "kv-shop", "resourceGroup": "rg-shop-secrets"}],
    )
    storageAccount: Target | None = Field(
        None,
        description=f"Target: a storage account. {_TARGET}",
        examples=["stshopassets", {"name": "stshopassets", "resourceGroup": "rg-shop-data"}],
    )
    containerRegistry: Target | None = Field(
        None, description=f"Target: a container registry. {_TARGET}", examples=["acrshop"]
    )
    serviceBusNamespace: Target | None = Field(
        None, description=f"Target: a Service Bus namespace. {_TARGET}", examples=["sb-shop-orders"]
    )
    eventHubNamespace: Target | None = Field(
        None, description=f"Target: an Event Hubs namespace. {_TARGET}", examples=["evh-shop-events"]
    )
    appConfiguration: Target | None = Field(
        None, description=f"Target: an App Configuration store. {_TARGET}", examples=["appcs-shop"]
    )
    resourceGroup: ResourceGroupName | None = Field(
        None,
        description="Target: a resource group (by name, in the deployment's subscription).",
        examples=["rg-shop-data"],
    )
    subscription: Literal[True] | None = Field(
        None, description="Target: the deployment's subscription (only true is allowed).", examples=[True]
    )
    resourceId: str | None = Field(
        default=None,
        max_length=1024,
        description="Target: any resource, resource group or subscription by its ID, nested types included.",
        examples=[
            "/subscriptions/33333333-3333-3333-3333-333333333333/resourceGroups/rg-reports/providers/"
            "Microsoft.Storage/storageAccounts/streports"
        ],
    )
    description: str | None = Field(
        default=None,
        max_length=1024,
        description="Optional text on the role assignment.",
        examples=["Read-only view for cost reports"],
    )




class Identity(SpecModel):
    """A user-assigned managed identity, its role assignments, and (through ServiceAccounts) its FICs."""

    name: IdentityName = Field(
        description="Name of the managed identity: 3-128 letters, digits, '-', '_', starting alphanumeric. "
        "The same in every environment.",
        examples=["myIdentity", "shop-api"],
    )
    roles: list[RoleGrant] = Field(
        default_factory=empty_list,
        description="Roles granted to the identity, each on exactly one target.",
        examples=[[{"role": "Key Vault Secrets User", "keyVault": "kv-wlid-lab"}]],
    )
    tags: Tags = Field(
        default_factory=empty_map,
        description=f"{TAGS_DESCRIPTION} Added to azure.tags; a name given in both (ignoring case) takes this value.",
        examples=[{"owner": "team-orders"}],
    )
    federation: Federation = Field(
        "credentials",
        description="How the clusters' ServiceAccounts get tokens for the identity. credentials (default): one "
        "federated identity credential per (ServiceAccount, cluster), at most 20 per identity. identityBinding: "
        "one AKS identity binding per (cluster, identity) (AKS then keeps one credential for any number of "
        "clusters) and a ClusterRole/ClusterRoleBinding that lets the ServiceAccounts use it. See "
        "docs/clusters.md.",
        examples=["identityBinding"],
    )
    environments: OnlyIn = Field(None, description=ONLY_IN_DESCRIPTION, examples=[["prod"]])


def _token_expiration(value: int) -> int:
    if not 3600 <= value <= 86400:
        raise ValueError(
            f"tokenExpiration must be between 3600 and 86400 seconds, got {value} "
            "(the workload identity webhook rejects other values at admission)"
        )
    return value


class ServiceAccount(SpecModel):
    """A Kubernetes ServiceAccount bound to an identity: wlid annotates it with the client ID and creates
    the federated credential that trusts system:serviceaccount:<namespace>:<name>."""

    name: DnsSubdomain = Field(
        description="Name of the ServiceAccount (DNS-1123 subdomain: a-z, 0-9, '-', '.').",
        examples=["workload-identity-sa"],
    )
    namespace: DnsLabel = Field(
        "default",
        description="Namespace of the ServiceAccount (DNS-1123 label). Default: default.",
        examples=["default", "shop"],
    )
    identity: IdentityName = Field(
        description="Name of the identity (under identities) whose client ID the ServiceAccount carries.",
        examples=["myIdentity"],
    )
    federatedCredentialName: FicName | None = Field(
        None,
        description="Name of the federated identity credential (3-120 letters, digits, '-', '_'). "
        "Default: <namespace>-<name>. FIC names cannot be changed later.",
        examples=["myFedIdentity"],
    )
    tokenExpiration: Annotated[int, AfterValidator(_token_expiration)] | None = Field(
        None,
        description="Lifetime of the projected service account token in seconds, 3600..86400 "
        "(the webhook rejects other values). Default: the webhook's 3600.",
        examples=[3600, 86400],
    )
    environments: OnlyIn = Field(None, description=ONLY_IN_DESCRIPTION, examples=[["prod"]])
