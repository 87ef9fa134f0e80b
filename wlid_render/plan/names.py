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


def cluster_fic_name(base: str, cluster: str) -> str:
    """The FIC of a ServiceAccount for one cluster of a `clusters:` list: `<base>-<cluster>`, at most
    120 characters (the FIC limit); a longer one keeps its start and a hash of both parts: the rule
    of `derived_fic_name`."""
    return derived_fic_name(base, cluster)


_BINDING = re.compile(r"[a-z][a-z0-9]{0,62}")


def binding_name(identity: str) -> str:
    """The identity binding of an identity (`^[a-z][a-z0-9]{0,63}$`, at most 63 characters): the identity's
    name in lower case when it fits, else its letters and digits with a hash of the name (so that
    `shop-api` and `shopapi` do not collide)."""
    lower = identity.lower()
    if _BINDING.fullmatch(lower):
        return lower
    kept = re.sub(r"[^a-z0-9]", "", lower)
    if not kept[:1].isalpha():
        kept = "id" + kept
    return f"{kept[:54]}{short_hash('binding', lower)}"


def binding_deployment_name(identity: str, cluster: str | None) -> str:
    """`wlid-ib-<identity>[-<cluster>]`, at most 64 characters, unique per (identity, cluster)."""
    name = f"wlid-ib-{identity}" + (f"-{cluster}" if cluster else "")
    if len(name) > 64:
        name = f"{name[:55]}-{short_hash(identity.lower(), (cluster or '').lower())}"
    return name


def cluster_key(cluster: str) -> str:
    """A cluster's name as a template parameter part (letters, digits, '_')."""
    return re.sub(r"[^A-Za-z0-9_]", "_", cluster)
