"""Workload identity rules across the Azure and Kubernetes files (WI001-WI015, WI020): the entry point,
and the rules of the Kubernetes side, the ServiceAccounts and pods of every overlay and the pods that
Components patch (WI001-WI003, WI008, WI010, WI011, WI013, WI015, WI020).

The Azure side (identity_azure) is every top-level template of the tree (main.json and the
identities-NNN.json groups of a split tree): a ServiceAccount is trusted when any of them holds a
credential for its subject (WI003).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from wlid_render.formats import parse_regions, regions_without_fic
from wlid_render.kubernetes_keys import (
    CLIENT_ID,
    IDENTITY_BINDING_API_GROUP,
    IDENTITY_BINDING_VERB,
    OPT_OUT,
    OPT_OUT_VALUE,
    TOKEN_EXPIRATION,
    USE_LABEL,
)
from wlid_render.validate.components import ComponentPatch, component_patches
from wlid_render.validate.finding import Finding, TreeFindings
from wlid_render.validate.identity_azure import AzureRules, azure_side
from wlid_render.validate.overlays import BuiltObject, blame
from wlid_render.validate.tree import RenderedTree

INJECT_PROXY = "azure.workload.identity/inject-proxy-sidecar"
PLACEHOLDER = re.compile(r"^\$\{WLID_CLIENT_ID_[A-Z0-9_]+\}$")


def pod_specs(obj: dict[str, Any]) -> Iterator[tuple[tuple[str, ...], dict[str, Any]]]:
    """(path to the pod metadata/spec parent, pod template) for every pod an object runs (a template
    that is not a mapping stands as an empty one: the schema rules report it)."""
    kind, spec = obj.get("kind"), _mapping(obj.get("spec"))
    if kind == "Pod":
        yield (), obj
    elif kind in ("Deployment", "StatefulSet", "Job", "DaemonSet", "ReplicaSet"):
        yield ("spec", "template"), _mapping(spec.get("template"))
    elif kind == "CronJob":
        template = _mapping(_mapping(_mapping(spec.get("jobTemplate")).get("spec")).get("template"))
        yield ("spec", "jobTemplate", "spec", "template"), template


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


class _Rules:
    """The rules of the Kubernetes side, adding to the findings of the tree."""

    def __init__(self, tree: RenderedTree, findings: TreeFindings):
        self.tree = tree
        self.add = findings.add

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
            for prefix, pod in pod_specs(built.obj):
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
            for prefix, pod in pod_specs(patch.doc):
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
    findings = TreeFindings(tree)
    regions = regions_without_fic() | frozenset(r.lower() for r in extra_regions)
    azure = AzureRules(tree, findings, regions)
    side = azure_side(tree)
    azure.credentials(side)
    azure.identities(side.identities)
    azure.parameters()
    rules = _Rules(tree, findings)
    subjects = {f.subject for f in side.fics if isinstance(f.subject, str)} if side.templates else None
    for env, objects in overlays.items():
        trusted = subjects | bound_subjects(objects) if subjects is not None and side.bindings else subjects
        rules.overlay(env, objects, trusted)  # type: ignore[arg-type]
    accounts = {
        (built.obj.get("metadata") or {}).get("name")
        for objects in overlays.values()
        for built in objects
        if built.obj.get("kind") == "ServiceAccount"
        and CLIENT_ID in ((built.obj.get("metadata") or {}).get("annotations") or {})
    }
    rules.components(component_patches(tree), accounts)
    return findings.findings


def bound_subjects(objects: list[BuiltObject]) -> set[str]:
    """Subjects of ServiceAccounts that a ClusterRoleBinding of the overlay lets use a managed identity
    through AKS identity bindings (a ClusterRole with `use-managed-identity` on cid.wi.aks.azure.com)."""
    roles = set()
    for built in objects:
        obj = built.obj
        if obj.get("kind") == "ClusterRole":
            for rule in obj.get("rules") or []:
                if IDENTITY_BINDING_API_GROUP in (rule.get("apiGroups") or []) and IDENTITY_BINDING_VERB in (
                    rule.get("verbs") or []
                ):
                    roles.add((obj.get("metadata") or {}).get("name"))
    out = set()
    for built in objects:
        obj = built.obj
        if obj.get("kind") == "ClusterRoleBinding" and (obj.get("roleRef") or {}).get("name") in roles:
            for subject in obj.get("subjects") or []:
                if subject.get("kind") == "ServiceAccount":
                    out.add(f"system:serviceaccount:{subject.get('namespace')}:{subject.get('name')}")
    return out


def read_regions_file(path: Path) -> frozenset[str]:
    """The regions of a `--regions-file`; InputError (a message) when it cannot be read as text."""
    from wlid_render.input_limits import REGIONS_MAX_BYTES, InputError, read_bounded

    try:
        return parse_regions(read_bounded(path, REGIONS_MAX_BYTES, "the regions file").decode("utf-8"))
    except UnicodeDecodeError:
        raise InputError("the regions file is not UTF-8 text") from None
