"""Tests of the GitOps emitter: Flux Kustomizations, the identities ConfigMap, Argo CD Applications."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT
from generate import spec_text

from wlid_render.emit.gitops import emit_gitops
from wlid_render.plan.model import Plan
from wlid_render.plan.source import plan_source
from wlid_render.spec.load import load_text
from wlid_render.workflow.pipeline import render_plan

PLATFORM = (ROOT / "specs" / "platform.yaml").read_text(encoding="utf-8")
GITOPS = (
    "gitops: {repoURL: https://github.com/example/platform-gitops.git, "
    "branch: main, path: clusters/platform}\n"
)
ENVS = ("dev", "prod", "staging")
LABELS = {"app.kubernetes.io/managed-by": "wlid", "app.kubernetes.io/part-of": "platform"}

ORDERS = "WLID_CLIENT_ID_ORDERS_API"
REPORTING = "WLID_CLIENT_ID_REPORTING"
# platform.yaml pins orders-api in dev only; namespace orders uses orders-api, reporting uses reporting
PLACEHOLDERS = {"dev": [REPORTING], "prod": [ORDERS, REPORTING], "staging": [ORDERS, REPORTING]}
NAMESPACES = {"orders": ORDERS, "reporting": REPORTING}

ORDERS_ID = "0a0a0a0a-0000-4000-8000-000000000001"
REPORTING_ID = "0B0B0B0B-0000-4000-8000-000000000002"  # upper case: written lower-case


def plan_of(text: str) -> Plan:
    return plan_source(load_text(text, "spec.yaml"))


@pytest.fixture(scope="module")
def plan() -> Plan:
    return plan_of(PLATFORM + GITOPS)


def by_path(artifacts: list[Any]) -> dict[str, str]:
    return {a.path: a.text for a in artifacts}


def documents(text: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(text) if d is not None]


def flux(files: dict[str, str], env: str) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    """The environment's Flux Kustomizations by namespace folder, and its ConfigMaps."""
    docs = documents(files[f"gitops/flux/{env}.yaml"])
    kustomizations = {d["spec"]["path"].rsplit("/", 1)[1]: d for d in docs if d["kind"] == "Kustomization"}
    assert list(kustomizations) == sorted(NAMESPACES)  # one per namespace folder of the overlay
    return kustomizations, [d for d in docs if d["kind"] == "ConfigMap"]


def argocd(files: dict[str, str], env: str) -> dict[str, dict[str, Any]]:
    """The environment's Argo CD Applications by namespace folder."""
    apps = {d["spec"]["source"]["path"].rsplit("/", 1)[1]: d for d in documents(files[f"gitops/argocd/{env}.yaml"])}
    assert list(apps) == sorted(NAMESPACES)
    return apps


def test_files_per_environment(plan: Plan) -> None:
    artifacts = emit_gitops(plan)
    paths = [a.path for a in artifacts]
    assert paths == sorted(paths)
    assert set(paths) == {
        "gitops/README.md",
        *(f"gitops/flux/{e}.yaml" for e in ENVS),
        *(f"gitops/argocd/{e}.yaml" for e in ENVS),
    }
    for artifact in artifacts:
        assert artifact.text.endswith("\n") and not artifact.text.endswith("\n\n")
        if artifact.path.endswith(".yaml"):
            for doc in documents(artifact.text):
                assert list(doc)[:3] == ["apiVersion", "kind", "metadata"]
                assert list(doc)[3:] == (["data"] if doc["kind"] == "ConfigMap" else ["spec"])
                assert doc["metadata"]["labels"] == LABELS


def test_nothing_without_gitops_block_or_with_none(plan: Plan) -> None:
    assert emit_gitops(plan_of(PLATFORM)) == []
    assert emit_gitops(plan_of(PLATFORM), "both", {"dev": {"reporting": ORDERS_ID}}) == []
    assert emit_gitops(plan, "none") == []


