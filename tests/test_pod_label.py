"""A pod of a ServiceAccount with a client ID gets a token only with the label the webhook looks for.

The workload identity webhook mutates only pods labelled `azure.workload.identity/use: "true"`; a pod
without it runs as the annotated ServiceAccount and gets no token ("Otherwise the pods will fail after
they are restarted"). WI015 makes that an error for every pod of every overlay as built (the label
may come from, or be removed by, a patch) and for the Components of existing workloads; a pod that
wants no token says so with `wlid.io/workload-identity: disabled` (spec: `workloadIdentity: false`).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT

from wlid_render.errors import SpecError
from wlid_render.plan.source import plan_source
from wlid_render.spec.load import load_text
from wlid_render.validate.run import Options, validate_tree
from wlid_render.workflow.pipeline import render_plan

OFFLINE = Options(use_kubectl=False)
USE = "azure.workload.identity/use"
OPT_OUT = "wlid.io/workload-identity"
needs_kubectl = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH")


def _copy(tmp_path: Path, name: str) -> Path:
    out = tmp_path / name
    shutil.copytree(ROOT / "out" / name, out)
    return out


def _rule(out: Path, rule: str) -> list[Any]:
    return [f for f in validate_tree(out, OFFLINE) if f.rule == rule]


def _templates(doc: dict[str, Any]) -> list[dict[str, Any]]:
    if doc["kind"] == "Pod":
        return [doc]
    if doc["kind"] == "CronJob":
        return [doc["spec"]["jobTemplate"]["spec"]["template"]]
    return [doc["spec"]["template"]]


def _strip_labels(out: Path) -> int:
    """Remove the label from every pod (template) of the base and the overlays; how many were removed."""
    removed = 0
    for path in sorted((out / "k8s").rglob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        docs = list(yaml.safe_load_all(path.read_text("utf-8")))
        for doc in docs:
            if doc.get("kind") in ("Pod", "Deployment", "StatefulSet", "Job", "CronJob"):
                for template in _templates(doc):
                    labels = (template.get("metadata") or {}).get("labels") or {}
                    if labels.pop(USE, None) is not None:
                        removed += 1
        path.write_text(yaml.safe_dump_all(docs, sort_keys=False), "utf-8")
    return removed


@pytest.mark.parametrize("name", ["lab", "platform", "multi-env"])
def test_a_tree_without_any_label_is_an_error(tmp_path: Path, name: str):
    out = _copy(tmp_path, name)
    assert _rule(out, "WI015") == []
    assert _strip_labels(out) > 0
    findings = _rule(out, "WI015")
    assert findings and all(f.severity == "error" for f in findings)
    kinds = {f.message.split()[0] for f in findings}
    expected = {
        "lab": {"Pod"},
        "platform": {"Deployment", "StatefulSet", "Job", "CronJob"},
        "multi-env": {"Deployment", "CronJob"},
    }[name]
    assert kinds == expected
    assert all("(overlay " in f.message and "no token" in f.message for f in findings)


@pytest.mark.kubectl
@needs_kubectl
def test_a_patch_that_removes_the_label_is_found_and_kubectl_agrees(tmp_path: Path):
    out = _copy(tmp_path, "platform")
    folder = out / "k8s" / "overlays" / "prod" / "orders"
    patches = folder / "patches.yaml"
    removal = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "orders-api", "namespace": "orders"},
        "spec": {"template": {"metadata": {"labels": {USE: None}}}},
    }
    text = patches.read_text("utf-8") if patches.exists() else ""
    patches.write_text(text + ("---\n" if text else "") + yaml.safe_dump(removal, sort_keys=False), "utf-8")
    kustomization = folder / "kustomization.yaml"
    doc = yaml.safe_load(kustomization.read_text("utf-8"))
    if {"path": "patches.yaml"} not in doc.setdefault("patches", []):
        doc["patches"].append({"path": "patches.yaml"})
    kustomization.write_text(yaml.safe_dump(doc, sort_keys=False), "utf-8")

    built = subprocess.run(
        ["kubectl", "kustomize", str(out / "k8s" / "overlays" / "prod")],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    (deployment,) = [d for d in yaml.safe_load_all(built) if d and d["kind"] == "Deployment"]
    assert USE not in deployment["spec"]["template"]["metadata"]["labels"]

    (finding,) = _rule(out, "WI015")
    assert finding.message.startswith("Deployment orders/orders-api (overlay prod)")
    assert finding.file.endswith("k8s/overlays/prod/orders/patches.yaml")
    line = patches.read_text("utf-8").splitlines()[finding.line - 1]
    assert USE in line


def test_the_opt_out_annotation_silences_wi015_and_the_label_with_it_is_wi020(tmp_path: Path):
    out = _copy(tmp_path, "lab")
    pods = out / "k8s" / "base" / "default" / "pods.yaml"
    docs = list(yaml.safe_load_all(pods.read_text("utf-8")))
    docs[0]["metadata"]["labels"].pop(USE)
    docs[0]["metadata"].setdefault("annotations", {})[OPT_OUT] = "disabled"
    docs[1]["metadata"].setdefault("annotations", {})[OPT_OUT] = "disabled"
    pods.write_text(yaml.safe_dump_all(docs, sort_keys=False), "utf-8")
    assert _rule(out, "WI015") == []
    (warning,) = _rule(out, "WI020")
    assert warning.severity == "warning"
    assert docs[1]["metadata"]["name"] in warning.message


def test_a_component_without_the_label_is_an_error(tmp_path: Path):
    out = _copy(tmp_path, "existing-app")
    assert _rule(out, "WI015") == []
    patch = out / "k8s" / "components" / "deployment_payments_payments-api" / "patch.yaml"
    doc = yaml.safe_load(patch.read_text("utf-8"))
    doc["spec"]["template"]["metadata"]["labels"].pop(USE)
    patch.write_text(yaml.safe_dump(doc, sort_keys=False), "utf-8")
    (finding,) = _rule(out, "WI015")
    assert finding.file.endswith("deployment_payments_payments-api/patch.yaml")
    assert "payments-api" in finding.message


SPEC = """\
apiVersion: wlid/v1
kind: WorkloadIdentitySpec
metadata: {name: optout}
azure: {subscriptionId: 11111111-1111-1111-1111-111111111111, resourceGroup: rg, location: eastus}
cluster: {name: aks}
identities: [{name: app-identity}]
serviceAccounts: [{name: app, namespace: apps, identity: app-identity}]
workloads:
  - name: with-token
    kind: Deployment
    serviceAccount: app
    containers: [{name: c, image: busybox}]
  - name: without-token
    kind: Job
    serviceAccount: app
    workloadIdentity: false
    containers: [{name: c, image: busybox}]
  - name: legacy
    kind: Deployment
    serviceAccount: app
    existing: true
    workloadIdentity: false
