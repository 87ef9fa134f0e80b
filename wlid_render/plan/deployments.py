"""How the Azure side is cut into top-level deployments. Pure.

ARM refuses a template over 800 resources, 256 parameters or 4 MB, and a deployment request over its
size limit; what-if gives up past 500 nested templates. A spec whose resources fit one template gets
one deployment, `main`, as always. A larger one is split:

* `main` holds only the opt-in cluster step, the nested deployment that turns on the cluster's OIDC
  issuer and workload identity when an environment asks for it (deploy it first: the other
  deployments read the issuer URL from the cluster);
* `identities-NNN` deployments each hold a group of identities with their FICs and role assignments.

An identity's group is a hash of its name modulo the number of groups, a power of two: the smallest
one that keeps every group within `RESOURCE_BUDGET` resources (counting those of nested templates:
every identity nested deployment, identity, FIC, role deployment and role assignment) and within
`PARAMETER_BUDGET` parameters. Adding or removing an identity moves no other identity, until a group
overflows and the number of groups doubles; then each group splits in two (an identity of group g
stays in g or moves to g + the old number of groups). Moving an identity between deployments changes
nothing in Azure: deployments are incremental and resources are identified by their IDs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from wlid_render.plan.model import AzureDeployment, IdentityPlan, Parameter

RESOURCE_BUDGET = 800  # ARM's per-template limit, here counting nested resources too
PARAMETER_BUDGET = 256  # ARM's per-template limit
MAX_GROUPS = 4096

CLUSTER_PARAMETERS = ("clusterName", "clusterResourceGroup", "clusterSubscriptionId")
MAIN_ONLY_PARAMETERS = ("enableWorkloadIdentity",)
GROUP_PARAMETERS = ("location", *CLUSTER_PARAMETERS, "oidcIssuerUrl")


def weight(identity: IdentityPlan) -> int:
    """Resources one identity adds to a template, those of its nested templates included."""
    roles = sum(1 + len(d.assignments) for d in identity.role_deployments)
    bindings = 2 * len(identity.bindings)  # a nested deployment in the cluster's group and the binding
    return 2 + len(identity.credentials) + roles + bindings  # its nested deployment, the identity, ...


def _parameter_names(identities: Iterable[IdentityPlan]) -> set[str]:
    names: set[str] = set()
    for identity in identities:
        if identity.condition:
            names.add(identity.condition)
        names.update(identity.template_parameters())
        names.update(identity.issuer_conditions)
    return names


def bucket(identity: str, groups: int) -> int:
    """The group of an identity among `groups` (a power of two): stable across runs and machines."""
    digest = hashlib.sha256(identity.lower().encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % groups


def _fits(identities: list[IdentityPlan], cluster: bool, shared: int) -> bool:
    resources = sum(weight(i) for i in identities) + (2 if cluster else 0)
    return resources <= RESOURCE_BUDGET and shared + len(_parameter_names(identities)) <= PARAMETER_BUDGET


def stem(group: int, groups: int) -> str:
    return f"identities-{group:0{max(3, len(str(groups - 1)))}d}"


def plan_deployments(
    spec_name: str,
    identities: tuple[IdentityPlan, ...],
    parameters: tuple[Parameter, ...],
    cluster_update: bool,
) -> tuple[AzureDeployment, ...]:
    """The top-level deployments of a plan, `main` first, then the identity groups by number."""
    main_name = f"wlid-{spec_name}"
    everything = list(identities)
    if _fits(everything, cluster_update, len(parameters) - len(_parameter_names(everything))):
        return (AzureDeployment("main", main_name, identities, cluster_update, parameters),)
    by_name = {p.name: p for p in parameters}
    shared = [by_name[n] for n in GROUP_PARAMETERS if n in by_name]
    groups = 2
    while True:
        members: dict[int, list[IdentityPlan]] = {}
        for identity in identities:
            members.setdefault(bucket(identity.name, groups), []).append(identity)
        if groups >= MAX_GROUPS or all(_fits(m, False, len(shared)) for m in members.values()):
            break
        groups *= 2
    main_names = {*CLUSTER_PARAMETERS, *MAIN_ONLY_PARAMETERS, "oidcIssuerUrl"}
    main = AzureDeployment(
        "main",
        main_name,
        (),
        cluster_update,
        tuple(p for p in parameters if p.name in main_names),
        outputs_identities=False,
    )
    out = [main]
    for group in sorted(members):
        names = _parameter_names(members[group]) | set(GROUP_PARAMETERS)
        group_stem = stem(group, groups)
        out.append(
            AzureDeployment(
                group_stem,
                f"{main_name}.{group_stem}",
                tuple(members[group]),
                False,
                tuple(p for p in parameters if p.name in names),
            )
        )
    return tuple(out)
