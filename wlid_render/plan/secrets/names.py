"""Names that say they hold a credential (`DB_PASSWORD`, `clientSecret`, `GITHUB_TOKEN`, `API_KEY`)."""

from __future__ import annotations

import re
from functools import cache

SECRET_WORDS = frozenset(
    {
        "password",
        "passwd",
        "passphrase",
        "secret",
        "secrets",
        "token",
        "tokens",
        "apikey",
        "accesskey",
        "secretkey",
        "privatekey",
        "credential",
        "credentials",
        "pat",
        "sas",
    }
)
# `*_KEY` names that hold no credential: what the key is of.
NOT_SECRET_KEYS = frozenset(
    {
        "blob",
        "cache",
        "column",
        "dedup",
        "dedupe",
        "feature",
        "foreign",
        "group",
        "hash",
        "idempotency",
        "index",
        "label",
        "lookup",
        "map",
        "message",
        "metric",
        "object",
        "partition",
        "primary",
        "public",
        "range",
        "routing",
        "row",
        "shard",
        "sort",
        "sorting",
        "translation",
    }
)
NAMED_MAPS = frozenset({"env", "vars", "labels", "annotations", "tags"})  # mappings whose keys a user names
# Values that hold no credential under any name: empty, a `$(VAR)` or `${VAR}` reference, a flag.
NOT_A_VALUE = r"|\$\([A-Za-z_][A-Za-z0-9_]*\)|\$\{[A-Za-z_][A-Za-z0-9_]*\}|true|false|yes|no|on|off|[01]"


@cache
def names_a_secret(name: str) -> bool:
    """Whether a name says it holds a credential: its last word (DB_PASSWORD, clientSecret, api-key)."""
    words = re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+", name.rsplit("/", 1)[-1])
    if not words:
        return False
    last = words[-1].lower()
    if last in SECRET_WORDS:
        return True
    return last == "key" and len(words) > 1 and words[-2].lower() not in NOT_SECRET_KEYS