@pytest.mark.parametrize(
    ("flavour", "folders"), [("flux", {"flux"}), ("argocd", {"argocd"}), ("both", {"flux", "argocd"})]
)
def test_flavours(plan: Plan, flavour: str, folders: set[str]) -> None:
    files = by_path(emit_gitops(plan, flavour))  # type: ignore[arg-type]
    assert {p.split("/")[1] for p in files if p != "gitops/README.md"} == folders
    readme = files["gitops/README.md"]
    assert ("## Flux" in readme) == ("flux" in folders)
    assert ("## Argo CD" in readme) == ("argocd" in folders)


def test_unknown_flavour(plan: Plan) -> None:
    with pytest.raises(ValueError, match="flavour"):
        emit_gitops(plan, "helm")  # type: ignore[arg-type]


def test_flux_kustomizations(plan: Plan) -> None:
    files = by_path(emit_gitops(plan))
    for env in ENVS:
        kustomizations, configmaps = flux(files, env)
        for namespace, kustomization in kustomizations.items():
            assert kustomization["apiVersion"] == "kustomize.toolkit.fluxcd.io/v1"
            assert kustomization["metadata"] == {
                "name": f"wlid-platform-{env}-{namespace}",
                "namespace": "flux-system",
                "labels": LABELS,
            }
            spec = kustomization["spec"]
            assert spec["interval"] == "10m"
            assert spec["path"] == f"./clusters/platform/k8s/overlays/{env}/{namespace}"
            assert spec["prune"] is True and spec["wait"] is True
            assert spec["timeout"] == "5m"
            assert spec["sourceRef"] == {"kind": "GitRepository", "name": "flux-system"}
            if NAMESPACES[namespace] in PLACEHOLDERS[env]:  # substitution only where placeholders are
                assert spec["postBuild"] == {
                    "substituteFrom": [{"kind": "ConfigMap", "name": f"wlid-{env}-identities"}]
                }
                assert "optional" not in spec["postBuild"]["substituteFrom"][0]
            else:
                assert "postBuild" not in spec
        assert configmaps == []  # nothing bound


def test_argocd_applications(plan: Plan) -> None:
    files = by_path(emit_gitops(plan))
    for env in ENVS:
        for namespace, app in argocd(files, env).items():
            assert list(app) == ["apiVersion", "kind", "metadata", "spec"]
            assert app["apiVersion"] == "argoproj.io/v1alpha1" and app["kind"] == "Application"
            assert app["metadata"]["name"] == f"wlid-platform-{env}-{namespace}"
            assert app["metadata"]["namespace"] == "argocd"
            variable = NAMESPACES[namespace]
            annotations = app["metadata"].get("annotations", {})
            assert annotations.get("wlid.io/unresolved-client-ids") == (
                variable if variable in PLACEHOLDERS[env] else None
            )
            expected = {
                "project": "default",
                "source": {
                    "repoURL": "https://github.com/example/platform-gitops.git",
                    "targetRevision": "main",
                    "path": f"clusters/platform/k8s/overlays/{env}/{namespace}",
                },
                "destination": {"server": "https://kubernetes.default.svc"},
            }
            if PLACEHOLDERS[env]:  # a placeholder anywhere in the environment: no automated sync
                reason = annotations["wlid.io/automated-sync"]
                assert reason.startswith(f"off until every client ID of environment {env} is pinned")
                assert all(v in reason for v in PLACEHOLDERS[env])
            else:
                assert "wlid.io/automated-sync" not in annotations
                expected["syncPolicy"] = {"automated": {"prune": True, "selfHeal": True}}
            assert app["spec"] == expected


def test_gitops_settings_are_used() -> None:
    text = PLATFORM + (
        "gitops:\n"
        "  repoURL: git@example.com:org/repo.git\n"
        "  branch: release\n"
        "  path: /deploy/wlid/\n"
        "  interval: 1h30m\n"
        "  fluxNamespace: flux\n"
        "  fluxSourceName: infra\n"
        "  argocdNamespace: gitops\n"
        "  argocdProject: platform\n"
        "  destinationServer: https://aks-prod.example.com\n"
    )
    files = by_path(emit_gitops(plan_of(text)))
    kustomization = flux(files, "prod")[0]["orders"]
    assert kustomization["metadata"]["namespace"] == "flux"
    assert kustomization["spec"]["interval"] == "1h30m"
    assert kustomization["spec"]["path"] == "./deploy/wlid/k8s/overlays/prod/orders"
    assert kustomization["spec"]["sourceRef"]["name"] == "infra"
    app = argocd(files, "prod")["orders"]
    assert app["metadata"]["namespace"] == "gitops"
    assert app["spec"]["project"] == "platform"
    assert app["spec"]["source"] == {
        "repoURL": "git@example.com:org/repo.git",
        "targetRevision": "release",
        "path": "deploy/wlid/k8s/overlays/prod/orders",
    }
    assert app["spec"]["destination"] == {"server": "https://aks-prod.example.com"}
    assert "kubectl apply -n gitops -f gitops/argocd/prod.yaml" in files["gitops/README.md"]


