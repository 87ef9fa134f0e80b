"""AKS identity bindings in a rendered tree (IB001-IB006): the Azure side (the identityBindings
resources of every top-level template) and the Kubernetes side (ClusterRoles, ClusterRoleBindings,
ServiceAccounts and pods of every built overlay) agree.

Facts (identity-bindings-concepts; Azure/AKS#4658): a binding maps one identity to one cluster; AKS
creates the identity's one credential `aks-identity-binding` itself. In the cluster, a ClusterRole with
`apiGroups: [cid.wi.aks.azure.com]`, `verbs: [use-managed-identity]`, `resources: [<client ID>]` and a
ClusterRoleBinding to each ServiceAccount allowed to use the identity; the pods keep the label
`azure.workload.identity/use: "true"` and add the annotation
`azure.workload.identity/use-identity-binding: "true"`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from wlid_render.kubernetes_keys import (
    CLIENT_ID,
    IDENTITY_BINDING_API_GROUP,
    IDENTITY_BINDING_VERB,
    USE_IDENTITY_BINDING,
    USE_LABEL,
)
from wlid_render.validate.arm_template import BINDING_TYPE, FIC_TYPE, JsonPath, template_file
from wlid_render.validate.finding import Finding, TreeFindings
from wlid_render.validate.identity import pod_specs
from wlid_render.validate.overlays import BuiltObject, blame
from wlid_render.validate.templates import top_templates
from wlid_render.validate.tree import RenderedTree

# The stable API that the bundled schemas know (2026-04-01 is stable too, but not bundled).
BINDING_APIS = frozenset({"2026-05-01"})
BINDING_NAME = re.compile(r"[a-z][a-z0-9]{0,62}")  # ^[a-z][a-z0-9]{0,63}$ with maxLength 63
_IDENTITY_ID = re.compile(
    r"^\[resourceId\('Microsoft\.ManagedIdentity/userAssignedIdentities', '([^']+)'\)\]$"
)
_FORMAT_NAME = re.compile(
    r"^\[format\('\{0\}/\{1\}', parameters\('clusterName'\), parameters\('bindingName'\)\)\]$"
)


@dataclass(frozen=True)
class Binding:
    identity: str | None  # read from the identityId argument of its deployment
    name: Any  # the binding's name as its deployment passes it (bindingName), or the literal
    api_version: Any
    path: JsonPath
    rel: str


def _bindings(tree: RenderedTree) -> tuple[list[Binding], set[str]]:
    """The identity bindings of every top-level template, and the identities with a FIC of ours."""
    bindings: list[Binding] = []
    with_fics: set[str] = set()
    for top in top_templates(tree):
        arm = template_file(tree, top.json)
        if arm is None:
            continue
        for template in arm.walk():
            args = template.parent_arguments
            for resource in template.members:
                kind = str(resource.raw.get("type", "")).lower()
                if kind == FIC_TYPE and resource.key is not None and "/" in resource.key[1]:
                    with_fics.add(resource.key[1].split("/", 1)[0].lower())
                if kind != BINDING_TYPE:
                    continue
                name = resource.raw.get("name")
                if isinstance(name, str) and _FORMAT_NAME.match(name):
                    name = (args.get("bindingName") or {}).get("value")
                elif isinstance(name, str) and "/" in name and not name.startswith("["):
                    name = name.rsplit("/", 1)[-1]
                identity_id = str((args.get("identityId") or {}).get("value", ""))
                match = _IDENTITY_ID.match(identity_id)
                bindings.append(
                    Binding(
                        match[1] if match else None,
                        name,
                        resource.raw.get("apiVersion"),
                        resource.path,
                        top.json,
                    )
                )
    return bindings, with_fics


def _azure(findings: TreeFindings, bindings: list[Binding], with_fics: set[str]) -> None:
    for binding in bindings:
        if binding.api_version not in BINDING_APIS:
            findings.add(
                "IB004",
                "error",
                f"identity binding with API version {binding.api_version!r}; the bundled schema knows "
                f"{', '.join(sorted(BINDING_APIS))}",
                binding.rel,
                (*binding.path, "apiVersion"),
            )
        if (
            isinstance(binding.name, str)
            and not binding.name.startswith("[")
            and not BINDING_NAME.fullmatch(binding.name)
        ):
            findings.add(
                "IB004",
                "error",
                f"identity binding name {binding.name!r} does not match ^[a-z][a-z0-9]{{0,63}}$ "
                "(at most 63 characters)",
                binding.rel,
                binding.path,
            )
        if binding.identity is not None and binding.identity.lower() in with_fics:
            findings.add(
                "IB003",
                "error",
                f"identity {binding.identity} has identity bindings and federated credentials of this "
                "tree: an identity is in one mode (AKS makes the binding identity's one credential, "
                "aks-identity-binding, itself)",
                binding.rel,
                binding.path,
            )


def _roles(objects: list[BuiltObject]) -> dict[str, tuple[BuiltObject, list[str]]]:
    """ClusterRoles that allow use-managed-identity: name -> (object, client IDs)."""
    out = {}
    for built in objects:
        obj = built.obj
        if obj.get("kind") != "ClusterRole":
            continue
        ids: list[str] = []
        for rule in obj.get("rules") or []:
            if IDENTITY_BINDING_API_GROUP in (rule.get("apiGroups") or []) and IDENTITY_BINDING_VERB in (
                rule.get("verbs") or []
            ):
                ids += [str(r) for r in rule.get("resources") or []]
        if ids:
            out[(obj.get("metadata") or {}).get("name")] = (built, ids)
    return out


def _kubernetes(findings: TreeFindings, tree: RenderedTree, env: str, objects: list[BuiltObject]) -> None:
    roles = _roles(objects)
    accounts = {
        (
            (o.obj.get("metadata") or {}).get("namespace") or "default",
            (o.obj.get("metadata") or {}).get("name"),
        ): o
        for o in objects
        if o.obj.get("kind") == "ServiceAccount"
    }
    bound: dict[tuple[str, str], set[str]] = {}
    for built in objects:
        obj = built.obj
        if obj.get("kind") != "ClusterRoleBinding" or (obj.get("roleRef") or {}).get("name") not in roles:
            continue
        _, ids = roles[(obj.get("roleRef") or {}).get("name")]
        for i, subject in enumerate(obj.get("subjects") or []):
            if subject.get("kind") != "ServiceAccount":
                continue
            key = (subject.get("namespace") or "", subject.get("name"))
            bound.setdefault(key, set()).update(ids)
            account = accounts.get(key)
            if account is None:
                continue
            client_id = ((account.obj.get("metadata") or {}).get("annotations") or {}).get(CLIENT_ID)
            if client_id not in ids:
                rel, line = blame(tree, built, ("subjects", i))
                findings.add(
                    "IB001",
                    "error",
                    f"overlay {env}: ClusterRoleBinding {(obj.get('metadata') or {}).get('name')} lets "
                    f"ServiceAccount {key[0]}/{key[1]} use client ID(s) {', '.join(sorted(ids))}, but the "
                    f"ServiceAccount names {client_id!r}: AKS refuses the token",
                    rel,
                    line=line,
                )
    for built in objects:
        _pods(findings, tree, env, built, bound)


def _pods(
    findings: TreeFindings,
    tree: RenderedTree,
    env: str,
    built: BuiltObject,
    bound: dict[tuple[str, str], set[str]],
) -> None:
    namespace = (built.obj.get("metadata") or {}).get("namespace") or "default"
    label = f"{built.obj.get('kind')} {namespace}/{(built.obj.get('metadata') or {}).get('name')}"
    for prefix, pod in pod_specs(built.obj):
        meta = pod.get("metadata") or {}
        account = (pod.get("spec") or {}).get("serviceAccountName") or "default"
        uses = str((meta.get("labels") or {}).get(USE_LABEL)).lower() == "true"
        annotated = str((meta.get("annotations") or {}).get(USE_IDENTITY_BINDING)).lower() == "true"
        if uses and (namespace, account) in bound and not annotated:
            rel, line = blame(tree, built, (*prefix, "metadata"))
            findings.add(
                "IB002",
                "error",
                f"{label} (overlay {env}) runs as ServiceAccount {account}, which uses an identity "
                f'binding, but its pods lack the annotation {USE_IDENTITY_BINDING}: "true"',
                rel,
                line=line,
            )
        if annotated and (namespace, account) not in bound:
            rel, line = blame(tree, built, (*prefix, "metadata", "annotations", USE_IDENTITY_BINDING))
            findings.add(
                "IB005",
                "error",
                f"{label} (overlay {env}) asks for an identity binding, but no ClusterRoleBinding of the "
                f"overlay lets ServiceAccount {namespace}/{account} use-managed-identity",
                rel,
                line=line,
            )


def check_bindings(tree: RenderedTree, overlays: dict[str, list[BuiltObject]]) -> list[Finding]:
    findings = TreeFindings(tree)
    bindings, with_fics = _bindings(tree)
    _azure(findings, bindings, with_fics)
    for env, objects in overlays.items():
        _kubernetes(findings, tree, env, objects)
    return findings.findings
