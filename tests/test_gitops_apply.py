"""GitOps applies what the spec means: no automated Argo CD sync of placeholders, and immutable
objects that Flux and Argo CD may replace.

- Argo CD does not substitute variables: while any client ID of an environment is a placeholder its
  Applications have no `syncPolicy.automated` and say why (`wlid.io/automated-sync`); GITOPS004 finds
  an automated Application over placeholders.
- A bare Pod's spec and a Job's pod template are immutable: a changed one is refused unless Flux
  replaces the object (`kustomize.toolkit.fluxcd.io/force: enabled`) and Argo CD deletes and creates
  it (`argocd.argoproj.io/sync-options: Force=true,Replace=true`; `Replace=true` alone runs `kubectl
  replace`, which the immutable template still refuses). A CronJob's jobTemplate may change (it
  applies to the next Jobs), so CronJobs, Deployments and StatefulSets carry neither. K8S008 finds a
  Pod or Job without them.
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

OFFLINE = Options(use_kubectl=False)
FORCE = "kustomize.toolkit.fluxcd.io/force"
SYNC = "argocd.argoproj.io/sync-options"
needs_kubectl = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH")


def _copy(tmp_path: Path, name: str) -> Path:
    out = tmp_path / name
    shutil.copytree(ROOT / "out" / name, out)
    return out


def _rule(out: Path, rule: str) -> list[Any]:
    return [f for f in validate_tree(out, OFFLINE) if f.rule == rule]


def _applications(out: Path, env: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all((out / "gitops" / "argocd" / f"{env}.yaml").read_text()) if d]


def test_argo_cd_syncs_by_hand_while_client_ids_are_placeholders():
    out = ROOT / "out" / "multi-env"
    (dev,) = _applications(out, "dev")  # every client ID pinned
    assert dev["spec"]["syncPolicy"] == {"automated": {"prune": True, "selfHeal": True}}
    assert "annotations" not in dev["metadata"]
    (prod,) = _applications(out, "prod")
    assert "syncPolicy" not in prod["spec"]
    reason = prod["metadata"]["annotations"]["wlid.io/automated-sync"]
    assert "WLID_CLIENT_ID_SHOP_API" in reason and "wlid bind" in reason
    readme = (out / "gitops" / "README.md").read_text()
    assert "automated sync is off there until then" in readme


def test_gitops004_finds_automated_sync_over_placeholders(tmp_path: Path):
    out = _copy(tmp_path, "multi-env")
    assert _rule(out, "GITOPS004") == []
    path = out / "gitops" / "argocd" / "prod.yaml"
    (app,) = _applications(out, "prod")
    app["spec"]["syncPolicy"] = {"automated": {"prune": True}}
    path.write_text(yaml.safe_dump(app, sort_keys=False))
    (finding,) = _rule(out, "GITOPS004")
    assert finding.severity == "error"
    assert finding.file.endswith("gitops/argocd/prod.yaml")
    assert path.read_text().splitlines()[finding.line - 1].strip() == "automated:"  # syncPolicy's first key
    assert "${WLID_CLIENT_ID_SHOP_API}" in finding.message


def test_gitops004_leaves_pinned_overlays_alone(tmp_path: Path):
    """dev pins its client ID: automated sync there is right."""
    out = _copy(tmp_path, "multi-env")
    (dev,) = _applications(out, "dev")
    assert "automated" in dev["spec"]["syncPolicy"]
    assert _rule(out, "GITOPS004") == []


def _objects(folder: Path) -> list[dict[str, Any]]:
    docs = []
    for path in sorted(folder.rglob("*.yaml")):
        if path.name != "kustomization.yaml":
            docs += [d for d in yaml.safe_load_all(path.read_text()) if d]
    return docs


@pytest.mark.parametrize("name", ["lab", "platform"])  # Pods; Jobs beside Deployments and CronJobs
def test_only_pods_and_jobs_carry_the_replace_annotations(name: str):
    seen = set()
    for obj in _objects(ROOT / "out" / name / "k8s" / "base"):
        annotations = obj["metadata"].get("annotations", {})
        seen.add(obj["kind"])
        if obj["kind"] in ("Pod", "Job"):
            assert annotations[FORCE] == "enabled"
            assert annotations[SYNC] == "Force=true,Replace=true"
        else:
            assert FORCE not in annotations and SYNC not in annotations
    assert seen & {"Pod", "Job"}


@pytest.mark.kubectl
@needs_kubectl
def test_the_built_overlay_hands_the_annotations_to_flux_and_argo_cd():
    built = subprocess.run(
        ["kubectl", "kustomize", str(ROOT / "out" / "platform" / "k8s" / "overlays" / "prod")],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    objects = {(d["kind"], d["metadata"]["name"]): d for d in yaml.safe_load_all(built) if d}
    job = objects[("Job", "orders-migrate")]["metadata"]["annotations"]
    assert (job[FORCE], job[SYNC]) == ("enabled", "Force=true,Replace=true")
    cronjob = objects[("CronJob", "nightly-report")]["metadata"]["annotations"]
    assert FORCE not in cronjob and SYNC not in cronjob


@pytest.mark.parametrize(
    ("annotations", "fires"),
    [
        ({}, True),
        ({FORCE: "enabled"}, True),
        ({SYNC: "Replace=true"}, True),
        ({FORCE: "enabled", SYNC: "Replace=true"}, True),
        ({FORCE: "enabled", SYNC: "Replace=true, Force=true"}, False),
        ({FORCE: "enabled", SYNC: "Prune=false,Force=true,Replace=true"}, False),
    ],
)
def test_k8s008_finds_a_job_that_cannot_be_replaced(tmp_path: Path, annotations: dict[str, str], fires: bool):
    out = _copy(tmp_path, "platform")
    assert _rule(out, "K8S008") == []
    path = out / "k8s" / "base" / "orders" / "jobs.yaml"
    job = yaml.safe_load(path.read_text())
    kept = {k: v for k, v in job["metadata"]["annotations"].items() if k not in (FORCE, SYNC)}
    job["metadata"]["annotations"] = {**kept, **annotations}
    path.write_text(yaml.safe_dump(job, sort_keys=False))
    findings = _rule(out, "K8S008")
    assert bool(findings) == fires
    if fires:
        (finding,) = findings  # once, though three overlays build the Job
        assert finding.severity == "warning"
        assert finding.message.startswith("Job orders/orders-migrate")
        assert finding.file.endswith("k8s/base/orders/jobs.yaml")


def test_k8s008_leaves_cronjobs_alone(tmp_path: Path):
    out = _copy(tmp_path, "platform")
    path = out / "k8s" / "base" / "reporting" / "cronjobs.yaml"
    cronjob = yaml.safe_load(path.read_text())
    assert FORCE not in cronjob["metadata"]["annotations"]
    assert _rule(out, "K8S008") == []
