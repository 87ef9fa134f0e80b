"""Every example spec: out/<name>/ is its rendering byte for byte, the files parse, rendering is deterministic.

out/<name>/ is committed and is what users see; it is the golden output of the tests (kept once)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest
import yaml
from conftest import ROOT, SPECS, copy_example
from golden_trees import tree_difference

from wlid_render.workflow.pipeline import render_file


@pytest.fixture(params=SPECS, ids=lambda p: p.stem, scope="module")
def rendering(request):
    return request.param, _render(request.param)


def _render(spec):
    """Render as `wlid render specs/<name>.yaml` from the repository root does (the path is recorded)."""
    here = os.getcwd()
    os.chdir(ROOT)
    try:
        return render_file(spec.relative_to(ROOT).as_posix())
    finally:
        os.chdir(here)


def test_the_committed_out_is_the_rendering_byte_for_byte(rendering):
    spec, result = rendering
    difference = tree_difference(ROOT / "out" / spec.stem, result.artifacts, spec)
    assert difference is None, difference


def test_every_file_parses(rendering):
    _, result = rendering
    for artifact in result.artifacts:
        if artifact.path.endswith(".json"):
            json.loads(artifact.text)
        elif artifact.path.endswith(".yaml"):
            docs = list(yaml.safe_load_all(artifact.text))
            assert docs and all(isinstance(d, dict) for d in docs), artifact.path


def test_rendering_is_deterministic(rendering):
    spec, first = rendering
    assert _render(spec).artifacts == first.artifacts


@pytest.mark.kubectl
def test_every_committed_overlay_builds_with_kubectl():
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not on PATH")
    overlays = sorted((ROOT / "out").glob("*/k8s/overlays/*"))
    assert len(overlays) >= 7
    for overlay in overlays:
        done = subprocess.run(
            ["kubectl", "kustomize", str(overlay)], capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, f"{overlay}: {done.stderr}"
        assert list(yaml.safe_load_all(done.stdout)), overlay


# -- the golden comparison fails on every kind of difference -----------------------------------------
@pytest.fixture(scope="module")
def lab_rendering():
    return _render(ROOT / "specs" / "lab.yaml")


def test_an_identical_copy_has_no_difference(lab_rendering, tmp_path):
    assert tree_difference(copy_example("lab", tmp_path), lab_rendering.artifacts, ROOT / "specs" / "lab.yaml") is None


def test_a_changed_byte_shows_the_diff_of_that_file(lab_rendering, tmp_path):
    out = copy_example("lab", tmp_path)
    pods = out / "k8s" / "base" / "default" / "pods.yaml"
    pods.write_bytes(pods.read_bytes().replace(b"image: busybox\n", b"image: busybox:1.37\n", 1))
    difference = tree_difference(out, lab_rendering.artifacts, ROOT / "specs" / "lab.yaml")
    assert difference is not None
    assert f"{out.as_posix()}/k8s/base/default/pods.yaml differs" in difference
    assert "\n-    image: busybox:1.37\n+    image: busybox\n" in difference
    assert f"re-render with: wlid render specs/lab.yaml -o {out.as_posix()}" in difference


def test_a_line_ending_is_a_difference(lab_rendering, tmp_path):
    out = copy_example("lab", tmp_path)
    readme = out / "README.md"
    readme.write_bytes(readme.read_bytes().replace(b"\n", b"\r\n", 1))
    difference = tree_difference(out, lab_rendering.artifacts, ROOT / "specs" / "lab.yaml")
    assert difference is not None and "README.md differs" in difference


def test_a_missing_and_an_extra_file_are_named(lab_rendering, tmp_path):
    out = copy_example("lab", tmp_path)
    (out / "azure" / "main.bicep").unlink()
    (out / "k8s" / "notes.txt").write_text("mine\n")
    difference = tree_difference(out, lab_rendering.artifacts, ROOT / "specs" / "lab.yaml")
    assert difference is not None
    assert "not committed ['azure/main.bicep']" in difference
    assert "committed but no longer rendered ['k8s/notes.txt']" in difference