environments:
  dev: {clientIds: {app-identity: 33333333-3333-3333-3333-333333333333}}
"""


def _render(tmp_path: Path, text: str) -> Path:
    plan = plan_source(load_text(text, "spec.yaml"))
    for artifact in render_plan(plan):
        path = tmp_path / artifact.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(artifact.text, "utf-8")
    return tmp_path


@pytest.mark.kubectl
@needs_kubectl
def test_a_spec_workload_can_opt_out(tmp_path: Path):
    out = _render(tmp_path, SPEC)
    findings = validate_tree(out, Options())
    assert [f for f in findings if f.severity == "error"] == []
    built = subprocess.run(
        ["kubectl", "kustomize", str(out / "k8s" / "overlays" / "dev")],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    objects = {d["metadata"]["name"]: d for d in yaml.safe_load_all(built) if d}
    with_token = objects["with-token"]["spec"]["template"]["metadata"]
    assert with_token["labels"][USE] == "true"
    assert OPT_OUT not in with_token.get("annotations", {})
    without = objects["without-token"]["spec"]["template"]["metadata"]
    assert USE not in without["labels"]
    assert without["annotations"][OPT_OUT] == "disabled"
    patch = yaml.safe_load((out / "k8s" / "components" / "deployment_apps_legacy" / "patch.yaml").read_text())
    assert patch["spec"]["template"]["metadata"] == {"annotations": {OPT_OUT: "disabled"}}
    assert patch["spec"]["template"]["spec"] == {"serviceAccountName": "app"}


@pytest.mark.parametrize(
    "key",
    [
        "wlid.io/workload-identity",
        "kustomize.toolkit.fluxcd.io/substitute",
        "kustomize.toolkit.fluxcd.io/force",
        "argocd.argoproj.io/sync-options",
    ],
)
def test_annotations_wlid_sets_cannot_come_from_the_spec(key: str):
    text = SPEC.replace(
        "    workloadIdentity: false\n    containers", f"    annotations: {{{key}: x}}\n    containers"
    )
    with pytest.raises(SpecError) as raised:
        plan_source(load_text(text, "spec.yaml"))
    (problem,) = raised.value.problems
    assert f"{key} is set by wlid" in problem.message
    assert problem.mark is not None and problem.mark.line == 16
