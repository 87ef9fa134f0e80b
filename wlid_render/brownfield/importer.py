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
from typing import Any

import yaml
from pydantic import TypeAdapter, ValidationError

from wlid_render.brownfield.azure import (
    GITHUB_ISSUER,
    AzureState,
    BrownfieldError,
    ClusterState,
    FicState,
    IdentityState,
)
from wlid_render.brownfield.roles import made_by_a_template
from wlid_render.emit.yaml_text import NOT_A_STRING
from wlid_render.formats import DEFAULT_ENVIRONMENT
from wlid_render.plan.model import AUDIENCE
from wlid_render.plan.names import derived_fic_name, placeholder_for
from wlid_render.plan.roles import resolve_role
from wlid_render.spec.models import (
    DnsLabel,
    DnsSubdomain,
    FicName,
    IdentityName,
    Location,
    ResourceGroupName,
    SpecName,
    Uuid,
)

ENVIRONMENT = DEFAULT_ENVIRONMENT
# Characters that end a line for some YAML reader (YAML 1.1 also breaks at NEL, LS and PS) or that a
# terminal interprets: none may reach the written spec unescaped.
_LINE_BREAKING = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff]")
SUBJECT = re.compile(r"system:serviceaccount:([^:]*):([^:]*)")

_ADAPTERS: dict[str, TypeAdapter[Any]] = {}


def _valid(kind: str, value: str) -> bool:
    """Whether `value` passes the spec's own rule for `kind` (the same check `wlid render` makes)."""
    if kind not in _ADAPTERS:
        types = {
            "dns_label": DnsLabel,
            "dns_subdomain": DnsSubdomain,
            "fic": FicName,
            "identity": IdentityName,
            "location": Location,
            "resource_group": ResourceGroupName,
            "spec": SpecName,
            "uuid": Uuid,
        }
        _ADAPTERS[kind] = TypeAdapter(types[kind])
    try:
        _ADAPTERS[kind].validate_python(value)
    except ValidationError:
        return False
    return True


@dataclass(frozen=True)
class Skipped:
    """Something that exists in Azure and is listed as a comment instead of imported."""

    identity: str
    fic: str | None  # None: the whole identity
    reason: str  # values from Azure in it are already YAML scalars on one line

    @property
    def label(self) -> str:
        """`identity` or `identity/fic`, each as a one-line scalar: safe to print on a terminal."""
        what = _scalar(self.identity)
        return f"{what}/{_scalar(self.fic)}" if self.fic is not None else what


@dataclass(frozen=True)
class Imported:
    """The spec text and what went into it."""

    text: str
    name: str  # metadata.name
    identities: tuple[str, ...]
    credentials: int  # FICs imported as serviceAccounts entries
    skipped: tuple[Skipped, ...]


@dataclass(frozen=True)
class _Account:
    namespace: str
    name: str
    identity: str
    fic: str


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
    if not _valid("spec", spec_name):
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
        why = "; ".join(f"{_scalar(s.identity)}: {s.reason}" for s in skipped) or "it holds no user-assigned identity"
        raise BrownfieldError(f"nothing to import from resource group {state.resource_group!r}: {why}")

    accounts: list[_Account] = []
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
                    accounts.append(_Account(key[0], key[1], identity.name, fic.name))
            if reason:
                skipped.append(Skipped(identity.name, fic.name, reason))
    for identity in state.identities:  # FICs of identities that were not imported
        if identity not in kept:
            skipped += [
                Skipped(identity.name, f.name, "its identity is not imported") for f in identity.credentials
            ]

    text = _Writer(state, cluster, spec_name, location, kept, accounts, skipped).text()
    _check(text)
    return Imported(text, spec_name, tuple(i.name for i in kept), len(accounts), tuple(skipped))


# -- what can be imported ---------------------------------------------------------------------------


def _spec_name(resource_group: str) -> str:
    name = re.sub(r"[^a-z0-9]+", "-", resource_group.lower()).strip("-")[:40].strip("-")
    return name or "imported"


def _region(identities: tuple[IdentityState, ...]) -> str:
    """The region of most identities (a spec deploys all its identities to one region per environment)."""
    counts = Counter(i.location for i in identities if _valid("location", i.location))
    if not counts:
        return ""
    return min(counts, key=lambda loc: (-counts[loc], loc))


