"""Where the identities are created and which cluster they trust: `azure`, `cluster`, and what an
environment overrides of them."""


from pydantic import Field

from wlid_render.formats import DeployMode
from wlid_render.spec.models.base import (
    TAGS_DESCRIPTION,
    ClusterName,
    IssuerUrl,
    Location,
    ResourceGroupName,
    SpecModel,
    Tags,
    Uuid,
    empty_map,
)

# Keys without which no environment renders. Each may be given at the top level (for every environment)
# or by every environment instead (`environments.<name>.azure.subscriptionId`, ...): wlid checks them
# after merging (plan/spec_checks.py), the JSON Schema with one rule per key (see Spec).
REQUIRED_IN_EVERY_ENVIRONMENT = {
    "azure": ("subscriptionId", "resourceGroup", "location"),
    "cluster": ("name",),
}
_IN_EVERY_ENVIRONMENT = " Required here or in every environment (environments.<name>.azure)."



_DEPLOY = (
    "How the pipelines and `wlid whatif` deploy the identities: group (default), a plain incremental "
    "deployment (az deployment group create), which never deletes: a FIC or role assignment removed from "
    "the spec stays in Azure; or stack, a deployment stack (az stack group create --action-on-unmanage "
    "deleteResources --deny-settings-mode none), which deletes what left the template. Never used for "
    "the cluster step. See docs/deployment-modes.md."
)


class Azure(SpecModel):
    """Where the managed identities are created: the resource group the template is deployed to."""

    subscriptionId: Uuid | None = Field(
        None,
        description="Subscription (GUID) of the identities' resource group." + _IN_EVERY_ENVIRONMENT,
        examples=["11111111-1111-1111-1111-111111111111"],
    )
    resourceGroup: ResourceGroupName | None = Field(
        None,
        description="Resource group where the managed identities are created (the deployment's resource "
        "group)." + _IN_EVERY_ENVIRONMENT,
        examples=["rg-wlid-lab"],
    )
    location: Location | None = Field(
        None,
        description="Azure region of the identities, short form (eastus, westeurope). Some regions do not "
        "support federated credentials on user-assigned identities; wlid warns about them."
        + _IN_EVERY_ENVIRONMENT,
        examples=["eastus", "westeurope"],
    )
    tenantId: Uuid | None = Field(
        None,
        description="Entra tenant (GUID). Optional; when set, ServiceAccounts get the "
        "azure.workload.identity/tenant-id annotation (else the cluster's default tenant is used).",
        examples=["22222222-2222-2222-2222-222222222222"],
    )
    tags: Tags = Field(
        default_factory=empty_map,
        description=f"{TAGS_DESCRIPTION} Every identity gets them; an identity's own tags win over these.",
        examples=[{"costCenter": "1234", "environment": "${env}"}],
    )
    deploy: DeployMode = Field(
        "group",
        description=_DEPLOY,
        examples=["stack"],
    )


class Cluster(SpecModel):
    """The AKS cluster whose OIDC issuer the federated credentials trust."""

    name: ClusterName | None = Field(
        None,
        description="Name of the AKS cluster (1-63 letters, digits, '-', '_'; starts and ends alphanumeric). "
        "Required here or in every environment (environments.<name>.cluster).",
        examples=["aks-wlid-lab"],
    )
    resourceGroup: ResourceGroupName | None = Field(
        None,
        description="Resource group of the cluster. Default: azure.resourceGroup.",
        examples=["rg-aks"],
    )
    subscriptionId: Uuid | None = Field(
        None,
        description="Subscription (GUID) of the cluster. Default: azure.subscriptionId.",
        examples=["11111111-1111-1111-1111-111111111111"],
    )
    enableWorkloadIdentity: bool = Field(
        False,
        description="Opt-in. false (default): the template never writes the cluster; turn its OIDC issuer "
        "and workload identity on once with az aks update --enable-oidc-issuer --enable-workload-identity "
        "(it restarts the API server) and the pipelines check them. true: the template turns them on "
        "itself while one is off (a full PUT of the cluster, API 2026-05-01, refused for clusters it "
        "cannot write back; see docs/azure-resources.md for the risks).",
        examples=[True],
    )
    oidcIssuerUrl: IssuerUrl | None = Field(
        None,
        description="Pin the cluster's OIDC issuer URL (https://..., ending with '/'). "
        "Default: the template reads it from the cluster, which avoids typing mistakes.",
        examples=[
            "https://eastus.oic.prod-aks.azure.com/22222222-2222-2222-2222-222222222222/33333333-3333-3333-3333-333333333333/"
        ],
    )


class AzureOverride(SpecModel):
    """Values of azure that differ in this environment."""

    subscriptionId: Uuid | None = Field(
        None, description="Overrides azure.subscriptionId.", examples=["44444444-4444-4444-4444-444444444444"]
    )
    resourceGroup: ResourceGroupName | None = Field(
        None, description="Overrides azure.resourceGroup.", examples=["rg-shop-dev"]
    )
    location: Location | None = Field(None, description="Overrides azure.location.", examples=["westeurope"])
    tenantId: Uuid | None = Field(
        None, description="Overrides azure.tenantId.", examples=["22222222-2222-2222-2222-222222222222"]
    )
    deploy: DeployMode | None = Field(None, description="Overrides azure.deploy.", examples=["stack"])


class ClusterOverride(SpecModel):
    """Values of cluster that differ in this environment."""

    name: ClusterName | None = Field(None, description="Overrides cluster.name.", examples=["aks-shop-dev"])
    resourceGroup: ResourceGroupName | None = Field(
        None, description="Overrides cluster.resourceGroup.", examples=["rg-aks-dev"]
    )
    subscriptionId: Uuid | None = Field(
        None,
        description="Overrides cluster.subscriptionId.",
        examples=["44444444-4444-4444-4444-444444444444"],
    )
    enableWorkloadIdentity: bool | None = Field(
        None,
        description="Overrides cluster.enableWorkloadIdentity (the opt-in cluster step).",
        examples=[True],
    )
    oidcIssuerUrl: IssuerUrl | None = Field(
        None,
        description="Overrides cluster.oidcIssuerUrl (https://..., ending with '/').",
        examples=[
            "https://westeurope.oic.prod-aks.azure.com/22222222-2222-2222-2222-222222222222/44444444-4444-4444-4444-444444444444/"
        ],
    )
