"""Whether a role assignment's scope covers a Key Vault object (the data actions and roles are in the
leaf wlid_render/keyvault_access.py)."""

from __future__ import annotations

from typing import NamedTuple

from wlid_render.plan.model import Target

# A role assignment on one object of a vault (`.../vaults/<vault>/secrets/<name>`) covers that object.
OBJECT_TYPES = {"secret": "secrets", "key": "keys", "cert": "certificates"}
VAULT_TYPE = "microsoft.keyvault/vaults"


class Vault(NamedTuple):
    """A vault with its subscription and resource group resolved for one environment."""

    subscription_id: str
    resource_group: str
    name: str

    @property
    def label(self) -> str:
        return f"key vault {self.name} (resource group {self.resource_group}, subscription {self.subscription_id})"


def covers(target: Target, vault: Vault, object_type: str, object_name: str, home: tuple[str, str]) -> bool:
    """Whether a role assignment on `target` applies to one object of `vault`. `home` is the
    deployment's (subscription, resource group), which a target without them is in."""
    sub = str(target.subscription_id or home[0]).lower()
    if sub != vault.subscription_id.lower():
        return False
    if target.kind == "subscription":
        return True
    rg = str(target.resource_group or home[1]).lower()
    if rg != vault.resource_group.lower():
        return False
    if target.kind == "resourceGroup":
        return True
    kind, name = target.resource_type.lower(), str(target.resource_name).lower()
    if kind == VAULT_TYPE:
        return name == vault.name.lower()
    return (
        kind == f"{VAULT_TYPE}/{OBJECT_TYPES[object_type]}" and name == f"{vault.name}/{object_name}".lower()
    )
