"""The catalogue of render-time warnings: stable codes and what each is about.

A warning is a `Problem(..., severity="warning", code=...)`; its code lets a user silence it per code
(`metadata.ignoreWarnings` in the spec, `--ignore` on the command line). Codes are never reused.
"""

from __future__ import annotations

WARNINGS: dict[str, str] = {
    "W100": "Environments share an identity but grant it different roles",
}
