"""Identities that several environments deploy as one Azure resource. Pure.

An identity is the Azure resource /subscriptions/<s>/resourceGroups/<g>/providers/
Microsoft.ManagedIdentity/userAssignedIdentities/<name>, compared ignoring case. Two environments with
the same subscription, resource group and identity name deploy the same resource, and each deployment
writes all of it: its region, its tags and its federated credentials (whose issuer is the deploying
environment's cluster). The rule (docs/azure-resources.md, "Identities shared by environments"):

  environments may share an identity only if they deploy exactly the same identity: the same region,
  the same cluster issuer (the same cluster, and the same pinned `oidcIssuerUrl` or none), the same
  tags and the same federated credentials (names and subjects).

Otherwise the second deployment fails (another region: InvalidResourceLocation), or the environments
overwrite each other (another issuer: the credential keeps the last deployment's issuer and the other
cluster's pods get AADSTS70021; other tags: each deployment replaces the tags; other credentials:
"Issuer and subject combination already exists", or credentials left behind that one environment
does not know). Each difference is reported at both environments' lines. Role assignments are separate
resources and add up; different ones are a warning (W100): both environments' pods get all of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from wlid_render.errors import Path, Problem
from wlid_render.plan.merge import EnvView
from wlid_render.plan.model import EnvironmentPlan, IdentityPlan
from wlid_render.spec.models import Spec

ROLES_DIFFER = "W100"
HINT = (
    "an identity shared by environments must be the same in each; give one environment its own "
    "resource group (environments.<env>.azure.resourceGroup) or subscription"
)


class Deployed(NamedTuple):
    env: str
    index: int  # in the spec's identities
    identity: IdentityPlan
    environment: EnvironmentPlan


def _issuer_source(e: EnvironmentPlan) -> tuple[str, str, str, str]:
    return (
        e.cluster_subscription_id.lower(),
        e.cluster_resource_group.lower(),
        e.cluster_name.lower(),
        e.oidc_issuer_url or "",
    )


def _cluster_text(e: EnvironmentPlan) -> str:
    text = f"cluster {e.cluster_name} in {e.cluster_resource_group}"
    return text + (f", issuer pinned to {e.oidc_issuer_url}" if e.oidc_issuer_url else "")


def _fics(identity: IdentityPlan) -> set[tuple[str, str]]:
    return {(f.name.lower(), f.subject) for f in identity.credentials}


def _tags(identity: IdentityPlan) -> dict[str, str]:
    return {name.lower(): str(value) for name, value in identity.tags}


def _roles(identity: IdentityPlan) -> set[tuple[str, ...]]:
    return {
        (
            a.role_id,
            a.target.kind,
            str(a.target.subscription_id).lower(),
            str(a.target.resource_group).lower(),
            a.target.resource_type.lower(),
            str(a.target.resource_name).lower(),
        )
        for d in identity.role_deployments
        for a in d.assignments
    }


def _override_path(spec: Spec, env: str, section: str, fields: tuple[str, ...]) -> Path:
    """Where an environment sets one of `fields` of azure/cluster, else the spec-wide block."""
    block = getattr(spec.environments[env], section) if env in spec.environments else None
    for field in fields:
        if block is not None and getattr(block, field) is not None:
            return ("environments", env, section, field)
    return (section, fields[0]) if len(fields) == 1 else (section,)


def _listed(items: set[tuple[str, str]]) -> str:
    return ", ".join(f"{name} ({subject})" for name, subject in sorted(items)) or "none"


def _differences(
    a: Deployed, b: Deployed, specs: Mapping[str, Spec]
) -> list[tuple[str, str, dict[str, Path]]]:
    """(what differs, what happens, path per environment) for each difference between two deployments."""
    out: list[tuple[str, str, dict[str, Path]]] = []
    ea, eb = a.environment, b.environment
    if ea.location != eb.location:
        out.append(
            (
                f"in different regions ({ea.location} in {a.env}, {eb.location} in {b.env})",
                "the second deployment fails with InvalidResourceLocation",
                {d.env: _override_path(specs[d.env], d.env, "azure", ("location",)) for d in (a, b)},
            )
        )
    if _issuer_source(ea) != _issuer_source(eb):
        fields = ("name", "resourceGroup", "subscriptionId", "oidcIssuerUrl")
        out.append(
            (
                f"for different clusters ({_cluster_text(ea)} in {a.env}; {_cluster_text(eb)} in {b.env})",
                "each deployment writes its own cluster's issuer into the identity's federated credentials, "
                "and the other cluster's pods get AADSTS70021",
                {d.env: _override_path(specs[d.env], d.env, "cluster", fields) for d in (a, b)},
            )
        )
    fa, fb = _fics(a.identity), _fics(b.identity)
    if fa != fb:
        out.append(
            (
                f"with different federated credentials (only in {a.env}: {_listed(fa - fb)}; "
                f"only in {b.env}: {_listed(fb - fa)})",
                "the deployments overwrite or leave behind each other's credentials",
                {d.env: ("identities", d.index) for d in (a, b)},
            )
        )
    ta, tb = _tags(a.identity), _tags(b.identity)
    if ta != tb:
        names = sorted(n for n in ta.keys() | tb.keys() if ta.get(n) != tb.get(n))
        shown = "; ".join(f"{n}: {ta.get(n)!r} in {a.env}, {tb.get(n)!r} in {b.env}" for n in names[:3])
        out.append(
            (
                f"with different tags ({shown})",
                "each deployment replaces the other's tags",
                {d.env: _tags_path(specs[d.env], d.index, names[0]) for d in (a, b)},
            )
        )
    return out


def _tags_path(spec: Spec, index: int, name: str) -> Path:
    """Where a tag (a lower-case name) of an identity is given: its own tags, else azure.tags."""
    own = {n.lower(): n for n in spec.identities[index].tags}
    if name in own:
        return ("identities", index, "tags", own[name])
    given = {n.lower(): n for n in spec.azure.tags}
    return ("azure", "tags", given[name]) if name in given else ("azure", "tags")


def shared_identities(
    specs: Mapping[str, Spec], views: Mapping[str, EnvView]
) -> tuple[list[Problem], list[Problem]]:
    """(errors, warnings) about identities that environments deploy as one Azure resource."""
    owners: dict[tuple[str, str, str], list[Deployed]] = {}
    for env, view in views.items():
        e = view.environment
        for index, identity in view.identities:
            key = (e.subscription_id.lower(), e.resource_group.lower(), identity.name.lower())
            owners.setdefault(key, []).append(Deployed(env, index, identity, e))
    # One error per pair of environments, difference and place, naming every identity it concerns.
    found: dict[tuple[str, str, str, str, tuple[tuple[str, Path], ...]], list[Deployed]] = {}
    warnings: list[Problem] = []
    for members in owners.values():
        first = members[0]
        for other in members[1:]:
            for what, effect, paths in _differences(first, other, specs):
                key = (first.env, other.env, what, effect, tuple(paths.items()))
                found.setdefault(key, []).extend((first, other))
            if _roles(first.identity) != _roles(other.identity):
                warnings.append(
                    Problem(
                        f"{_pair(first, other, [first.identity.name])} with different role assignments: "
                        "they add up, so the pods of both environments get the roles of both",
                        ("identities", other.index, "roles"),
                        hint=HINT,
                        severity="warning",
                        code=ROLES_DIFFER,
                    )
                )
    errors: list[Problem] = []
    for (_, _, what, effect, paths), pairs in found.items():
        names = [d.identity.name for d in pairs[::2]]
        message = f"{_pair(pairs[0], pairs[1], names)} {what}: {effect}"
        errors += [Problem(message, path, hint=HINT) for _, path in paths]
    return errors, warnings


def _pair(a: Deployed, b: Deployed, names: list[str]) -> str:
    e = a.environment
    which = f"identity {names[0]}" if len(names) == 1 else f"identities {', '.join(names)}"
    return (
        f"environments {a.env!r} and {b.env!r} deploy {which} as the same Azure resource"
        f"{'s' if len(names) > 1 else ''} (resource group {e.resource_group}, subscription {e.subscription_id})"
    )
