"""The root of a spec: apiVersion, kind, metadata and every section, with the rules the JSON Schema
states for keys that the top level or every environment must set."""

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field

from wlid_render.spec.models.azure import REQUIRED_IN_EVERY_ENVIRONMENT, Azure, Cluster
from wlid_render.spec.models.base import EnvironmentName, SpecModel, SpecName, empty_list, empty_map
from wlid_render.spec.models.environments import Environment, GitOps, Pipelines
from wlid_render.spec.models.identities import Identity, ServiceAccount
from wlid_render.spec.models.workloads import Workload
from wlid_render.warning_codes import WARNINGS

# A code of warning_codes.WARNINGS: the schema lists them; wlid render says which code was meant when
# one is not known (see plan/spec_checks.py).
WarningCode = Annotated[str, Field(min_length=1, max_length=16, json_schema_extra={"enum": sorted(WARNINGS)})]


class Metadata(SpecModel):
    """What the spec is called, and which warnings it does not want to see."""

    name: SpecName = Field(
        description="Name of the spec: lower-case letters, digits and '-', at most 40 characters. "
        "The default output folder is out/<name> and the deployment is named wlid-<name>.",
        examples=["lab", "shop"],
    )
    ignoreWarnings: list[WarningCode] = Field(
        default_factory=empty_list,
        description="Codes of render warnings not to print for this spec (W001, ...: see docs/warnings.md). "
        "Default: every warning is printed.",
        examples=[["W006"], ["W001", "W005"]],
    )


def _set_in_every_environment(schema: dict[str, Any]) -> None:
    """JSON Schema rules for REQUIRED_IN_EVERY_ENVIRONMENT: without environments, the top level sets
    each key; with environments, the top level or else every environment does."""
    environments = {"required": ["environments"], "properties": {"environments": {"minProperties": 1}}}
    rules: list[dict[str, Any]] = []
    for block, keys in REQUIRED_IN_EVERY_ENVIRONMENT.items():
        for key in keys:
            given: dict[str, Any] = {
                "required": [block],
                "properties": {block: {"required": [key], "properties": {key: {"type": "string"}}}},
            }
            top: list[dict[str, Any]] = [environments, {"not": given}]
            per_env: dict[str, Any] = given
            no_list: list[dict[str, Any]] = []
            if block == "cluster":  # a `clusters:` list stands for the cluster
                no_list = [{"not": {"required": ["clusters"]}}]
                per_env = {"if": no_list[0], "then": given}
            rules.append({"if": {"allOf": [{"not": environments}, *no_list]}, "then": given})
            rules.append(
                {
                    "if": {"allOf": [*top, *no_list]},
                    "then": {"properties": {"environments": {"additionalProperties": per_env}}},
                }
            )
    schema["allOf"] = rules


class Spec(SpecModel):
    """A wlid spec (v1): Azure Workload Identity wiring for AKS, rendered by `wlid render`."""

    model_config = ConfigDict(json_schema_extra=_set_in_every_environment)

    apiVersion: Literal["wlid/v1"] = Field(description="Always wlid/v1.", examples=["wlid/v1"])
    kind: Literal["WorkloadIdentitySpec"] = Field(
        description="Always WorkloadIdentitySpec.", examples=["WorkloadIdentitySpec"]
    )
    metadata: Metadata = Field(description="Name of the spec.", examples=[{"name": "lab"}])
    azure: Azure = Field(
        default_factory=Azure,
        description="Where the identities are created: defaults for every environment. subscriptionId, "
        "resourceGroup and location are required here or in every environment.",
        examples=[
            {
                "subscriptionId": "11111111-1111-1111-1111-111111111111",
                "resourceGroup": "rg-wlid-lab",
                "location": "eastus",
            }
        ],
    )
    cluster: Cluster = Field(
        default_factory=Cluster,
        description="The AKS cluster whose OIDC issuer the credentials trust: defaults for every environment. "
        "name is required here or in every environment.",
        examples=[{"name": "aks-wlid-lab", "enableWorkloadIdentity": True}],
    )
    clusters: list[Cluster] | None = Field(
        None,
        description="Several AKS clusters for every environment (blue/green, regions), instead of cluster: "
        "each trusts its own OIDC issuer. Credentials mode renders one federated credential per "
        "(ServiceAccount, cluster), named <name>-<cluster>; identityBinding mode one identity binding per "
        "(cluster, identity). See docs/clusters.md.",
        examples=[[{"name": "aks-prod-blue"}, {"name": "aks-prod-green", "resourceGroup": "rg-aks-green"}]],
    )
    identities: list[Identity] = Field(
        min_length=1,
        description="The user-assigned managed identities (at least one).",
        examples=[
            [{"name": "myIdentity", "roles": [{"role": "Key Vault Secrets User", "keyVault": "kv-wlid-lab"}]}]
        ],
    )
    serviceAccounts: list[ServiceAccount] = Field(
        default_factory=empty_list,
        description="Kubernetes ServiceAccounts, each bound to one identity through a federated credential "
        "(at most 20 per identity).",
        examples=[[{"name": "workload-identity-sa", "namespace": "default", "identity": "myIdentity"}]],
    )
    workloads: list[Workload] = Field(
        default_factory=empty_list,
        description="Workloads whose pods run as those ServiceAccounts.",
        examples=[
            [
                {
                    "name": "sample-workload-identity",
                    "serviceAccount": "workload-identity-sa",
                    "containers": [{"name": "busybox", "image": "busybox"}],
                }
            ]
        ],
    )
    environments: dict[EnvironmentName, Environment] = Field(
        default_factory=empty_map,
        description="Environments by name (lower-case letters, digits, '-'). Default: one environment "
        "named default.",
        examples=[{"dev": {"vars": {"imageTag": "1.8.0"}}, "prod": {"vars": {"imageTag": "1.7.3"}}}],
    )
    gitops: GitOps | None = Field(
        None,
        description="Render Flux and Argo CD objects under OUT/gitops.",
        examples=[{"repoURL": "https://github.com/example/platform-gitops.git", "path": "out/lab"}],
    )
    pipelines: Pipelines = Field(
        default_factory=Pipelines,
        description="How the generated CI pipelines get wlid.",
        examples=[{"install": "wlid==0.1.0"}],
    )
