"""Key Vault data actions and the built-in roles that grant them (a leaf: plan and validate use it).

What the Azure Key Vault provider of the Secrets Store CSI driver calls per object type
(secrets-store-csi-driver-provider-azure, pkg/provider/keyvault.go): `secret` GetSecret (also for a
certificate read as a secret, with its private key), `key` GetKey, `cert` GetCertificate. The data
actions of those calls are the Key Vault RBAC data actions below; the built-in roles that grant any
Key Vault data action are bundled in data/keyvault_roles.json, matched with wildcards as Azure does.
Vaults in access-policy mode do not use roles at all: they are out of scope (docs/keyvault.md).
"""

from __future__ import annotations

import json
import re
from functools import lru_cache

from wlid_render.formats import DATA, builtin_roles

DATA_ACTIONS = {
    "secret": "Microsoft.KeyVault/vaults/secrets/getSecret/action",
    "key": "Microsoft.KeyVault/vaults/keys/read",
    "cert": "Microsoft.KeyVault/vaults/certificates/read",
}


@lru_cache(maxsize=1)
def _roles() -> dict[str, tuple[str, tuple[str, ...]]]:
    """Role GUID -> (name, its Key Vault data actions), for the built-in roles that have any."""
    text = (DATA / "keyvault_roles.json").read_text("utf-8")
    return {guid: (r["name"], tuple(r["dataActions"])) for guid, r in json.loads(text)["roles"].items()}


@lru_cache(maxsize=64)
def _pattern(action: str) -> re.Pattern[str]:
    # Azure matches data actions case-insensitively; `*` stands for any characters, '/' included.
    return re.compile(".*".join(re.escape(part) for part in action.split("*")), re.IGNORECASE)


@lru_cache(maxsize=1)
def builtin_role_ids() -> frozenset[str]:
    """The GUIDs of every built-in role (data/builtin_roles.json), lower case."""
    return frozenset(guid.lower() for guid in builtin_roles().values())


def grants(patterns: tuple[str, ...], action: str) -> bool:
    return any(_pattern(p).fullmatch(action) for p in patterns)


def role_grants(role_id: str, action: str, builtin: bool) -> bool | None:
    """Whether the role grants `action`; None for a role wlid does not know (a custom role)."""
    found = _roles().get(role_id.lower())
    if found is not None:
        return grants(found[1], action)
    return False if builtin else None


def _weight(action: str) -> int:
    return 1 if action.lower().endswith("/read") else 2  # a read reveals less than an action or write


@lru_cache(maxsize=8)
def least_privileged(types: frozenset[str]) -> tuple[str, str]:
    """(name, GUID) of the built-in role that grants the data actions of every object type in `types`
    and the fewest other Key Vault data actions (weighted: a read counts less than an action)."""
    needed = [DATA_ACTIONS[t] for t in sorted(types)]
    known = {a for _, actions in _roles().values() for a in actions if "*" not in a}
    best: tuple[int, str, str] | None = None
    for guid, (name, actions) in _roles().items():
        if not all(grants(actions, a) for a in needed):
            continue
        score = sum(_weight(a) for a in known if grants(actions, a))
        score += sum(100 for a in actions if "*" in a and not any(_pattern(a).fullmatch(k) for k in known))
        if best is None or (score, name) < best[:2]:
            best = (score, name, guid)
    assert best is not None, "Key Vault Administrator grants every Key Vault data action"
    return best[1], best[2]
