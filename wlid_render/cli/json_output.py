"""The JSON objects wlid prints for tools: `wlid render --check|--dry-run --format json` and `wlid explain
--format json`. Their shapes are documented, each with a JSON Schema, in docs/json-output.md (a test
holds the output to those schemas). Every object carries `version` (JSON_VERSION): a field is only ever
added within a version; a change that could break a reader (a field renamed, removed or retyped) takes
the next version. Pure: objects in, JSON-ready values out.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from wlid_render.errors import Problem, dotted
from wlid_render.views.explain import EnvironmentView, WorkloadView

JSON_VERSION = 1


def dumps(value: Any) -> str:
    """The JSON text: two-space indent, keys in the documented order, a final newline."""
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def problem_json(problem: Problem) -> dict[str, Any]:
    return {
        "severity": problem.severity,
        "code": problem.code or None,
        "message": problem.message,
        "path": dotted(problem.path) or None,
        "hint": problem.hint or None,
        "file": problem.file or None,
        "line": problem.mark.line if problem.mark else None,
        "column": problem.mark.column if problem.mark else None,
    }


def render_tree_json(
    spec: str,
    out: str | None,
    changes: Iterable[tuple[str, str]] = (),
    foreign: Sequence[str] = (),
    problems: Iterable[Problem] = (),
) -> dict[str, Any]:
    """One spec's entry: what rendering it into OUT would create, change and remove.

    `changes`: (path relative to OUT, action) with action create/change/remove/unchanged; `out` None
    when the spec is invalid (then `upToDate` is None and the problems say why).
    """
    by_action: dict[str, list[str]] = {"create": [], "change": [], "remove": [], "unchanged": []}
    for path, action in changes:
        by_action[action].append(path)
    shown = list(problems)
    failed = out is None or any(p.severity == "error" for p in shown)
    drift = bool(by_action["create"] or by_action["change"] or by_action["remove"])
    return {
        "spec": spec,
        "out": out,
        "upToDate": None if failed else not drift,
        "created": sorted(by_action["create"]),
        "changed": sorted(by_action["change"]),
        "removed": sorted(by_action["remove"]),
        "unchanged": len(by_action["unchanged"]),
        "notOurs": sorted(foreign),
        "problems": [problem_json(p) for p in shown],
    }


def render_report(mode: str, trees: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The object `wlid render --check|--dry-run --format json` prints; `mode` is "check" or "dry-run"."""
    return {
        "version": JSON_VERSION,
        "command": "render",
        "mode": mode,
        "upToDate": all(t["upToDate"] is True for t in trees),
        "trees": list(trees),
    }


def explain_report(spec: str, name: str, views: Sequence[EnvironmentView]) -> dict[str, Any]:
    """The object `wlid explain --format json` prints: the per-environment view of `wlid explain`."""
    return {
        "version": JSON_VERSION,
        "command": "explain",
        "spec": spec,
        "name": name,
        "environments": [_environment(v) for v in views],
    }


def _environment(view: EnvironmentView) -> dict[str, Any]:
    return {
        "name": view.name,
        "azure": {
            "subscriptionId": view.subscription_id,
            "resourceGroup": view.resource_group,
            "location": view.location,
        },
        "cluster": {
            "name": view.cluster,
            "resourceGroup": view.cluster_resource_group,
            "subscriptionId": view.cluster_subscription_id,
            "enablesWorkloadIdentity": view.enables_workload_identity,
        },
        "issuer": {"url": view.issuer, "source": "cluster" if view.issuer is None else "pinned"},
        "identities": [
            {
                "name": identity.name,
                "clientId": identity.client_id if identity.pinned else None,
                "placeholder": None if identity.pinned else identity.client_id,
                "federatedCredentials": [
                    {"name": c.name, "subject": c.subject} for c in identity.credentials
                ],
                "roles": [
                    {
                        "role": r.role,
                        "roleDefinitionId": r.role_id or None,
                        "scope": r.scope,
                        "scopeId": r.scope_id or None,
                        "description": r.description,
                    }
                    for r in identity.roles
                ],
                "serviceAccounts": [
                    {
                        "namespace": a.namespace,
                        "name": a.name,
                        "tokenExpiration": a.token_expiration,
                        "workloads": [_workload_json(w) for w in a.workloads],
                    }
                    for a in identity.accounts
                ],
            }
            for identity in view.identities
        ],
        "warnings": [problem_json(w) for w in view.warnings],
    }


def _workload_json(w: WorkloadView) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": w.kind, "namespace": w.namespace, "name": w.name, "existing": w.existing}
    if w.vaults:  # keyVaultSecrets: only on workloads that mount a vault
        out["keyVaults"] = [
            {
                "vault": v.vault,
                "objects": list(v.objects),
                "mountPath": v.mount_path,
                "secretProviderClass": v.secret_provider_class,
                "syncedSecret": v.synced_secret,
            }
            for v in w.vaults
        ]
    return out
