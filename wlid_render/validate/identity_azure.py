"""Workload identity rules on the Azure side of a tree: the federated credentials and managed
identities its templates deploy, and the parameters files they are deployed with (WI004-WI007, WI009,
WI012, WI014).

The Azure side is every top-level template of the tree (main.json and the identities-NNN.json groups
of a split tree), read by the ARM template reader.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from typing import Any

from wlid_render.formats import FIC_NAME_PATTERN, IDENTITY_NAME_PATTERN
from wlid_render.validate.arm_template import (
    BINDING_TYPE,
    FIC_TYPE,
    IDENTITY_TYPE,
    ArmTemplate,
    JsonPath,
    template_file,
)
from wlid_render.validate.finding import TreeFindings
from wlid_render.validate.templates import parameters_files, top_templates
from wlid_render.validate.tree import RenderedTree

AUDIENCE = "api://AzureADTokenExchange"
FIC_NAME = re.compile(FIC_NAME_PATTERN)
IDENTITY_NAME = re.compile(IDENTITY_NAME_PATTERN)
MAX_FICS = 20

Scope = tuple[tuple[str, str], ...]  # (subscriptionId, resourceGroup) of each enclosing deployment


@dataclass(frozen=True)
class Fic:
    identity: str
    name: str
    subject: Any
    issuer: Any
    audiences: Any
    path: JsonPath
    rel: str  # the top-level template that holds it


@dataclass(frozen=True)
class Identity:
    name: str
    scope: Scope  # where its nested deployments put it, as written
    path: JsonPath
    rel: str


@dataclass
class AzureSide:
    """The federated credentials and managed identities of every top-level template of a tree."""

    templates: int = 0
    fics: list[Fic] = field(default_factory=list)
    identities: list[Identity] = field(default_factory=list)
    bindings: int = 0  # identityBindings resources (AKS identity bindings)


def _read_template(side: AzureSide, rel: str, arm: ArmTemplate) -> None:
    for template in arm.walk():
        scope = tuple(
            (str(d.raw.get("subscriptionId", "")), str(d.raw.get("resourceGroup", "")))
            for d in template.enclosing
        )
        for resource in template.members:
            if str(resource.raw.get("type", "")).lower() == BINDING_TYPE:
                side.bindings += 1
            key = resource.key
            if key is None:
                continue
            if key[0] == FIC_TYPE and "/" in key[1]:
                identity, name = key[1].split("/", 1)
                props = resource.properties
                side.fics.append(
                    Fic(
                        identity,
                        name,
                        props.get("subject"),
                        props.get("issuer"),
                        props.get("audiences"),
                        resource.path,
                        rel,
                    )
                )
            elif key[0] == IDENTITY_TYPE:
                side.identities.append(Identity(key[1], scope, resource.path, rel))


def azure_side(tree: RenderedTree) -> AzureSide:
    side = AzureSide()
    for template in top_templates(tree):
        side.templates += 1
        arm = template_file(tree, template.json)
        if arm is not None:
            _read_template(side, template.json, arm)
    return side


class AzureRules:
    """The rules of the Azure side, adding to the findings of the tree."""

    def __init__(self, tree: RenderedTree, findings: TreeFindings, regions: frozenset[str]):
        self.tree = tree
        self.add = findings.add
        self.regions = regions

    def credentials(self, side: AzureSide) -> None:
        """WI004 audiences, WI005 too many credentials, WI006 one issuer and subject twice, WI007 names."""
        by_identity: dict[str, list[Fic]] = {}
        pairs: dict[tuple[str, str, str], Fic] = {}
        for fic in side.fics:
            by_identity.setdefault(fic.identity, []).append(fic)
            if not FIC_NAME.fullmatch(fic.name):
                self.add(
                    "WI007",
                    "error",
                    f"federated credential name {fic.name!r} breaks Azure's rule "
                    "(3-120 letters, digits, '-', '_'; starts alphanumeric)",
                    fic.rel,
                    fic.path,
                )
            if fic.audiences != [AUDIENCE]:
                self.add(
                    "WI004",
                    "error",
                    f"federated credential {fic.identity}/{fic.name}: audiences must be "
                    f"[{AUDIENCE!r}], got {fic.audiences!r}",
                    fic.rel,
                    (*fic.path, "properties"),
                )
            key = (fic.identity, str(fic.issuer), str(fic.subject))
            if key in pairs:
                self.add(
                    "WI006",
                    "error",
                    f"identity {fic.identity}: credentials {pairs[key].name} and {fic.name} "
                    f"have the same issuer and subject {fic.subject}; Azure refuses the second",
                    fic.rel,
                    fic.path,
                )
            pairs[key] = fic
        for identity, members in by_identity.items():
            if len(members) > MAX_FICS:
                self.add(
                    "WI005",
                    "error",
                    f"identity {identity} has {len(members)} federated credentials; Azure allows {MAX_FICS}",
                    members[MAX_FICS].rel,
                    members[MAX_FICS].path,
                )

    def identities(self, identities: list[Identity]) -> None:
        """WI007 names; WI014 an identity that two top-level templates deploy at the same place."""
        first: dict[tuple[str, Scope], Identity] = {}
        for identity in identities:
            if not IDENTITY_NAME.fullmatch(identity.name):
                self.add(
                    "WI007",
                    "error",
                    f"managed identity name {identity.name!r} breaks Azure's rule "
                    "(3-128 letters, digits, '-', '_'; starts alphanumeric)",
                    identity.rel,
                    identity.path,
                )
            seen = first.setdefault((identity.name.lower(), identity.scope), identity)
            if seen.rel != identity.rel:
                self.add(
                    "WI014",
                    "error",
                    f"managed identity {identity.name} is also deployed by "
                    f"{posixpath.basename(seen.rel)}; two top-level deployments would race to write it "
                    "and its federated credentials",
                    identity.rel,
                    identity.path,
                )

    def parameters(self) -> None:
        for rel in parameters_files(self.tree):
            values = (self.tree.json(rel) or {}).get("parameters", {}) or {}
            issuer = (values.get("oidcIssuerUrl") or {}).get("value")
            if (
                isinstance(issuer, str)
                and issuer
                and not (issuer.startswith("https://") and issuer.endswith("/"))
            ):
                self.add(
                    "WI009",
                    "error",
                    f"pinned issuer URL {issuer!r} must start with https:// and end with '/' "
                    "(AADSTS70021 otherwise)",
                    rel,
                    ("parameters", "oidcIssuerUrl", "value"),
                )
            location = (values.get("location") or {}).get("value")
            if isinstance(location, str) and location.lower() in self.regions:
                self.add(
                    "WI012",
                    "warning",
                    f"region {location} does not support federated credentials on "
                    "user-assigned identities (405 from Azure)",
                    rel,
                    ("parameters", "location", "value"),
                )