def _identity_problem(identity: IdentityState, location: str, holders: dict[str, str]) -> str | None:
    if not _valid("identity", identity.name):
        return "wlid cannot hold this name (3-128 letters, digits, '-', '_'; starts alphanumeric)"
    if identity.location != location:
        region = _scalar(identity.location) if identity.location else "(none)"
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
        return f"issuer {_scalar(fic.issuer)}: the cluster's OIDC issuer is off, so no FIC can trust it yet"
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
        return f"{what}: issuer {_scalar(fic.issuer)}, subject {_scalar(fic.subject)}"
    match = SUBJECT.fullmatch(fic.subject)
    if not match or not (_valid("dns_label", match.group(1)) and _valid("dns_subdomain", match.group(2))):
        return f"subject {_scalar(fic.subject)} is not system:serviceaccount:<namespace>:<name>"
    if fic.audiences != (AUDIENCE,):
        shown = ", ".join(_scalar(a) for a in fic.audiences) or "(none)"
        return f"audience {shown}, not {AUDIENCE} alone (wlid writes that one)"
    if not _valid("fic", fic.name):
        return "wlid cannot hold this FIC name (3-120 letters, digits, '-', '_'; starts alphanumeric)"
    return None


_SCOPE = re.compile(
    r"/subscriptions/(?P<sub>[^/]+)(?:/resourceGroups/(?P<rg>[^/]+)(?:/providers/(?P<rest>[^/].*))?)?"
)


def _role_target(scope: str, state: AzureState) -> tuple[list[str] | None, str | None]:
    """The spec lines of a role target for `scope` (a `roles` entry's keys), or (None, why not)."""
    from wlid_render.plan.targets import KIND_BY_TYPE, TargetError, _parse_resource_id

    match = _SCOPE.fullmatch(scope)
    if not match or not _valid("uuid", match["sub"]):
        return None, "its scope is not in a subscription (wlid grants roles on subscriptions and below)"
    same = match["sub"].lower() == state.subscription_id.lower()
    rg, rest = match["rg"], match["rest"]
    if rg is None and same:
        return ["subscription: true"], None
    if rg is not None and rest is None and same and _valid("resource_group", rg):
        return [f"resourceGroup: {_scalar(rg)}"], None
    if rest is not None and same and _valid("resource_group", rg):
        parts = rest.split("/")
        kind = KIND_BY_TYPE.get("/".join(parts[:2]).lower()) if len(parts) == 3 else None
        if kind is not None and re.fullmatch(kind.pattern, parts[2]):
            if rg == state.resource_group:
                return [f"{kind.key}: {_scalar(parts[2])}"], None
            return [f"{kind.key}: {{name: {_scalar(parts[2])}, resourceGroup: {_scalar(rg)}}}"], None
    try:
        _parse_resource_id(scope)
    except TargetError as exc:
        return None, str(exc)
    return [f"resourceId: {_scalar(scope)}"], None


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


# -- text -------------------------------------------------------------------------------------------


def _scalar(value: str) -> str:
    """`value` as a YAML scalar on one line (quoted when a YAML 1.1 or 1.2 reader would not read a string).

    Used for comments too: a value from Azure can never break out of its line.
    """
    style = "'" if NOT_A_STRING.fullmatch(value) else None
    for attempt in (style, '"'):
        dumped = yaml.safe_dump(
            {"v": value}, default_style=attempt, width=1_000_000, allow_unicode=False, sort_keys=False
        )
        scalar = dumped.partition(": ")[2].removesuffix("\n")
        if "\n" not in scalar and "\r" not in scalar:
            return scalar
    raise AssertionError(f"a double-quoted scalar spans lines: {value!r}")  # pragma: no cover


