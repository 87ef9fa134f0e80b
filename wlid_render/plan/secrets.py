"""Values that look like credentials. The spec has no field for a secret; one that slips into an env
value or a command argument is refused, so that it never reaches a Git repository."""

from __future__ import annotations

import re

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("a PEM private key or certificate", re.compile(r"-----BEGIN [A-Z0-9 ]+-----")),
    ("a JSON Web Token", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*")),
    (
        "an Azure storage connection string or account key",
        re.compile(
            r"(?i)\bAccountKey=[A-Za-z0-9+/]{20,}|(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{86}==(?![A-Za-z0-9+/=])"
        ),
    ),
    ("a shared access signature", re.compile(r"(?i)(?:^|[?&])sig=[A-Za-z0-9%+/]{20,}")),
    (
        "a Microsoft Entra client secret",
        re.compile(r"(?<![A-Za-z0-9_~.-])[A-Za-z0-9_~.-]{3}\dQ~[A-Za-z0-9_~.-]{31,34}(?![A-Za-z0-9_~.-])"),
    ),
    (
        "a connection string with a key or password",
        re.compile(r"(?i)\b(?:SharedAccessKey|Password|Pwd)=[^;\s]{8,}"),
    ),
)


def credential_kind(value: str) -> str | None:
    """What credential `value` looks like, or None."""
    for kind, pattern in _PATTERNS:
        if pattern.search(value):
            return kind
    return None
