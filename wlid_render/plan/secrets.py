"""Values that look like credentials. The spec has no field for a secret; one that slips into an env
value or a command argument is refused, so that it never reaches a Git repository."""

from __future__ import annotations

import re
from functools import cache
from typing import NamedTuple


class _Credential(NamedTuple):
    kind: str
    pattern: str
    # Text that every match holds (lower-case: looked for in the lower-cased value); an ASCII value
    # without any of it cannot match, so the pattern is compiled only once a value holds one.
    needles: tuple[str, ...]


_CREDENTIALS = (
    _Credential("a PEM private key or certificate", r"-----BEGIN [A-Z0-9 ]+-----", ("-----begin ",)),
    _Credential(
        "a JSON Web Token",
        r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*",
        ("eyj",),
    ),
    _Credential(
        "an Azure storage connection string or account key",
        r"(?i)\bAccountKey=[A-Za-z0-9+/]{20,}|(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{86}==(?![A-Za-z0-9+/=])",
        ("accountkey=", "=="),
    ),
    _Credential("a shared access signature", r"(?i)(?:^|[?&])sig=[A-Za-z0-9%+/]{20,}", ("sig=",)),
    _Credential(
        "a Microsoft Entra client secret",
        r"(?<![A-Za-z0-9_~.-])[A-Za-z0-9_~.-]{3}\dQ~[A-Za-z0-9_~.-]{31,34}(?![A-Za-z0-9_~.-])",
        ("q~",),
    ),
    _Credential(
        "a connection string with a key or password",
        r"(?i)\b(?:SharedAccessKey|Password|Pwd)=[^;\s]{8,}",
        ("sharedaccesskey=", "password=", "pwd="),
    ),
)


_compiled = cache(re.compile)  # each pattern once, when a value first needs it


def credential_kind(value: str) -> str | None:
    """What credential `value` looks like, or None."""
    # For ASCII text, case-insensitive matching is lower-case comparison; beyond it, some characters
    # match ASCII letters case-insensitively (the Kelvin sign, the long s), so every pattern runs.
    folded = value.lower() if value.isascii() else None
    for credential in _CREDENTIALS:
        if folded is not None and not any(needle in folded for needle in credential.needles):
            continue
        if _compiled(credential.pattern).search(value):
            return credential.kind
    return None
