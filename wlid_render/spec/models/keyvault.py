"""Key Vault objects a workload mounts through the Secrets Store CSI driver (`keyVaultSecrets`).

The names follow Key Vault's and Kubernetes' rules, and none can hold `$`: the SecretProviderClass
that carries them also carries the client ID, which Flux post-build substitution may fill, so it
cannot opt out of substitution (see emit/keyvault.py).
"""

from typing import Annotated, Literal

from pydantic import Field

from wlid_render.spec.models.base import DnsLabel, DnsSubdomain, SpecModel, empty_list, rule
from wlid_render.spec.models.identities import Target

# Key Vault object names: 1-127 letters, digits and '-' (Microsoft Learn, "About keys, secrets and
# certificates": object identifiers).
ObjectName = Annotated[
    str, rule(r"[0-9a-zA-Z-]{1,127}", "Key Vault object name (1-127 letters, digits and '-')", 127)
]
# The file the provider writes: a file name without '/', not '.' or '..'.
FileName = Annotated[
    str,
    rule(r"(?!\.\.?$)[A-Za-z0-9._-]{1,253}", "file name (letters, digits, '.', '_', '-'; no '/')", 253),
]
ObjectVersion = Annotated[str, rule(r"[0-9a-fA-F]{32}", "Key Vault object version (32 hex digits)")]
SecretKey = Annotated[str, rule(r"[-._a-zA-Z0-9]+", "Secret key (letters, digits, '-', '_', '.')", 253)]
SecretType = Annotated[
    str, rule(r"[A-Za-z0-9][A-Za-z0-9./_-]*", "Secret type (e.g. Opaque, kubernetes.io/tls)", 253)
]
MountPath = Annotated[
    str,
    rule(r"/[A-Za-z0-9._/-]*", "absolute mount path (letters, digits, '.', '_', '-', '/')", 1024),
]


class KeyVaultObject(SpecModel):
    """One object of the vault, written to a file of the mount."""

    name: ObjectName = Field(description="Name of the object in the vault.", examples=["db-password"])
    type: Literal["secret", "key", "cert"] = Field(
        "secret",
        description="secret (default): a secret's value, or a certificate with its private key as the "
        "secret Key Vault keeps for it; key: a key's public part; cert: a certificate's public part.",
        examples=["cert"],
    )
    version: ObjectVersion | None = Field(
        None,
        description="A fixed version (32 hex digits). Default: the newest.",
        examples=["0f1e2d3c4b5a69788796a5b4c3d2e1f0"],
    )
    alias: FileName | None = Field(
        None, description="File name in the mount. Default: the object's name.", examples=["tls.pem"]
    )


class SyncSecret(SpecModel):
    """A Kubernetes Secret the driver keeps in sync with mounted objects, while a pod mounts them."""

    name: DnsSubdomain = Field(description="Name of the Secret.", examples=["orders-db"])
    keys: dict[SecretKey, FileName] = Field(
        min_length=1,
        description="Secret key -> the object's name (or alias, when it has one).",
        examples=[{"DB_PASSWORD": "db-password"}],
    )
    type: SecretType = Field(
        "Opaque", description="Type of the Secret. Default: Opaque.", examples=["kubernetes.io/tls"]
    )


class KeyVaultSecrets(SpecModel):
    """Objects of one key vault mounted into the workload's pods by the Secrets Store CSI driver."""

    keyVault: Target = Field(
        description="The vault: a name (in the deployment's resource group) or {name, resourceGroup, "
        "subscriptionId}. Values may use ${env} and ${vars.NAME}.",
        examples=["kv-orders-dev", {"name": "kv-orders", "resourceGroup": "rg-shared-secrets"}],
    )
    objects: list[KeyVaultObject] = Field(
        min_length=1,
        description="The objects to mount, each a file of the mount.",
        examples=[[{"name": "db-password"}, {"name": "tls", "type": "cert", "alias": "tls.pem"}]],
    )
    mountPath: MountPath | None = Field(
        None,
        description="Where the containers see the files. Default: /mnt/secrets-store/<vault name>.",
        examples=["/mnt/secrets-store"],
    )
    containers: list[DnsLabel] = Field(
        default_factory=empty_list,
        description="Containers (or initContainers) that mount it. Default: every container. Required "
        "for an existing workload.",
        examples=[["api"]],
    )
    syncSecret: SyncSecret | None = Field(
        None,
        description="A Kubernetes Secret the driver creates and keeps in sync from the mounted objects "
        "(only while a pod mounts the volume).",
        examples=[{"name": "orders-db", "keys": {"DB_PASSWORD": "db-password"}}],
    )
    grant: Literal["auto"] | None = Field(
        None,
        description="auto: wlid grants the identity of the workload's ServiceAccount the least-privileged "
        "built-in role that reads these objects on the vault. Default: the identity's roles must "
        "already grant it (wlid render refuses the spec otherwise).",
        examples=["auto"],
    )
    name: DnsSubdomain | None = Field(
        None,
        description="Name of the SecretProviderClass. Default: <workload>-kv for the first entry, "
        "<workload>-kv-<n> for the n-th after it.",
        examples=["orders-api-secrets"],
    )


KEY_VAULT_SECRETS_FIELD = Field(
    default_factory=empty_list,
    description="Key Vault objects mounted by the Secrets Store CSI driver: one SecretProviderClass per "
    "vault, bound to the client ID of the ServiceAccount's identity (azure.tenantId is required).",
    examples=[[{"keyVault": "kv-orders-dev", "objects": [{"name": "db-password"}]}]],
)
