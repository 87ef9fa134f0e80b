"""Per-environment views -> one template: what all environments share stays literal; what differs
becomes a parameter set per environment; what exists only in some environments gets a condition.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from wlid_render.errors import Path, Problem
from wlid_render.formats import UniqueNames
from wlid_render.plan.model import (
    ClusterPlan,
    EnvironmentPlan,
    FederatedCredential,
    IdentityBindingPlan,
    IdentityPlan,
    Parameter,
    ParamRef,
    RoleAssignment,
    RoleDeployment,
    ServiceAccountPlan,
    Target,
    Value,
)
from wlid_render.plan.names import cluster_key, short_hash
from wlid_render.plan.tags import TagParameters, merged_tags


class EnvView(NamedTuple):
    """What one environment's spec resolved to; entity lists carry their spec positions."""

    environment: EnvironmentPlan
    identities: list[tuple[int, IdentityPlan]]
    accounts: list[tuple[int, ServiceAccountPlan]]


class Merged(NamedTuple):
    identities: list[IdentityPlan]
    parameters: list[Parameter]
    problems: list[Problem]
    clusters: list[ClusterPlan]


def group_roles(spec: str, identity: str, assignments: list[RoleAssignment]) -> list[RoleDeployment]:
    """One nested deployment per target scope (subscription, resource group), in first-use order."""
    groups: dict[tuple[Value | None, Value | None, bool], list[RoleAssignment]] = {}
    for assignment in assignments:
        target = assignment.target
        at_subscription = target.kind == "subscription"
        key = (target.subscription_id, None if at_subscription else target.resource_group, at_subscription)
        groups.setdefault(key, []).append(assignment)
    out = []
    for (sub, rg, at_sub), members in groups.items():
        digest = short_hash(spec, identity, str(sub), str(rg), str(at_sub))
        prefix = f"wlid-roles-{identity}"[:55]
        out.append(RoleDeployment(f"{prefix}-{digest}", sub, rg, at_sub, tuple(members)))
    return out