class _Writer:
    def __init__(
        self,
        state: AzureState,
        cluster: ClusterState,
        name: str,
        location: str,
        identities: list[IdentityState],
        accounts: list[_Account],
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
        """One line of the spec. Every value from Azure reaches it through `_scalar`; a line break or
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
        self.add(f"  name: {_scalar(self.name)}")
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
        issuer = _scalar(cluster.issuer_url) if cluster.issuer_url else "off"
        self.add(
            "# A wlid spec imported from Azure by `wlid import` (read-only: nothing in Azure was changed)."
        )
        self.add("#")
        self.add(
            f"# Identities: resource group {_scalar(state.resource_group)}, "
            f"subscription {_scalar(state.subscription_id)}"
        )
        self.add(
            f"# Cluster: {_scalar(cluster.name)} in resource group {_scalar(cluster.resource_group)}, "
            f"OIDC issuer {issuer}"
        )
        self.add("#")
        self.add(
            f"# Imported: {_count(len(self.identities), 'identity', 'identities')}, "
            f"{_count(len(self.accounts), 'federated credential')} (one serviceAccounts entry each)."
        )
        if fics or whole:
            self.add(
                f"# Listed as comments, not imported: {_count(fics, 'federated credential')}, "
                f"{_count(whole, 'identity', 'identities')}. wlid leaves them as they are in Azure."
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
        self.add(f"  subscriptionId: {_scalar(self.state.subscription_id)}")
        self.add(f"  resourceGroup: {_scalar(self.state.resource_group)}")
        self.add(f"  location: {_scalar(self.location)}  # the identities' region")
        tenants = sorted(
            {i.tenant_id.lower() for i in self.identities if i.tenant_id and _valid("uuid", i.tenant_id)}
        )
        if len(tenants) == 1:
            self.add(
                f"  # tenantId: {_scalar(tenants[0])}  # optional: sets azure.workload.identity/tenant-id "
                "on the ServiceAccounts"
            )

    def cluster_section(self) -> None:
        cluster, state = self.cluster, self.state
        self.add("cluster:")
        self.add(f"  name: {_scalar(cluster.name)}")
        if cluster.resource_group != state.resource_group:
            self.add(f"  resourceGroup: {_scalar(cluster.resource_group)}")
        if cluster.subscription_id.lower() != state.subscription_id.lower():
            self.add(f"  subscriptionId: {_scalar(cluster.subscription_id)}")
        if cluster.issuer_url and cluster.workload_identity:
            self.add(
                "  # The OIDC issuer and workload identity are on; the template reads the issuer from it:"
            )
            self.add(f"  #   {_scalar(cluster.issuer_url)}")
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
            self.add(f"  - name: {_scalar(identity.name)}")
            ids = []
            if identity.client_id:
                ids.append(f"client ID {_scalar(identity.client_id)}")
            if identity.principal_id:
                ids.append(f"principal ID {_scalar(identity.principal_id)}")
            if ids:
                self.add(f"    # {', '.join(ids)}")
            if identity.role_assignments is None:
                self.add("    # roles: not read from Azure; list the roles this identity holds")
            else:
                self.roles(identity)
            if identity.tags:
                tags = ", ".join(f"{_scalar(k)}={_scalar(v)}" for k, v in identity.tags)
                self.add(f"    # tags in Azure: {tags}")
                self.add(
                    "    # (wlid's template sets no tags, and a deployment resets what a template leaves out;"
                )
                self.add("    # set them again after each deployment, or drop them)")
            if identity.isolation_scope and identity.isolation_scope != "None":
                self.add(
                    f"    # isolationScope in Azure: {_scalar(identity.isolation_scope)} (wlid's template does "
                    "not set it; check with what-if before deploying)"
                )
            self.skipped_fics(identity.name, "    ")
        whole = [s for s in self.skipped if s.fic is None]
        if whole:
            self.add("  # Not imported (they stay as they are in Azure):")
            for item in whole:
                self.add(f"  #   identity {_scalar(item.identity)}: {item.reason}")
                self.skipped_fics(item.identity, "  #   ", header=False)

    def roles(self, identity: IdentityState) -> None:
        entries: list[list[str]] = []
        comments: list[str] = []
        for assignment in identity.role_assignments or ():
            target, why = _role_target(assignment.scope, self.state)
            if assignment.condition:
                why = "it has a condition, which wlid does not write"
            if target is None or why:
                comments.append(f"{_scalar(assignment.id)}: {why}")
                continue
            name, _guid = resolve_role(assignment.role_guid) or (assignment.role_guid, assignment.role_guid)
            lines = []
            if not made_by_a_template(assignment.name):
                lines.append(
                    f"# assigned by hand ({_scalar(assignment.name)}): deploying fails with RoleAssignmentExists "
                    "until it is deleted (az role assignment delete --ids <its ID>); the deployment then "
                    "assigns it again"
                )
            lines.append(f"- role: {_scalar(name)}")
            lines += [f"  {line}" for line in target]
            if assignment.description:
                lines.append(f"  description: {_scalar(assignment.description[:1024])}")
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
            self.add(f"{prefix}{_scalar(item.fic or '')}: {item.reason}")

    def account_section(self) -> None:
        if not self.accounts:
            self.add("serviceAccounts: []  # no federated credential of these identities trusts this cluster")
            return
        self.add("serviceAccounts:")
        for account in self.accounts:
            self.add(f"  - name: {_scalar(account.name)}")
            self.add(f"    namespace: {_scalar(account.namespace)}")
            self.add(f"    identity: {_scalar(account.identity)}")
            if account.fic != derived_fic_name(account.namespace, account.name):
                self.add(f"    federatedCredentialName: {_scalar(account.fic)}")

    def environments(self) -> None:
        pinned = [
            (i.name, i.client_id.lower())
            for i in self.identities
            if i.client_id and _valid("uuid", i.client_id)
        ]
        self.add("environments:")
        self.add(f"  {ENVIRONMENT}:")
        if not pinned:
            self.add("    clientIds: {}")
            return
        self.add("    clientIds:  # read from Azure; the ServiceAccounts carry them")
        for identity, client_id in pinned:
            self.add(f"      {_scalar(identity)}: {_scalar(client_id)}")


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"
