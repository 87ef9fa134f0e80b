"""Names that wlid derives: placeholders, FIC names, deployment names. Stable across runs."""

from __future__ import annotations

import hashlib
import re


def placeholder_for(identity: str) -> str:
    """The Flux post-build variable that carries an identity's client ID."""
    return "${WLID_CLIENT_ID_" + re.sub(r"[^A-Za-z0-9]", "_", identity).upper() + "}"


def short_hash(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:8]


def derived_fic_name(namespace: str, service_account: str) -> str:
    name = re.sub(r"[^a-zA-Z0-9_-]", "-", f"{namespace}-{service_account}")
    if len(name) > 120:
        name = f"{name[:111]}-{short_hash(namespace, service_account)}"
    return name


def deployment_name(spec: str, identity: str) -> str:
    """`wlid-id-<identity>`, at most 64 characters (ARM's limit), unique per identity name ignoring case.

    Deployment names start `wlid-id-`, `wlid-roles-` or `wlid-cluster-`, so that they never collide.
    """
    name = f"wlid-id-{identity}"
    if len(name) > 64:
        name = f"{name[:55]}-{short_hash(spec, identity.lower())}"
    return name
