"""What exists in Azure -> a commented wlid spec that re-renders to the same Azure state. Pure.

Imported: every user-assigned identity of the resource group (its name; the region from the identity),
and as a `serviceAccounts` entry each FIC that trusts the cluster's issuer (compared exactly) for a
subject `system:serviceaccount:<namespace>:<name>` with the audience `api://AzureADTokenExchange`
alone; `federatedCredentialName` is kept unless it equals the name wlid derives. Client IDs are pinned
under `environments.default.clientIds`.

Everything else is listed as a comment where it belongs, never dropped silently: FICs of other issuers
(GitHub Actions, other clusters), other subjects or audiences, a second identity for one ServiceAccount,
identities in another region or that wlid cannot name. Role assignments are imported when they were
read (`wlid import` reads them): each as a `roles` entry of its identity (the built-in role's name, the
target as a key vault/storage account/... name, a resource group, the subscription or a resource ID),
with a comment when it was assigned by hand (its first deployment then fails with RoleAssignmentExists
until it is deleted); assignments with a condition or outside a subscription are comments. Workloads
are not read.

The spec is built as text so that it can carry comments; every value, in comments too, goes through
`yaml.safe_dump` as a scalar that stays on its line. The result is loaded and planned by wlid before it
is returned.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from wlid_render.brownfield.azure_errors import BrownfieldError
from wlid_render.brownfield.import_text import Account, Skipped, SpecWriter
from wlid_render.brownfield.spec_values import scalar, valid
from wlid_render.brownfield.state import AzureState, FicState, IdentityState
from wlid_render.plan.model import AUDIENCE
from wlid_render.plan.names import placeholder_for

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
SUBJECT = re.compile(r"system:serviceaccount:([^:]*):([^:]*)")


@dataclass(frozen=True)
class Imported:
    """The spec text and what went into it."""

    text: str
    name: str  # metadata.name
    identities: tuple[str, ...]
    credentials: int  # FICs imported as serviceAccounts entries
    skipped: tuple[Skipped, ...]


def import_spec(state: AzureState, *, name: str | None = None) -> str:
    """The commented spec (YAML text) for `state`; see `build_import`."""
    return build_import(state, name=name).text


def build_import(state: AzureState, *, name: str | None = None) -> Imported:
    """A spec for what exists: `state` must hold the cluster (see azure.read_state).

    `name` is the spec's metadata.name (default: from the resource group). Raises BrownfieldError when
    nothing can be imported or the name is not a valid spec name.
    """
    cluster = state.cluster
    if cluster is None:
        raise BrownfieldError("an import needs the cluster whose issuer the credentials trust (--cluster)")
    spec_name = name if name is not None else _spec_name(state.resource_group)
    if not valid("spec", spec_name):
        raise BrownfieldError(
            f"{spec_name!r} is not a valid spec name (lower-case letters, digits and '-', at most 40 characters)"
        )
    skipped: list[Skipped] = []
    location = _region(state.identities)
    kept: list[IdentityState] = []
    holders: dict[str, str] = {}
    for identity in state.identities:
        reason = _identity_problem(identity, location, holders)
        if reason:
            skipped.append(Skipped(identity.name, None, reason))
            continue
        holders[placeholder_for(identity.name)] = identity.name
        kept.append(identity)
    if not kept:
        why = (
            "; ".join(f"{scalar(s.identity)}: {s.reason}" for s in skipped)
            or "it holds no user-assigned identity"
        )
        raise BrownfieldError(f"nothing to import from resource group {state.resource_group!r}: {why}")

    accounts: list[Account] = []
    bound: dict[tuple[str, str], str] = {}
    for identity in kept:
        for fic in identity.credentials:
            reason = _fic_problem(fic, cluster.issuer_url)
            match = SUBJECT.fullmatch(fic.subject)
            if reason is None and match:
                key = (match.group(1), match.group(2))
                if key in bound:
                    reason = (
                        f"ServiceAccount {key[0]}/{key[1]} is already imported for identity {bound[key]}: "
                        "a ServiceAccount carries one identity's client ID"
                    )
                else:
                    bound[key] = identity.name
                    accounts.append(Account(key[0], key[1], identity.name, fic.name))
            if reason:
                skipped.append(Skipped(identity.name, fic.name, reason))
    for identity in state.identities:  # FICs of identities that were not imported
        if identity not in kept:
            skipped += [
                Skipped(identity.name, f.name, "its identity is not imported") for f in identity.credentials
            ]

    text = SpecWriter(state, cluster, spec_name, location, kept, accounts, skipped).text()
    _check(text)
    return Imported(text, spec_name, tuple(i.name for i in kept), len(accounts), tuple(skipped))


# -- what can be imported ---------------------------------------------------------------------------


def _spec_name(resource_group: str) -> str:
    name = re.sub(r"[^a-z0-9]+", "-", resource_group.lower()).strip("-")[:40].strip("-")
    return name or "imported"


def _region(identities: tuple[IdentityState, ...]) -> str:
    """The region of most identities (a spec deploys all its identities to one region per environment)."""
    counts = Counter(i.location for i in identities if valid("location", i.location))
    if not counts:
        return ""
    return min(counts, key=lambda loc: (-counts[loc], loc))


def _identity_problem(identity: IdentityState, location: str, holders: dict[str, str]) -> str | None:
    if not valid("identity", identity.name):
        return "wlid cannot hold this name (3-128 letters, digits, '-', '_'; starts alphanumeric)"
    if identity.location != location:
        region = scalar(identity.location) if identity.location else "(none)"
        return (
            f"it is in region {region}, the spec deploys to {location}: Azure does "
            "not move an identity between regions; import it into a spec of its own"
        )
    other = holders.get(placeholder_for(identity.name))
    if other is not None:
        return (
            f"its client ID placeholder {placeholder_for(identity.name)} is the same as identity {other}'s; "
            "one spec cannot hold both"
        )
    return None


def _fic_problem(fic: FicState, issuer: str | None) -> str | None:
    """Why a FIC is not imported, or None when it is a ServiceAccount of this cluster."""
    if issuer is None:
        return f"issuer {scalar(fic.issuer)}: the cluster's OIDC issuer is off, so no FIC can trust it yet"
    if fic.issuer != issuer:
        if fic.issuer == GITHUB_ISSUER or fic.issuer == GITHUB_ISSUER + "/":
            what = "GitHub Actions"
        elif fic.issuer.rstrip("/") == issuer.rstrip("/"):
            what = (
                "the cluster's issuer without its exact trailing '/' (tokens carry the exact issuer, so "
                "this FIC never matches one)"
            )
        elif ".oic.prod-aks.azure.com/" in fic.issuer:
            what = "another AKS cluster"
        else:
            what = "another issuer"
        return f"{what}: issuer {scalar(fic.issuer)}, subject {scalar(fic.subject)}"
    match = SUBJECT.fullmatch(fic.subject)
    if not match or not (valid("dns_label", match.group(1)) and valid("dns_subdomain", match.group(2))):
        return f"subject {scalar(fic.subject)} is not system:serviceaccount:<namespace>:<name>"
    if fic.audiences != (AUDIENCE,):
        shown = ", ".join(scalar(a) for a in fic.audiences) or "(none)"
        return f"audience {shown}, not {AUDIENCE} alone (wlid writes that one)"
    if not valid("fic", fic.name):
        return "wlid cannot hold this FIC name (3-120 letters, digits, '-', '_'; starts alphanumeric)"
    return None


def _check(text: str) -> None:
    """The spec must load and plan; a failure here is a bug, reported without a traceback."""
    from wlid_render.errors import SpecError
    from wlid_render.plan.source import plan_source
    from wlid_render.spec.load import load_text

    try:
        plan_source(load_text(text, "imported.yaml"))
    except SpecError as exc:
        problems = "; ".join(p.format() for p in exc.problems)
        raise BrownfieldError(f"the imported spec does not plan, please report this: {problems}") from None
