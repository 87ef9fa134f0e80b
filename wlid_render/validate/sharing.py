"""WI016: environments that deploy an identity as one Azure resource, but not the same identity.

The rule is the render-time one (plan/sharing.py, docs/azure-resources.md "Identities shared by
environments"), read from a rendered tree: `azure/targets.json` names the subscription and resource
group each environment deploys to. Two environments with the same resource group deploy the same
identities, and must deploy them identically: the same region (`location`), the same cluster
(`clusterSubscriptionId`, `clusterResourceGroup`, `clusterName`, and `oidcIssuerUrl` when pinned),
the same tags and the same federated credentials (each environment's conditions applied). A tree
without `azure/targets.json` (rendered before wlid wrote it) is not compared.
"""

from __future__ import annotations

from typing import Any

from wlid_render.validate.azure_tree import (
    UNKNOWN,
    EnvParameters,
    TreeIdentity,
    environment_parameters,
    present,
    resolve,
    tree_identities,
)
from wlid_render.validate.finding import Finding
from wlid_render.validate.templates import top_templates
from wlid_render.validate.tree import RenderedTree

CLUSTER = ("clusterSubscriptionId", "clusterResourceGroup", "clusterName", "oidcIssuerUrl")


def _text(value: Any) -> str:
    return "?" if value is UNKNOWN else str(value)


def _cluster(params: EnvParameters) -> tuple[str, ...]:
    return tuple(
        _text(params.value(name)).lower() if name != "oidcIssuerUrl" else _text(params.value(name))
        for name in CLUSTER
    )


def _fics(identity: TreeIdentity, params: EnvParameters) -> set[tuple[str, str]]:
    return {(f.name.lower(), _text(f.subject)) for f in identity.fics if present(f.condition, params)}


def _tags(identity: TreeIdentity, params: EnvParameters) -> dict[str, str] | None:
    if not isinstance(identity.tags, dict):
        return None if identity.tags is None else {"?": _text(resolve(identity.tags, params))}
    return {str(k).lower(): _text(resolve(v, params)) for k, v in identity.tags.items()}


def _differences(identity: TreeIdentity, a: EnvParameters, b: EnvParameters) -> list[str]:
    out = []
    if a.value("location") != b.value("location"):
        out.append(f"region {a.value('location')} in {a.env}, {b.value('location')} in {b.env}")
    if _cluster(a) != _cluster(b):
        out.append(f"cluster {a.value('clusterName')} in {a.env}, {b.value('clusterName')} in {b.env}")
    fa, fb = _fics(identity, a), _fics(identity, b)
    if fa != fb:
        only_a = ", ".join(sorted(n for n, _ in fa - fb)) or "none"
        only_b = ", ".join(sorted(n for n, _ in fb - fa)) or "none"
        out.append(f"federated credentials only in {a.env}: {only_a}; only in {b.env}: {only_b}")
    if _tags(identity, a) != _tags(identity, b):
        out.append(f"tags differ between {a.env} and {b.env}")
    return out


def check_shared_identities(tree: RenderedTree) -> list[Finding]:
    identities = tree_identities(tree)
    findings: list[Finding] = []
    for template in top_templates(tree):
        by_target: dict[str, list[EnvParameters]] = {}
        for params in environment_parameters(tree, template):
            if params.deploy_to is not None:
                by_target.setdefault(params.deploy_to, []).append(params)
        for target, envs in by_target.items():
            first, *others = envs
            for other in others:
                for identity in (i for i in identities if i.template == template):
                    if not (present(identity.condition, first) and present(identity.condition, other)):
                        continue
                    differences = _differences(identity, first, other)
                    if not differences:
                        continue
                    message = (
                        f"environments {first.env} and {other.env} both deploy identity {identity.name} to "
                        f"{target}, so it is one Azure resource, but not the same identity: "
                        f"{'; '.join(differences)}. The second deployment fails (another region: "
                        "InvalidResourceLocation) or the two overwrite each other (another cluster's issuer: "
                        "AADSTS70021 in the first); give one environment its own resource group"
                    )
                    line = tree.line_of(other.rel, ("parameters", "location"))
                    findings.append(Finding(tree.display(other.rel), line, "WI016", "error", message))
    return findings
