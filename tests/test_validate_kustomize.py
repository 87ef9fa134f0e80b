"""K8S002: `kubectl kustomize` of the folders GitOps builds, in parallel, each within its own timeout."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT, copy_example
from k8s_trees import needs_kubectl

from wlid_render.cli import main
from wlid_render.validate import kustomize
from wlid_render.validate.kustomize import Unit, UnitBuild, build_units, check_kustomize, units
from wlid_render.validate.overlays import build_overlays
from wlid_render.validate.run import Options, validate_tree
from wlid_render.validate.tree import RenderedTree

OUT = ROOT / "out"



def units_of(root: Path, whole: bool = False) -> list[Unit]:
    tree = RenderedTree(root)
    overlays, _ = build_overlays(tree)
    return units(tree, overlays, whole)


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text("utf-8") + text, "utf-8")


# -- which folders --------------------------------------------------------------------------------
def test_units_are_the_folders_the_gitops_objects_point_at(tmp_path: Path) -> None:
    root = copy_example("multi-env", tmp_path)
    assert [(u.folder, u.whole) for u in units_of(root)] == [
        ("k8s/overlays/dev/shop", False),
        ("k8s/overlays/prod/shop", False),
    ]
    # a Flux Kustomization of the whole dev overlay instead: that is what Flux builds
    flux = root / "gitops/flux/dev.yaml"
    flux.write_text(flux.read_text("utf-8").replace("overlays/dev/shop", "overlays/dev"), "utf-8")
    argocd = root / "gitops/argocd/dev.yaml"
    argocd.unlink()
    assert [u.folder for u in units_of(root)] == ["k8s/overlays/dev", "k8s/overlays/prod/shop"]


def test_without_gitops_each_namespace_folder_is_a_unit() -> None:
    found = units_of(OUT / "platform")
    assert [u.folder for u in found] == [
        f"k8s/overlays/{env}/{ns}" for env in ("dev", "prod", "staging") for ns in ("orders", "reporting")
    ]
    assert not any(u.whole for u in found)
    # sized by the objects wlid's own builder finds: Namespace, ServiceAccounts, workloads
    tree = RenderedTree(OUT / "platform")
    overlays, _ = build_overlays(tree)
    for env, objects in overlays.items():
        assert sum(u.objects for u in found if u.folder.split("/")[2] == env) == len(objects)


def test_an_overlay_that_lists_more_than_folders_is_built_whole(tmp_path: Path) -> None:
    root = copy_example("platform", tmp_path)
    append(root / "k8s/overlays/prod/kustomization.yaml", "commonLabels: {team: a}\n")
    (root / "k8s/overlays/staging/extra.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n")
    append(root / "k8s/overlays/staging/kustomization.yaml", "- extra.yaml\n")
    assert [(u.folder, u.whole) for u in units_of(root)] == [
        ("k8s/overlays/dev/orders", False),
        ("k8s/overlays/dev/reporting", False),
        ("k8s/overlays/prod", True),
        ("k8s/overlays/staging", True),
    ]


def test_kustomize_whole_builds_each_overlay_once() -> None:
    found = units_of(OUT / "platform", whole=True)
    assert [(u.folder, u.whole, u.where) for u in found] == [
        ("k8s/overlays/dev", True, "overlay dev"),
        ("k8s/overlays/prod", True, "overlay prod"),
        ("k8s/overlays/staging", True, "overlay staging"),
    ]


def test_the_timeout_grows_with_the_objects_and_faster_for_a_whole_overlay() -> None:
    small, folder = Unit("k8s/overlays/dev/a", 3), Unit("k8s/overlays/dev/a", 801)
    assert small.timeout >= kustomize.BASE_TIMEOUT
    assert folder.timeout - kustomize.BASE_TIMEOUT == pytest.approx(801 * kustomize.PER_OBJECT_TIMEOUT)
    whole = Unit("k8s/overlays/dev", 20_025, whole=True)
    assert whole.timeout - kustomize.BASE_TIMEOUT > 25 * (folder.timeout - kustomize.BASE_TIMEOUT) * 5


# -- building -------------------------------------------------------------------------------------
def fake_kubectl(tmp_path: Path, body: str) -> str:
    """An executable standing in for kubectl: Python `body` with `folder` the folder to build."""
    path = tmp_path / "kubectl"
    path.write_text(f"#!{sys.executable}\nimport sys, time, os\nfolder = sys.argv[2]\n{body}\n", "utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_builds_run_in_parallel_on_a_bounded_pool(tmp_path: Path) -> None:
    log = tmp_path / "log"
    kubectl = fake_kubectl(
        tmp_path,
        f"open({str(log)!r}, 'a').write(f'{{time.time()}} +1\\n'); time.sleep(0.4); "
        f"open({str(log)!r}, 'a').write(f'{{time.time()}} -1\\n')",
    )
    tree = RenderedTree(OUT / "platform")
    todo = units_of(OUT / "platform")
    builds = build_units(tree, kubectl, todo, jobs=2)
    assert [b.unit for b in builds] == todo  # in unit order
    assert all(b.finding is None and b.seconds >= 0.4 for b in builds)
    events = sorted((float(t), int(d)) for t, d in (line.split() for line in log.read_text().splitlines()))
    running = peak = 0
    for _, delta in events:
        running += delta
        peak = max(peak, running)
    assert peak == 2  # two at a time: in parallel, never more than the pool


def test_a_unit_past_its_timeout_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kubectl = fake_kubectl(tmp_path, "time.sleep(5 if folder.endswith('reporting') else 0)")
    monkeypatch.setattr(kustomize, "BASE_TIMEOUT", 1.0)
    monkeypatch.setattr(kustomize, "PER_OBJECT_TIMEOUT", 0.0)
    tree = RenderedTree(OUT / "platform")
    builds = build_units(tree, kubectl, [u for u in units_of(OUT / "platform") if "/dev/" in u.folder], 2)
    assert builds[0].finding is None
    finding = builds[1].finding
    assert finding is not None and finding.rule == "K8S002"
    assert finding.file == (OUT / "platform/k8s/overlays/dev/reporting/kustomization.yaml").as_posix()
    assert finding.message == "kubectl kustomize did not finish within 1 s (overlay dev, folder reporting, 3 objects)"


@pytest.mark.kubectl
@needs_kubectl
def test_a_broken_unit_is_the_one_named(tmp_path: Path) -> None:
    root = copy_example("platform", tmp_path)
    append(root / "k8s/overlays/staging/reporting/kustomization.yaml", "- path: missing.yaml\n")
    heard: list[UnitBuild] = []
    findings = validate_tree(root, Options(on_build=heard.append))
    k8s002 = [f for f in findings if f.rule == "K8S002"]
    assert len(k8s002) == 1
    assert k8s002[0].file == (root / "k8s/overlays/staging/reporting/kustomization.yaml").as_posix()
    assert k8s002[0].message.startswith("kubectl kustomize failed (overlay staging, folder reporting, exit 1)")
    assert "missing.yaml" in k8s002[0].message
    assert [b.unit.folder for b in heard] == [u.folder for u in units_of(root)]
    assert [b.unit.folder for b in heard if b.finding] == ["k8s/overlays/staging/reporting"]


@pytest.mark.kubectl
@needs_kubectl
def test_a_broken_folder_no_gitops_object_builds_is_not_built(tmp_path: Path) -> None:
    root = copy_example("multi-env", tmp_path)
    spare = root / "k8s/overlays/dev/spare"
    spare.mkdir()
    (spare / "kustomization.yaml").write_text("resources:\n- missing.yaml\n", "utf-8")
    tree = RenderedTree(root)
    overlays, _ = build_overlays(tree)
    assert check_kustomize(tree, overlays) == []  # Flux and Argo CD build dev/shop only
    whole = check_kustomize(tree, overlays, whole=True)
    assert whole == []  # the dev overlay does not list it either


@pytest.mark.kubectl
@needs_kubectl
def test_cli_prints_each_build_with_v_and_builds_whole_overlays_on_request() -> None:
    result = CliRunner().invoke(main, ["validate", str(OUT / "platform"), "-v"])
    assert result.exit_code == 0, result.output
    timed = [line for line in result.stderr.splitlines() if ": kubectl kustomize " in line]
    assert [line.split(":")[0] for line in timed] == [
        (OUT / "platform" / u.folder).as_posix() for u in units_of(OUT / "platform")
    ]
    assert all(line.endswith(" objects)") for line in timed)
    result = CliRunner().invoke(main, ["validate", str(OUT / "platform"), "-v", "--kustomize-whole"])
    assert result.exit_code == 0, result.output
    timed = [line for line in result.stderr.splitlines() if ": kubectl kustomize " in line]
    assert len(timed) == 3 and all(line.endswith(", whole overlay)") for line in timed)
    result = CliRunner().invoke(main, ["validate", str(OUT / "platform"), "--no-kubectl", "--kustomize-whole"])
    assert result.exit_code == 2
    assert "exclude each other" in result.output


@pytest.mark.slow
@pytest.mark.kubectl
@needs_kubectl
def test_no_false_k8s002_on_a_big_tree(tmp_path: Path) -> None:
    """3,000 workloads in 25 namespaces and 3 environments: 75 folders of 241 objects each, every one
    well within its timeout (the overlays hold 6,025 objects each; one kustomize build of such an
    overlay takes several times as long as all its folders together)."""
    from generate import spec_text

    spec = tmp_path / "big.yaml"
    spec.write_text(spec_text(3000), "utf-8")
    out = tmp_path / "out"
    render = subprocess.run(
        [sys.executable, "-m", "wlid_render", "render", str(spec), "-o", str(out), "-q"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert render.returncode == 0, render.stderr
    heard: list[UnitBuild] = []
    findings = validate_tree(out, Options(on_build=heard.append))
    assert [f for f in findings if f.severity == "error"] == []
    assert {f.rule for f in findings} <= {"WI013"}  # only the placeholder warnings
    assert len(heard) == 75
    assert {b.unit.objects for b in heard} == {241}
    assert all(b.seconds < b.unit.timeout / 4 for b in heard), max(b.seconds for b in heard)
