"""Spec v1 as pydantic models: types, formats and naming rules of single fields.

Unknown keys are rejected everywhere (`extra="forbid"`). Rules that span several fields (references
between entries, duplicates, limits) live in `plan`, which sees the whole spec.

Every field carries a description and examples: `wlid schema` turns them into the JSON Schema that
editors use for completion and hover help (schema/wlid-v1.schema.json). They do not affect validation.

The models by what they describe: base.py (the base model, value types and naming rules), azure.py
(azure, cluster and their overrides), identities.py (identities, roles, ServiceAccounts), workloads.py
(workloads and containers), environments.py (environments, gitops, pipelines), root.py (Spec).

These modules do without `from __future__ import annotations`: their annotations are evaluated once,
as each class is made, instead of being kept as strings that pydantic evaluates again (a part of
every start). A model that names one defined further down quotes it.
"""

from wlid_render.spec.models.azure import (
    REQUIRED_IN_EVERY_ENVIRONMENT,
    Azure,
    AzureOverride,
    Cluster,
    ClusterOverride,
    DeployMode,
)
from wlid_render.spec.models.base import (
    UUID_RE,
    AzureName,
    ClusterName,
    DnsLabel,
    DnsSubdomain,
    EnvironmentName,
    EnvName,
    FicName,
    GitRef,
    IdentityName,
    IssuerUrl,
    LabelKey,
    LabelValue,
    Location,
    ResourceGroupName,
    SpecName,
    TagName,
    Tags,
    TagValue,
    Uuid,
    VarName,
    empty_list,
    empty_map,
)
from wlid_render.spec.models.environments import Environment, GitOps, Pipelines
from wlid_render.spec.models.identities import Identity, ResourceRef, RoleGrant, ServiceAccount, Target
from wlid_render.spec.models.keyvault import KeyVaultObject, KeyVaultSecrets, SyncSecret
from wlid_render.spec.models.root import Metadata, Spec, WarningCode
from wlid_render.spec.models.workloads import (
    Container,
    EnvValueFrom,
    KubeObject,
    Port,
    Quantity,
    Resources,
    Workload,
)

__all__ = [
    "REQUIRED_IN_EVERY_ENVIRONMENT",
    "UUID_RE",
    "Azure",
    "AzureName",
    "AzureOverride",
    "Cluster",
    "ClusterName",
    "ClusterOverride",
    "Container",
    "DeployMode",
    "DnsLabel",
    "DnsSubdomain",
    "EnvName",
    "EnvValueFrom",
    "Environment",
    "EnvironmentName",
    "FicName",
    "GitOps",
    "GitRef",
    "Identity",
    "IdentityName",
    "IssuerUrl",
    "KeyVaultObject",
    "KeyVaultSecrets",
    "KubeObject",
    "LabelKey",
    "LabelValue",
    "Location",
    "Metadata",
    "Pipelines",
    "Port",
    "Quantity",
    "ResourceGroupName",
    "ResourceRef",
    "Resources",
    "RoleGrant",
    "ServiceAccount",
    "Spec",
    "SpecName",
    "SyncSecret",
    "TagName",
    "TagValue",
    "Tags",
    "Target",
    "Uuid",
    "VarName",
    "WarningCode",
    "Workload",
    "empty_list",
    "empty_map",
]