def test_root_of_repository() -> None:
    text = PLATFORM + "gitops: {repoURL: https://github.com/example/platform-gitops.git, path: .}\n"
    files = by_path(emit_gitops(plan_of(text)))
    for env in ENVS:
        for namespace, kustomization in flux(files, env)[0].items():
            assert kustomization["spec"]["path"] == f"./k8s/overlays/{env}/{namespace}"
        for namespace, app in argocd(files, env).items():
            assert app["spec"]["source"]["path"] == f"k8s/overlays/{env}/{namespace}"
            assert app["spec"]["source"]["targetRevision"] == "main"


def test_pinned_environment_needs_no_substitution() -> None:
    pinned = PLATFORM.replace(
        "      orders-api: 55555555-5555-5555-5555-555555555555\n",
        "      orders-api: 55555555-5555-5555-5555-555555555555\n"
        "      reporting: 77777777-7777-7777-7777-777777777777\n",
    )
    assert pinned != PLATFORM
    plan = plan_of(pinned + GITOPS)
    files = by_path(emit_gitops(plan, bound={"dev": {"reporting": REPORTING_ID}}))
    kustomizations, configmaps = flux(files, "dev")
    assert all("postBuild" not in k["spec"] for k in kustomizations.values())
    assert configmaps == []
    assert all("annotations" not in app["metadata"] for app in argocd(files, "dev").values())
    for env in ("prod", "staging"):
        assert all("postBuild" in k["spec"] for k in flux(files, env)[0].values())
        assert all("annotations" in app["metadata"] for app in argocd(files, env).values())


def test_configmap_only_when_every_placeholder_is_bound(plan: Plan) -> None:
    bound = {
        "dev": {"reporting": REPORTING_ID, "orders-api": ORDERS_ID},  # orders-api is pinned in dev
        "prod": {"orders-api": ORDERS_ID},  # reporting missing
        "staging": {"orders-api": ORDERS_ID, "reporting": REPORTING_ID},
    }
    files = by_path(emit_gitops(plan, "both", bound))
    _, dev = flux(files, "dev")
    assert len(dev) == 1
    assert dev[0]["metadata"] == {"name": "wlid-dev-identities", "namespace": "flux-system", "labels": LABELS}
    assert dev[0]["data"] == {
        REPORTING: REPORTING_ID.lower()
    }  # exactly the placeholders, pinned not repeated
    _, prod = flux(files, "prod")
    assert prod == []
    kustomizations, staging = flux(files, "staging")
    assert staging[0]["data"] == {ORDERS: ORDERS_ID, REPORTING: REPORTING_ID.lower()}
    for kustomization in kustomizations.values():
        assert kustomization["spec"]["postBuild"]["substituteFrom"][0]["name"] == staging[0]["metadata"]["name"]
    # Argo CD cannot use the ConfigMap: the annotation stays wherever the overlay has placeholders
    for env in ENVS:
        apps = argocd(files, env).values()
        annotated = [
            app["metadata"]["annotations"]["wlid.io/unresolved-client-ids"]
            for app in apps
            if "wlid.io/unresolved-client-ids" in app["metadata"].get("annotations", {})
        ]
        assert annotated == PLACEHOLDERS[env]
        assert all("syncPolicy" not in app["spec"] for app in apps)  # bound values do not reach Argo CD
    readme = files["gitops/README.md"]
    assert "`wlid-staging-identities` is rendered in `gitops/flux/staging.yaml`" in readme
    assert "create `wlid-prod-identities`" in readme


