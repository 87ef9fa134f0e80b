"""The text of an imported spec (pure): every line written one by one, with comments where something
that exists in Azure is not imported. Every value from Azure reaches a line through `scalar`; a line
that would still break is refused, not written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from wlid_render.brownfield.azure_errors import BrownfieldError
from wlid_render.brownfield.roles import made_by_a_template
from wlid_render.brownfield.spec_values import scalar, valid
from wlid_render.brownfield.state import AzureState, ClusterState, IdentityState
from wlid_render.formats import DEFAULT_ENVIRONMENT
from wlid_render.plan.names import derived_fic_name
from wlid_render.plan.roles import resolve_role

ENVIRONMENT = DEFAULT_ENVIRONMENT
# Characters that end a line for some YAML reader (YAML 1.1 also breaks at NEL, LS and PS) or that a
# terminal interprets: none may reach the written spec unescaped.
_LINE_BREAKING = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff]")


@dataclass(frozen=True)
class Skipped:
    """Something that exists in Azure and is listed as a comment instead of imported."""

    identity: str
    fic: str | None  # None: the whole identity
    reason: str  # values from Azure in it are already YAML scalars on one line

    @property
    def label(self) -> str:
        """`identity` or `identity/fic`, each as a one-line scalar: safe to print on a terminal."""
        what = scalar(self.identity)
        return f"{what}/{scalar(self.fic)}" if self.fic is not None else what


@dataclass(frozen=True)
class Account:
    """A ServiceAccount imported from a FIC that trusts the cluster: a `serviceAccounts` entry."""

    namespace: str
    name: str
    identity: str
    fic: str


_SCOPE = re.compile(
    r"/subscriptions/(?P<sub>[^/]+)(?:/resourceGroups/(?P<rg>[^/]+)(?:/providers/(?P<rest>[^/].*))?)?"
)


def role_target(scope: str, state: AzureState) -> tuple[list[str] | None, str | None]:
    """The spec lines of a role target for `scope` (a `roles` entry's keys), or (None, why not)."""
    from wlid_render.plan.targets import KIND_BY_TYPE, TargetError, parse_resource_id

    match = _SCOPE.fullmatch(scope)
    if not match or not valid("uuid", match["sub"]):
        return None, "its scope is not in a subscription (wlid grants roles on subscriptions and below)"
    same = match["sub"].lower() == state.subscription_id.lower()
    rg, rest = match["rg"], match["rest"]
    if rg is None and same:
        return ["subscription: true"], None
    if rg is not None and rest is None and same and valid("resource_group", rg):
        return [f"resourceGroup: {scalar(rg)}"], None
    if rest is not None and same and valid("resource_group", rg):
        parts = rest.split("/")
        kind = KIND_BY_TYPE.get("/".join(parts[:2]).lower()) if len(parts) == 3 else None
        if kind is not None and re.fullmatch(kind.pattern, parts[2]):
            if rg == state.resource_group:
                return [f"{kind.key}: {scalar(parts[2])}"], None
            return [f"{kind.key}: {{name: {scalar(parts[2])}, resourceGroup: {scalar(rg)}}}"], None
    try:
        parse_resource_id(scope)
    except TargetError as exc:
        return None, str(exc)
    return [f"resourceId: {scalar(scope)}"], None


class SpecWriter:
    """The spec's text, section by section: header, azure, cluster, identities (with their roles and what
    is not imported), serviceAccounts, workloads and the environment's pinned client IDs."""

    def __init__(
        self,
        state: AzureState,
        cluster: ClusterState,
        name: str,
        location: str,
        identities: list[IdentityState],
        accounts: list[Account],
        skipped: list[Skipped],
    ):
        self.state = state
        self.cluster = cluster
        self.name = name
        self.location = location
        self.identities = identities
        self.accounts = accounts
        self.skipped = skipped
        self.lines: list[str] = []

    def add(self, line: str) -> None:
        """One line of the spec. Every value from Azure reaches it through `scalar`; a line break or
        control character here would let a value add YAML of its own, so it is refused, not written."""
        if _LINE_BREAKING.search(line):
            raise BrownfieldError(
                f"refusing to write the imported spec: a value read from Azure would break a line ({line[:80]!r})"
            )
        self.lines.append(line.rstrip())

    def text(self) -> str:
        self.header()
        self.add("apiVersion: wlid/v1")
        self.add("kind: WorkloadIdentitySpec")
        self.add("metadata:")
        self.add(f"  name: {scalar(self.name)}")
        self.azure()
        self.cluster_section()
        self.identity_section()
        self.account_section()
        self.add("workloads: []  # not read from Azure: add the workloads that run as these ServiceAccounts")
        self.environments()
        return "\n".join(self.lines) + "\n"

    def header(self) -> None:
        state, cluster = self.state, self.cluster
        fics = sum(1 for s in self.skipped if s.fic is not None)
        whole = sum(1 for s in self.skipped if s.fic is None)
        issuer = scalar(cluster.issuer_url) if cluster.issuer_url else "off"
        self.add(
            "# A wlid spec imported from Azure by `wlid import` (read-only: nothing in Azure was changed)."
        )
        self.add("#")
        self.add(
            f"# Identities: resource group {scalar(state.resource_group)}, "
            f"subscription {scalar(state.subscription_id)}"
        )
        self.add(
            f"# Cluster: {scalar(cluster.name)} in resource group {scalar(cluster.resource_group)}, "
            f"OIDC issuer {issuer}"
        )
        self.add("#")
        self.add(
            f"# Imported: {count(len(self.identities), 'identity', 'identities')}, "
            f"{count(len(self.accounts), 'federated credential')} (one serviceAccounts entry each)."
        )
        if fics or whole:
            self.add(
                f"# Listed as comments, not imported: {count(fics, 'federated credential')}, "
                f"{count(whole, 'identity', 'identities')}. wlid leaves them as they are in Azure."
            )
        if any(i.role_assignments is None for i in self.identities):
            self.add(
                "# Not read from Azure: role assignments (add them under identities[*].roles) and workloads."
            )
        else:
            self.add("# Not read from Azure: workloads (they live in the cluster).")
        self.add(f"# Check: `wlid drift <this file> --env {ENVIRONMENT}` compares the spec with Azure.")

    def azure(self) -> None:
        self.add("azure:")
        self.add(f"  subscriptionId: {scalar(self.state.subscription_id)}")
        self.add(f"  resourceGroup: {scalar(self.state.resource_group)}")
        self.add(f"  location: {scalar(self.location)}  # the identities' region")
        tenants = sorted(
            {i.tenant_id.lower() for i in self.identities if i.tenant_id and valid("uuid", i.tenant_id)}
        )
        if len(tenants) == 1:
            self.add(
                f"  # tenantId: {scalar(tenants[0])}  # optional: sets azure.workload.identity/tenant-id "
                "on the ServiceAccounts"
            )

    def cluster_section(self) -> None:
        cluster, state = self.cluster, self.state
        self.add("cluster:")
        self.add(f"  name: {scalar(cluster.name)}")
        if cluster.resource_group != state.resource_group:
            self.add(f"  resourceGroup: {scalar(cluster.resource_group)}")
        if cluster.subscription_id.lower() != state.subscription_id.lower():
            self.add(f"  subscriptionId: {scalar(cluster.subscription_id)}")
        if cluster.issuer_url and cluster.workload_identity:
            self.add(
                "  # The OIDC issuer and workload identity are on; the template reads the issuer from it:"
            )
            self.add(f"  #   {scalar(cluster.issuer_url)}")
        elif cluster.issuer_url:
            self.add(
                "  # The OIDC issuer is on, workload identity (the webhook) is off: pods get no token until"
            )
            self.add(
                "  # it is on. enableWorkloadIdentity: true turns it on (az aks update --enable-workload-identity)."
            )
        else:
            self.add(
                "  # The OIDC issuer is off: no FIC can trust this cluster yet, and the template cannot read"
            )
            self.add(
                "  # an issuer. enableWorkloadIdentity: true turns both on (az aks update --enable-oidc-issuer"
            )
            self.add("  # --enable-workload-identity).")

    def identity_section(self) -> None:
        self.add("identities:")
        for identity in self.identities:
            self.add(f"  - name: {scalar(identity.name)}")
            ids = []
            if identity.client_id:
                ids.append(f"client ID {scalar(identity.client_id)}")
            if identity.principal_id:
                ids.append(f"principal ID {scalar(identity.principal_id)}")
            if ids:
                self.add(f"    # {', '.join(ids)}")
            bound = self.state.cluster.bindings_of(identity.name) if self.state.cluster else ()
            if bound:
                names = ", ".join(scalar(b.name) for b in bound)
                self.add(f"    federation: identityBinding   # identity binding {names} on the cluster")
            if identity.role_assignments is None:
                self.add("    # roles: not read from Azure; list the roles this identity holds")
            else:
                self.roles(identity)
            if identity.tags:
                tags = ", ".join(f"{scalar(k)}={scalar(v)}" for k, v in identity.tags)
                self.add(f"    # tags in Azure: {tags}")
                self.add(
                    "    # (wlid's template sets no tags, and a deployment resets what a template leaves out;"
                )
                self.add("    # set them again after each deployment, or drop them)")
            if identity.isolation_scope and identity.isolation_scope != "None":
                self.add(
                    f"    # isolationScope in Azure: {scalar(identity.isolation_scope)} (wlid's template does "
                    "not set it; check with what-if before deploying)"
                )
            self.skipped_fics(identity.name, "    ")
        whole = [s for s in self.skipped if s.fic is None]
        if whole:
            self.add("  # Not imported (they stay as they are in Azure):")
            for item in whole:
                self.add(f"  #   identity {scalar(item.identity)}: {item.reason}")
                self.skipped_fics(item.identity, "  #   ", header=False)

    def roles(self, identity: IdentityState) -> None:
        entries: list[list[str]] = []
        comments: list[str] = []
        for assignment in identity.role_assignments or ():
            target, why = role_target(assignment.scope, self.state)
            if assignment.condition:
                why = "it has a condition, which wlid does not write"
            if target is None or why:
                comments.append(f"{scalar(assignment.id)}: {why}")
                continue
            name, _guid = resolve_role(assignment.role_guid) or (assignment.role_guid, assignment.role_guid)
            lines = []
            if not made_by_a_template(assignment.name):
                lines.append(
                    f"# assigned by hand ({scalar(assignment.name)}): deploying fails with RoleAssignmentExists "
                    "until it is deleted (az role assignment delete --ids <its ID>); the deployment then "
                    "assigns it again"
                )
            lines.append(f"- role: {scalar(name)}")
            lines += [f"  {line}" for line in target]
            if assignment.description:
                lines.append(f"  description: {scalar(assignment.description[:1024])}")
            entries.append(lines)
        if entries:
            self.add("    roles:  # read from Azure")
            for entry in entries:
                for line in entry:
                    self.add(f"      {line}")
        else:
            self.add("    roles: []  # none read from Azure")
        if comments:
            self.add("    # Role assignments not imported (they stay as they are in Azure):")
            for comment in comments:
                self.add(f"    #   {comment}")

    def skipped_fics(self, identity: str, indent: str, header: bool = True) -> None:
        items = [s for s in self.skipped if s.identity == identity and s.fic is not None]
        if not items:
            return
        if header:
            self.add(f"{indent}# Federated credentials not imported (they stay as they are in Azure):")
            prefix = f"{indent}#   "
        else:
            prefix = f"{indent}  "
        for item in items:
            self.add(f"{prefix}{scalar(item.fic or '')}: {item.reason}")

    def account_section(self) -> None:
        if not self.accounts:
            self.add("serviceAccounts: []  # no federated credential of these identities trusts this cluster")
            return
        self.add("serviceAccounts:")
        for account in self.accounts:
            self.add(f"  - name: {scalar(account.name)}")
            self.add(f"    namespace: {scalar(account.namespace)}")
            self.add(f"    identity: {scalar(account.identity)}")
            if account.fic != derived_fic_name(account.namespace, account.name):
                self.add(f"    federatedCredentialName: {scalar(account.fic)}")

    def environments(self) -> None:
        pinned = [
            (i.name, i.client_id.lower())
            for i in self.identities
            if i.client_id and valid("uuid", i.client_id)
        ]
        self.add("environments:")
        self.add(f"  {ENVIRONMENT}:")
        if not pinned:
            self.add("    clientIds: {}")
            return
        self.add("    clientIds:  # read from Azure; the ServiceAccounts carry them")
        for identity, client_id in pinned:
            self.add(f"      {scalar(identity)}: {scalar(client_id)}")


def count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"