class _Merger:
    def __init__(self, spec_name: str, views: dict[str, EnvView]):
        self.spec_name = spec_name
        self.views = views
        self.envs = list(views)
        self.out = Merged([], [], [], [])
        self.names = UniqueNames()
        self.tag_parameters = TagParameters(self.envs, self.param_name, self.out.parameters)

    def param_name(self, *parts: str) -> str:
        return self.names.new(re.sub(r"[^A-Za-z0-9_]", "_", "_".join(parts)))

    def condition(self, present: set[str], what: str, *parts: str) -> str | None:
        """A bool parameter, true in the environments where something exists; None when it is everywhere."""
        if present == set(self.envs):
            return None
        name = self.param_name("include", *parts)
        values = tuple((e, e in present) for e in self.envs)
        self.out.parameters.append(Parameter(name, "bool", f"Deploy {what} in this environment.", values))
        return name

    def value(
        self, values: dict[str, str | None], defaults: dict[str, str], what: str, *parts: str
    ) -> Value | None:
        """A literal when every environment agrees, else a string parameter set per environment."""
        distinct = set(values.values())
        if len(distinct) == 1:
            return next(iter(distinct))
        name = self.param_name(*parts)
        filled = tuple((e, values.get(e) or defaults.get(e, "")) for e in self.envs)
        self.out.parameters.append(Parameter(name, "string", what, filled))
        return ParamRef(name)

    def error(self, path: Path, message: str, hint: str = "") -> None:
        self.out.problems.append(Problem(message, path, hint=hint))

    # -- clusters -----------------------------------------------------------------------------------
    def clusters(self) -> None:
        """The clusters of `clusters:` lists, each the same resource wherever it is listed."""
        found: dict[str, dict[str, ClusterPlan]] = {}
        for env, view in self.views.items():
            for cluster in view.environment.clusters:
                found.setdefault(cluster.name.lower(), {})[env] = cluster
        keys = UniqueNames()
        for per_env in found.values():
            first = next(iter(per_env.values()))
            where = ("environments",) if len(self.envs) > 1 else ("clusters",)
            for other in per_env.values():
                if other._replace(name=first.name) != first:
                    self.error(
                        where,
                        f"cluster {first.name!r} is listed with another resource group, subscription or "
                        "issuer in another environment",
                        "a cluster is one resource: list it the same way wherever it appears",
                    )
                    break
            key = keys.new(cluster_key(first.name))
            condition = self.condition(set(per_env), f"what trusts cluster {first.name}", "cluster", key)
            self.out.clusters.append(first._replace(key=key, condition=condition))

    # -- identities ---------------------------------------------------------------------------------
    def identities(self) -> None:
        per_env = {e: dict(v.identities) for e, v in self.views.items()}
        for index in sorted({i for found in per_env.values() for i in found}):
            present = {e: found[index] for e, found in per_env.items() if index in found}
            self.out.identities.append(self.identity(index, present))

    def identity(self, index: int, present: dict[str, IdentityPlan]) -> IdentityPlan:
        plans = list(present.values())
        first = plans[0]
        if any(p.name != first.name for p in plans):
            self.error(
                ("identities", index, "name"),
                "an identity's name cannot differ between environments",
                "use environments: [...] on separate identities instead",
            )
        symbol = first.name
        condition = self.condition(set(present), f"identity {first.name}", symbol)
        credentials = self.credentials(index, present)
        bindings = self.bindings(present, symbol)
        roles = self.roles(index, present, symbol)
        deployments = group_roles(self.spec_name, first.name, roles)
        tags = merged_tags({env: plan.tags for env, plan in present.items()}, self.tag_parameters)
        by_name = {c.name.lower(): c for c in self.out.clusters}
        used = [by_name[f.cluster.lower()] for f in credentials if f.cluster]
        issuers = tuple(dict.fromkeys(c.issuer_parameter for c in used))
        issuer_conditions = tuple(dict.fromkeys(c.condition for c in used if c.condition))
        return first._replace(
            credentials=credentials,
            role_deployments=tuple(deployments),
            condition=condition,
            tags=tags,
            bindings=bindings,
            issuers=issuers,
            issuer_conditions=issuer_conditions,
        )

    def bindings(self, present: dict[str, IdentityPlan], symbol: str) -> tuple[IdentityBindingPlan, ...]:
        """One binding per cluster, conditioned on the environments (of the identity) that have it."""
        by_cluster: dict[str | None, dict[str, IdentityBindingPlan]] = {}
        for env, plan in present.items():
            for binding in plan.bindings:
                by_cluster.setdefault(binding.cluster, {})[env] = binding
        out = []
        for cluster, found in by_cluster.items():
            condition = self.condition(
                set(found) if set(found) != set(present) else set(self.envs),
                f"the identity binding of identity {symbol} on cluster {cluster or '(cluster)'}",
                "ib",
                symbol,
                cluster or "cluster",
            )
            out.append(next(iter(found.values()))._replace(condition=condition))
        return tuple(out)

    def credentials(self, index: int, present: dict[str, IdentityPlan]) -> tuple[FederatedCredential, ...]:
        by_key: dict[tuple[str, str, str], dict[str, FederatedCredential]] = {}
        for env, plan in present.items():
            for fic in plan.credentials:
                by_key.setdefault((fic.namespace, fic.service_account, fic.cluster or ""), {})[env] = fic
        out = []
        for (namespace, account, cluster), found in by_key.items():
            fics = list(found.values())
            if any(f.name != fics[0].name for f in fics):
                self.error(
                    ("identities", index),
                    f"the federated credential name of ServiceAccount {namespace}/{account} differs between "
                    "environments",
                    "FIC names are immutable; keep federatedCredentialName the same everywhere",
                )
            condition = self.condition(
                set(found) if set(found) != set(present) else set(self.envs),
                f"the federated credential of ServiceAccount {namespace}/{account}"
                + (f" for cluster {cluster}" if cluster else ""),
                "sa",
                namespace,
                account,
                *((cluster,) if cluster else ()),
            )
            out.append(fics[0]._replace(condition=condition))
        return tuple(out)

    def roles(self, index: int, present: dict[str, IdentityPlan], symbol: str) -> list[RoleAssignment]:
        by_index: dict[int, dict[str, RoleAssignment]] = {}
        for env, plan in present.items():
            for deployment in plan.role_deployments:
                for assignment in deployment.assignments:
                    by_index.setdefault(assignment.index, {})[env] = assignment
        out = []
        for j in sorted(by_index):
            found = by_index[j]
            first = next(iter(found.values()))
            path = ("identities", index, "roles", j)
            if any(a.role_id != first.role_id for a in found.values()):
                self.error((*path, "role"), "a role cannot differ between environments")
                continue
            kinds = {(a.target.kind, a.target.resource_type.lower()) for a in found.values()}
            if len(kinds) > 1:
                self.error(path, "the kind of a role's target cannot differ between environments")
                continue
            out.append(self.assignment(found, first, symbol, j))
        return out

    def assignment(
        self, found: dict[str, RoleAssignment], first: RoleAssignment, symbol: str, j: int
    ) -> RoleAssignment:
        envs = {e: self.views[e].environment for e in found}
        subs = {e: a.target.subscription_id for e, a in found.items()}
        rgs = {e: a.target.resource_group for e, a in found.items()}
        names = {e: a.target.resource_name for e, a in found.items()}
        descriptions = {a.description for a in found.values()}
        role = f"role {first.role_name!r} of identity {symbol}"
        target = first.target._replace(
            subscription_id=self.value(
                subs,
                {e: v.subscription_id for e, v in envs.items()},
                f"Subscription of the target of {role}.",
                symbol,
                f"role{j + 1}",
                "subscriptionId",
            ),
            resource_group=self.value(
                rgs,
                {e: v.resource_group for e, v in envs.items()},
                f"Resource group of the target of {role}.",
                symbol,
                f"role{j + 1}",
                "resourceGroup",
            )
            if first.target.kind != "subscription"
            else None,
            resource_name=self.value(  # type: ignore[arg-type]
                names, {}, f"Name of the target of {role}.", symbol, f"role{j + 1}", "name"
            )
            if first.target.kind == "resource"
            else "",
            label=first.target.label
            if len({a.target.label for a in found.values()}) == 1
            else _label(first.target),
        )
        description = first.description if len(descriptions) == 1 else None
        if len(descriptions) > 1:
            self.error(
                ("identities",), f"the description of {role} differs between environments", "keep it the same"
            )
        return first._replace(target=target, description=description)


def _label(target: Target) -> str:
    kind = target.label.rsplit(" ", 1)[0] if " " in target.label else target.label
    return f"{kind} (per environment)"


def merge(spec_name: str, views: dict[str, EnvView]) -> Merged:
    merger = _Merger(spec_name, views)
    merger.clusters()
    merger.identities()
    return merger.out