def test_bound_values_are_checked(plan: Plan) -> None:
    with pytest.raises(ValueError, match=r"'qa'.*dev, prod, staging"):
        emit_gitops(plan, bound={"qa": {"reporting": ORDERS_ID}})
    with pytest.raises(ValueError, match="not a GUID"):
        emit_gitops(plan, bound={"dev": {"reporting": "${WLID_CLIENT_ID_REPORTING}"}})


def test_deterministic(plan: Plan) -> None:
    bound = {"staging": {"reporting": REPORTING_ID, "orders-api": ORDERS_ID}}
    first = emit_gitops(plan, "both", bound)
    again = emit_gitops(plan_of(PLATFORM + GITOPS), "both", dict(reversed(list(bound.items()))))
    assert first == again
    assert emit_gitops(plan, "both", {"staging": dict(reversed(list(bound["staging"].items())))}) == first


def test_flux_and_argocd_paths_exist_in_rendered_tree(plan: Plan) -> None:
    assert plan.gitops is not None
    tree = {f"{plan.gitops.path}/{a.path}" for a in render_plan(plan)}
    files = by_path(emit_gitops(plan))
    for env in ENVS:
        for kustomization in flux(files, env)[0].values():
            folder = kustomization["spec"]["path"].removeprefix("./")
            assert f"{folder}/kustomization.yaml" in tree, folder
        for app in argocd(files, env).values():
            assert f"{app['spec']['source']['path']}/kustomization.yaml" in tree


def test_readme(plan: Plan) -> None:
    readme = by_path(emit_gitops(plan))["gitops/README.md"]
    for env in ENVS:
        assert f"kubectl apply -f gitops/flux/{env}.yaml" in readme
        assert f"kubectl apply -n argocd -f gitops/argocd/{env}.yaml" in readme
    assert "flux-system" in readme and "gitops/flux/" in readme
    assert "Client IDs must be pinned or bound for Argo CD" in readme
    assert "wlid-prod-identities" in readme and ORDERS in readme


def test_readme_configmap_command_runs(plan: Plan, tmp_path: Path) -> None:
    """The README's `kubectl create configmap` line, run by bash with stand-ins for az and kubectl."""
    readme = by_path(emit_gitops(plan))["gitops/README.md"]
    start = readme.index("  kubectl create configmap wlid-prod-identities")
    block = readme[start : readme.index("  ```", start)]
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "az").write_text(
        '#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a" >> "$LOG"; done\n'
        'case "$*" in *orders-api*) echo ORDERS ;; *reporting*) echo REPORTING ;; esac\n'
    )
    (bin_dir / "kubectl").write_text('#!/bin/sh\nfor a in "$@"; do printf "<%s>\\n" "$a"; done\n')
    for tool in ("az", "kubectl"):
        (bin_dir / tool).chmod(0o755)
    log = tmp_path / "az.log"
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "LOG": str(log)}
    result = subprocess.run(["bash", "-c", block], env=env, capture_output=True, text=True, check=True)
    assert result.stdout.splitlines() == [
        "<create>",
        "<configmap>",
        "<wlid-prod-identities>",
        "<-n>",
        "<flux-system>",
        f"<--from-literal={ORDERS}=ORDERS>",
        f"<--from-literal={REPORTING}=REPORTING>",
    ]
    calls = log.read_text().split("--query\n")
    assert 'properties.outputs.identities.value."orders-api".clientId' in calls[1]
    assert "--resource-group\nrg-platform-identities-prod\n" in calls[0]
    assert "--subscription\n11111111-1111-1111-1111-111111111111\n" in calls[0]
    assert "--name\nwlid-platform\n" in calls[0]


def test_split_deployments_read_each_identity_from_its_group() -> None:
    plan = plan_of(spec_text(1000) + GITOPS)
    readme = by_path(emit_gitops(plan))["gitops/README.md"]
    for deployment in plan.deployments[1:]:
        identity = deployment.identities[0].name
        assert f"--name {deployment.name} --query 'properties.outputs.identities.value.\"{identity}\".clientId'" in readme
    assert f"--name {plan.deployment_name} --query" not in readme  # main has no identities output
