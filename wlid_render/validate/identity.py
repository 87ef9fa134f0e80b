"""Workload identity rules across the Azure and Kubernetes files (WI001-WI015, WI020).

The Azure side is every top-level template of the tree (main.json and the identities-NNN.json groups
of a split tree): a ServiceAccount is trusted when any of them holds a credential for its subject.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wlid_render.formats import FIC_NAME_PATTERN, IDENTITY_NAME_PATTERN, parse_regions, regions_without_fic
from wlid_render.kubernetes_keys import CLIENT_ID, OPT_OUT, OPT_OUT_VALUE, USE_LABEL
from wlid_render.validate.arm_template import FIC_TYPE, IDENTITY_TYPE, ArmTemplate, JsonPath, template_file
from wlid_render.validate.components import ComponentPatch, component_patches
from wlid_render.validate.finding import Finding, Severity
from wlid_render.validate.overlays import BuiltObject, blame
from wlid_render.validate.templates import parameters_files, top_templates
from wlid_render.validate.tree import RenderedTree

TOKEN_EXPIRATION = "azure.workload.identity/service-account-token-expiration"
INJECT_PROXY = "azure.workload.identity/inject-proxy-sidecar"
AUDIENCE = "api://AzureADTokenExchange"
PLACEHOLDER = re.compile(r"^\$\{WLID_CLIENT_ID_[A-Z0-9_]+\}$")
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


def _read_template(side: AzureSide, rel: str, arm: ArmTemplate) -> None:
    for template in arm.walk():
        scope = tuple(
            (str(d.raw.get("subscriptionId", "")), str(d.raw.get("resourceGroup", ""))) for d in template.enclosing
        )
        for resource in template.members:
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


def _pod_specs(obj: dict[str, Any]) -> Iterator[tuple[tuple[str, ...], dict[str, Any]]]:
    """(path to the pod metadata/spec parent, pod template) for every pod an object runs."""
    kind = obj.get("kind")
    if kind == "Pod":
        yield (), obj
    elif kind in ("Deployment", "StatefulSet", "Job", "DaemonSet", "ReplicaSet"):
        yield ("spec", "template"), (obj.get("spec") or {}).get("template") or {}
    elif kind == "CronJob":
        template = (((obj.get("spec") or {}).get("jobTemplate") or {}).get("spec") or {}).get(
            "template"
        ) or {}
        yield ("spec", "jobTemplate", "spec", "template"), template


class _Rules:
    def __init__(self, tree: RenderedTree, regions: frozenset[str]):
        self.tree = tree
        self.regions = regions
        self.findings: list[Finding] = []
        self.seen: set[tuple[str, str, str]] = set()

    def add(
        self, rule: str, severity: Severity, message: str, rel: str, path: tuple = (), line: int | None = None
    ) -> None:
        key = (rule, rel, message)
        if key in self.seen:
            return
        self.seen.add(key)
        if line is None and path:
            line = self.tree.line_of(rel, path)
        self.findings.append(Finding(self.tree.display(rel), line, rule, severity, message))

    # -- Azure side -----------------------------------------------------------------------------
    def azure(self, side: AzureSide) -> None:
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
        self.identities(side.identities)

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

    # -- Kubernetes side --------------------------------------------------------------------------
    def overlay(self, env: str, objects: list[BuiltObject], subjects: set[str]) -> None:
        accounts: dict[tuple[str, str], BuiltObject] = {}
        for built in objects:
            if built.obj.get("kind") == "ServiceAccount":
                meta = built.obj.get("metadata") or {}
                accounts[(meta.get("namespace") or "default", meta.get("name"))] = built
        placeholders: list[tuple[BuiltObject, str]] = []
        for (namespace, name), built in accounts.items():
            meta = built.obj.get("metadata") or {}
            annotations = meta.get("annotations") or {}
            client_id = annotations.get(CLIENT_ID)
            if client_id is not None:
                subject = f"system:serviceaccount:{namespace}:{name}"
                if subjects is not None and subject not in subjects:
                    self.add(
                        "WI003",
                        "error",
                        f"ServiceAccount {namespace}/{name} has a client ID but no federated "
                        f"credential trusts {subject} (AADSTS70021 at token exchange)",
                        built.source,
                        ("metadata", "name"),
                    )
                if isinstance(client_id, str) and PLACEHOLDER.match(client_id):
                    placeholders.append((built, client_id))
            self._token_expiration(annotations, built, ("metadata", "annotations", TOKEN_EXPIRATION))
            labels = meta.get("labels") or {}
            if USE_LABEL in labels:
                self.add(
                    "WI002",
                    "warning",
                    f"ServiceAccount {namespace}/{name} carries {USE_LABEL}; the webhook "
                    "reads it on pods only",
                    built.source,
                    ("metadata", "labels", USE_LABEL),
                )
        if placeholders:
            self._placeholders(env, placeholders)
        for built in objects:
            for prefix, pod in _pod_specs(built.obj):
                self._pod(env, built, prefix, pod, accounts)

    def _pod(self, env: str, built: BuiltObject, prefix: tuple, pod: dict, accounts: dict) -> None:
        meta = pod.get("metadata") or {}
        spec = pod.get("spec") or {}
        labels = meta.get("labels") or {}
        annotations = meta.get("annotations") or {}
        namespace = (built.obj.get("metadata") or {}).get("namespace") or "default"
        account_name = spec.get("serviceAccountName") or "default"
        account = accounts.get((namespace, account_name))
        name = f"{built.obj.get('kind')} {namespace}/{(built.obj.get('metadata') or {}).get('name')}"
        uses = str(labels.get(USE_LABEL)).lower() == "true"
        account_meta = (account.obj.get("metadata") or {}) if account else {}
        if uses and CLIENT_ID not in (account_meta.get("annotations") or {}):
            self.add(
                "WI001",
                "error",
                f"{name} (overlay {env}) is labelled {USE_LABEL} but its ServiceAccount "
                f"{account_name} has no {CLIENT_ID} annotation",
                built.source,
                (*prefix, "spec"),
            )
        if not uses and USE_LABEL in (account_meta.get("labels") or {}):
            self.add(
                "WI002",
                "error",
                f"{name}: the {USE_LABEL} label is on ServiceAccount {account_name} but not "
                "on the pod; the webhook only mutates labelled pods",
                built.source,
                (*prefix, "metadata"),
            )
        elif not uses and CLIENT_ID in (account_meta.get("annotations") or {}):
            self._unlabelled(env, built, prefix, name, account_name, annotations)
        if uses and annotations.get(OPT_OUT) == OPT_OUT_VALUE:
            rel, line = blame(self.tree, built, (*prefix, "metadata", "annotations", OPT_OUT))
            self.add(
                "WI020",
                "warning",
                f"{name} (overlay {env}) opts out with {OPT_OUT}: {OPT_OUT_VALUE} but is labelled "
                f"{USE_LABEL}: the webhook mutates it anyway",
                rel,
                line=line,
            )
        self._token_expiration(annotations, built, (*prefix, "metadata", "annotations", TOKEN_EXPIRATION))
        if spec.get("hostNetwork") is True and str(annotations.get(INJECT_PROXY)).lower() == "true":
            self.add(
                "WI010",
                "error",
                f"{name}: the proxy sidecar cannot be injected into a hostNetwork pod",
                built.source,
                (*prefix, "metadata", "annotations", INJECT_PROXY),
            )
        virtual = (spec.get("nodeSelector") or {}).get("type") == "virtual-kubelet" or any(
            isinstance(t, dict) and t.get("key") == "virtual-kubelet.io/provider"
            for t in spec.get("tolerations") or []
        )
        if uses and virtual:
            self.add(
                "WI011",
                "error",
                f"{name} targets virtual nodes, which do not support workload identity",
                built.source,
                (*prefix, "spec"),
            )

    def _unlabelled(
        self, env: str, built: BuiltObject, prefix: tuple, name: str, account: str, annotations: dict
    ) -> None:
        """WI015: a pod of a ServiceAccount with a client ID, neither labelled nor opted out."""
        if annotations.get(OPT_OUT) == OPT_OUT_VALUE:
            return
        rel, line = blame(self.tree, built, (*prefix, "metadata", "labels", USE_LABEL))
        self.add(
            "WI015",
            "error",
            f"{name} (overlay {env}) runs as ServiceAccount {account}, which carries {CLIENT_ID}, but "
            f'is not labelled {USE_LABEL}: "true": the webhook does not mutate it and its pods get no '
            f"token; label it, or opt out with the annotation {OPT_OUT}: {OPT_OUT_VALUE}",
            rel,
            line=line,
        )

    def components(self, patches: list[ComponentPatch], accounts: set[str]) -> None:
        """WI015 for a Component that moves an existing workload to a ServiceAccount with a client ID
        without the label; WI020 for one that does both."""
        for patch in patches:
            for prefix, pod in _pod_specs(patch.doc):
                spec = pod.get("spec") if isinstance(pod.get("spec"), dict) else {}
                account = spec.get("serviceAccountName")
                if account not in accounts:
                    continue
                meta = pod.get("metadata") if isinstance(pod.get("metadata"), dict) else {}
                labels = meta.get("labels") if isinstance(meta.get("labels"), dict) else {}
                annotations = meta.get("annotations") if isinstance(meta.get("annotations"), dict) else {}
                uses = str(labels.get(USE_LABEL)).lower() == "true"
                opted_out = annotations.get(OPT_OUT) == OPT_OUT_VALUE
                what = f"Component {posixpath.dirname(patch.kustomization)}"
                line = self.tree.line_of(patch.file, (*prefix, "metadata"), patch.index)
                if not uses and not opted_out:
                    self.add(
                        "WI015",
                        "error",
                        f"{what} sets ServiceAccount {account}, which carries {CLIENT_ID}, but not the "
                        f'label {USE_LABEL}: "true": the patched pods get no token; add the label, or opt '
                        f"out with the annotation {OPT_OUT}: {OPT_OUT_VALUE}",
                        patch.file,
                        line=line,
                    )
                elif uses and opted_out:
                    self.add(
                        "WI020",
                        "warning",
                        f"{what} both labels the pods {USE_LABEL} and opts them out with {OPT_OUT}",
                        patch.file,
                        line=line,
                    )

    def _placeholders(self, env: str, placeholders: list[tuple[BuiltObject, str]]) -> None:
        """One WI013 per overlay, at the first placeholder: a person fixes them all in one place."""
        first, _ = placeholders[0]
        rel, line = blame(self.tree, first, ("metadata", "annotations", CLIENT_ID))
        names = sorted({value for _, value in placeholders})
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        self.add(
            "WI013",
            "warning",
            f"overlay {env}: {len(placeholders)} ServiceAccount(s) still carry client-ID placeholders "
            f"({shown}); pin clientIds in the spec or let Flux post-build substitution fill them",
            rel,
            line=line,
        )

    def _token_expiration(self, annotations: dict, built: BuiltObject, path: tuple) -> None:
        value = annotations.get(TOKEN_EXPIRATION)
        if value is None:
            return
        text = str(value)
        if not (text.isdigit() and 3600 <= int(text) <= 86400):
            rel, line = blame(self.tree, built, path)
            self.add(
                "WI008",
                "error",
                f"token expiration {text} not valid: expected seconds between 3600 and "
                "86400 (the webhook rejects it at admission)",
                rel,
                line=line,
            )


def check_identity(
    tree: RenderedTree, overlays: dict[str, list[BuiltObject]], extra_regions: Iterable[str] = ()
) -> list[Finding]:
    rules = _Rules(tree, regions_without_fic() | frozenset(r.lower() for r in extra_regions))
    side = azure_side(tree)
    rules.azure(side)
    rules.parameters()
    subjects = {f.subject for f in side.fics if isinstance(f.subject, str)} if side.templates else None
    for env, objects in overlays.items():
        rules.overlay(env, objects, subjects)  # type: ignore[arg-type]
    accounts = {
        (built.obj.get("metadata") or {}).get("name")
        for objects in overlays.values()
        for built in objects
        if built.obj.get("kind") == "ServiceAccount"
        and CLIENT_ID in ((built.obj.get("metadata") or {}).get("annotations") or {})
    }
    rules.components(component_patches(tree), accounts)
    return rules.findings


def read_regions_file(path: Path) -> frozenset[str]:
    """The regions of a `--regions-file`; InputError (a message) when it cannot be read as text."""
    from wlid_render.input_limits import REGIONS_MAX_BYTES, InputError, read_bounded

    try:
        return parse_regions(read_bounded(path, REGIONS_MAX_BYTES, "the regions file").decode("utf-8"))
    except UnicodeDecodeError:
        raise InputError("the regions file is not UTF-8 text") from None
