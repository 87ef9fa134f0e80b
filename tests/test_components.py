"""Kustomize Components for existing workloads work in the usual consumer, built by kubectl.

The usual consumer is a kustomization with `namespace:` over manifests that have none (a Helm
template, another repository's plain manifests). kustomize applies a Component before the
consumer's namespace, so a patch that names `metadata.namespace` finds nothing there ("failed to find
unique target for patch"). wlid's Components patch by `target` and name no namespace; K8S005 finds the
other form in a tree.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT

from wlid_render.validate.run import Options, validate_tree

needs_kubectl = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH")
COMPONENTS = ROOT / "out" / "existing-app" / "k8s" / "components"
DEPLOYMENT = "deployment_payments_payments-api"
CRONJOB = "cronjob_payments_payments-settlement"
USE = "azure.workload.identity/use"


def _deployment(namespace: str | None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": "payments-api"}
    if namespace:
        meta["namespace"] = namespace
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta,
        "spec": {
            "selector": {"matchLabels": {"app": "payments-api"}},
            "template": {
                "metadata": {"labels": {"app": "payments-api"}},
                "spec": {"containers": [{"name": "api", "image": "example/payments:1"}]},
            },
        },
    }


def _cronjob() -> dict[str, Any]:
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "payments-settlement"},
        "spec": {
            "schedule": "0 1 * * *",
            "jobTemplate": {
                "spec": {
                    "template": {
                        "spec": {
                            "restartPolicy": "OnFailure",
                            "containers": [{"name": "settle", "image": "example/settle:1"}],
                        }
                    }
                }
            },
        },
    }


def _consumer(
    tmp_path: Path, components: Path, namespace: str | None, manifest_namespace: str | None
) -> Path:
    """A consuming kustomization in a folder of its own, with a copy of the rendered Components."""
    shutil.copytree(components, tmp_path / "components")
    app = tmp_path / "app"
    app.mkdir()
    (app / "manifests.yaml").write_text(yaml.safe_dump_all([_deployment(manifest_namespace), _cronjob()]))
    kustomization: dict[str, Any] = {"resources": ["manifests.yaml"]}
    if namespace:
        kustomization["namespace"] = namespace
    kustomization["components"] = [f"../components/{DEPLOYMENT}", f"../components/{CRONJOB}"]
    (app / "kustomization.yaml").write_text(yaml.safe_dump(kustomization, sort_keys=False))
    return app


def _build(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["kubectl", "kustomize", str(folder)], capture_output=True, text=True, check=False, timeout=120
    )


@pytest.mark.kubectl
@needs_kubectl
@pytest.mark.parametrize(
    ("namespace", "manifest_namespace"),
    [("payments", None), ("payments", "payments"), (None, "payments"), ("other", None)],
)
def test_components_patch_the_consumers_objects(
    tmp_path: Path, namespace: str | None, manifest_namespace: str | None
):
    result = _build(_consumer(tmp_path, COMPONENTS, namespace, manifest_namespace))
    assert result.returncode == 0, result.stderr
    objects = {o["kind"]: o for o in yaml.safe_load_all(result.stdout)}
    deployment = objects["Deployment"]["spec"]["template"]
    assert deployment["metadata"]["labels"] == {"app": "payments-api", USE: "true"}
    assert deployment["spec"]["serviceAccountName"] == "payments-api"
    assert deployment["spec"]["containers"][0]["image"] == "example/payments:1"
    cronjob = objects["CronJob"]["spec"]["jobTemplate"]["spec"]["template"]
    assert cronjob["metadata"]["labels"] == {USE: "true"}
    assert cronjob["metadata"]["annotations"] == {"azure.workload.identity/skip-containers": "istio-proxy"}
    assert cronjob["spec"]["serviceAccountName"] == "payments-worker"
    assert objects["Deployment"]["metadata"].get("namespace") == (namespace or manifest_namespace)
    assert objects["CronJob"]["metadata"].get("namespace") == namespace


def _old_form(components: Path) -> None:
    """Plant the form wlid wrote before: the patch names its namespace and the entry has no target."""
    for folder in components.iterdir():
        kustomization = folder / "kustomization.yaml"
        doc = yaml.safe_load(kustomization.read_text("utf-8"))
        doc["patches"] = [{"path": "patch.yaml"}]
        kustomization.write_text(yaml.safe_dump(doc, sort_keys=False))
        patch = folder / "patch.yaml"
        doc = yaml.safe_load(patch.read_text("utf-8"))
        doc["metadata"]["namespace"] = "payments"
        patch.write_text(yaml.safe_dump(doc, sort_keys=False))


@pytest.mark.kubectl
@needs_kubectl
def test_the_old_form_fails_in_kubectl_and_k8s005_finds_it(tmp_path: Path):
    out = tmp_path / "existing-app"
    shutil.copytree(ROOT / "out" / "existing-app", out)
    assert [f for f in validate_tree(out, Options(use_kubectl=False)) if f.rule == "K8S005"] == []
    _old_form(out / "k8s" / "components")
    result = _build(_consumer(tmp_path, out / "k8s" / "components", "payments", None))
    assert result.returncode != 0
    assert "failed to find unique target for patch" in result.stderr
    findings = [f for f in validate_tree(out, Options(use_kubectl=False)) if f.rule == "K8S005"]
    assert sorted((Path(f.file).relative_to(out).as_posix(), f.line) for f in findings) == [
        (f"k8s/components/{CRONJOB}/kustomization.yaml", 4),
        (f"k8s/components/{CRONJOB}/patch.yaml", 5),
        (f"k8s/components/{DEPLOYMENT}/kustomization.yaml", 4),
        (f"k8s/components/{DEPLOYMENT}/patch.yaml", 5),
    ]
    assert all(f.severity == "error" for f in findings)


def test_a_target_with_a_namespace_is_found(tmp_path: Path):
    out = tmp_path / "existing-app"
    shutil.copytree(ROOT / "out" / "existing-app", out)
    kustomization = out / "k8s" / "components" / DEPLOYMENT / "kustomization.yaml"
    doc = yaml.safe_load(kustomization.read_text("utf-8"))
    doc["patches"][0]["target"]["namespace"] = "payments"
    kustomization.write_text(yaml.safe_dump(doc, sort_keys=False))
    (finding,) = [f for f in validate_tree(out, Options(use_kubectl=False)) if f.rule == "K8S005"]
    assert "names a namespace" in finding.message
    assert finding.file.endswith(f"{DEPLOYMENT}/kustomization.yaml")


def test_rendered_components_patch_by_target():
    for folder in sorted(COMPONENTS.iterdir()):
        kustomization = yaml.safe_load((folder / "kustomization.yaml").read_text("utf-8"))
        patch = yaml.safe_load((folder / "patch.yaml").read_text("utf-8"))
        (entry,) = kustomization["patches"]
        group, _, version = patch["apiVersion"].rpartition("/")
        assert entry == {
            "path": "patch.yaml",
            "target": {
                "group": group,
                "version": version,
                "kind": patch["kind"],
                "name": patch["metadata"]["name"],
            },
        }
        assert "namespace" not in patch["metadata"]
