"""Every example spec: snapshots of every rendered file, parseable output, determinism, fresh out/."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest
import yaml
from conftest import ROOT, SPECS

from wlid_render.workflow.pipeline import render_file
from wlid_render.write import compare

UPDATE_SNAPSHOTS = "python -m pytest tests/test_examples.py --snapshot-update"


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


def test_every_file_matches_its_snapshot(rendering, snapshot):
    spec, result = rendering
    for artifact in result.artifacts:
        assert artifact.text == snapshot(name=f"{spec.stem}/{artifact.path}"), (
            f"{artifact.path} changed; if that is intended: {UPDATE_SNAPSHOTS}"
        )


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


def test_committed_out_is_up_to_date(rendering):
    spec, result = rendering
    out = ROOT / "out" / spec.stem
    drift = compare(out, list(result.artifacts)).drift
    assert not drift, (
        f"out/{spec.stem} is stale ({', '.join(f'{c.action} {c.path}' for c in drift)}); "
        f"update it with: wlid render specs/{spec.name} -o out/{spec.stem}"
    )


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
