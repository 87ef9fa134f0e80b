"""The catalogue of render-time warnings: stable codes and what each is about.

A warning is a `Problem(..., severity="warning", code=...)`; its code lets a user silence it per code
(`metadata.ignoreWarnings` in the spec, `--ignore` on the command line). Codes are never reused.
docs/warnings.md explains each one; a test keeps its table equal to this catalogue.

W001-W099 are about the spec as a whole, its environments and its roles; other parts of wlid take
codes from W100 up.
"""

from __future__ import annotations

from collections.abc import Iterable

from wlid_render.errors import Problem

WARNINGS: dict[str, str] = {
    "W001": "Client IDs not pinned: the overlay carries placeholders",
    "W002": "Region without federated identity credentials on user-assigned identities",
    "W003": "Deployment outputs name an identity the spec does not declare",
    "W004": "Broad role: it allows every action or can grant roles to others",
    "W005": "Broad scope: a role on a whole subscription or resource group",
    "W006": "No gitops block: no Flux or Argo CD objects are rendered",
    "W100": "Environments share an identity but grant it different roles",
    "W250": "A container sets an environment variable the workload identity webhook would set",
    "W300": "Key Vault access not proven: the identity holds a custom role on the vault",
}


def unknown_code_hint(code: str) -> str | None:
    """None for a code of the catalogue; else what to say about it (the closest codes)."""
    if code in WARNINGS:
        return None
    from wlid_render.suggest import did_you_mean

    guess = did_you_mean(code, WARNINGS)
    return f"did you mean {guess}?" if guess else f"known codes: {', '.join(WARNINGS)}"


def without_ignored(warnings: Iterable[Problem], ignored: Iterable[str]) -> tuple[Problem, ...]:
    """The warnings whose code is not one of `ignored` (errors always stay)."""
    skip = frozenset(ignored)
    return tuple(w for w in warnings if w.severity == "error" or w.code not in skip)
