"""`wlid import` and `wlid drift` through the CLI, on recorded Azure responses (no network)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

pytest.importorskip("azure.mgmt.msi", reason="the wlid[azure] extra is not installed")

import azure_replay as recorded

import wlid_render.brownfield as brownfield
from wlid_render.cli import main


@pytest.fixture
def lab_state(monkeypatch: pytest.MonkeyPatch):
    real_read, real_env = brownfield.read_state, brownfield.read_environment_state

    def read(*args, **kwargs):  # type: ignore[no-untyped-def]
        return real_read(
            *args, credential=recorded.FakeCredential(), transport=recorded.replay("lab-roles"), **kwargs
        )

    def read_env(*args, **kwargs):  # type: ignore[no-untyped-def]
        return real_env(
            *args, credential=recorded.FakeCredential(), transport=recorded.replay("lab-roles"), **kwargs
        )

    monkeypatch.setattr(brownfield, "read_state", read)
    monkeypatch.setattr(brownfield, "read_environment_state", read_env)


def _import(spec: Path):  # type: ignore[no-untyped-def]
    args = ["--subscription", recorded.SUB, "--resource-group", recorded.RG, "--cluster", "aks-wlid-lab"]
    return CliRunner().invoke(main, ["import", *args, "-o", str(spec)])


def test_import_then_drift_is_empty(tmp_path: Path, lab_state: None):
    spec = tmp_path / "imported.yaml"
    imported = _import(spec)
    assert imported.exit_code == 0, imported.output
    assert "myFedIdentity" in spec.read_text("utf-8")
    again = _import(spec)
    assert again.exit_code == 2 and "--force" in again.output
    report = CliRunner().invoke(main, ["drift", str(spec), "--env", "default"])
    assert report.exit_code == 0, report.output
    assert "no drift" in report.output
    as_json = CliRunner().invoke(main, ["drift", str(spec), "--env", "default", "--format", "json"])
    assert as_json.exit_code == 0 and json.loads(as_json.output)["hasDrift"] is False


def test_import_into_a_folder_that_cannot_be_written_is_exit_2(tmp_path: Path, lab_state: None):
    result = _import(Path("/proc/imported.yaml"))
    assert result.exit_code == 2 and "cannot write /proc/imported.yaml" in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)


def _recorded(monkeypatch: pytest.MonkeyPatch, *, with_bindings: bool) -> list[dict]:
    """read_state against bindings-roles.json (less its identityBindings answer unless `with_bindings`);
    returns the keyword arguments of each call."""
    real_read = brownfield.read_state
    calls: list[dict] = []
    interactions = json.loads((recorded.CASES / "bindings-roles.json").read_text("utf-8"))["interactions"]
    if not with_bindings:
        interactions = [i for i in interactions if not i["request"]["path"].endswith("/identityBindings")]

    def read(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(kwargs)
        transport = recorded.Replay(interactions)
        state = real_read(*args, credential=recorded.FakeCredential(), transport=transport, **kwargs)
        assert transport.all_used(), "every recorded answer is asked for"
        return state

    monkeypatch.setattr(brownfield, "read_state", read)
    return calls


def test_import_with_bindings_marks_the_bound_identity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    calls = _recorded(monkeypatch, with_bindings=True)
    spec = tmp_path / "imported.yaml"
    args = ["--subscription", recorded.SUB, "--resource-group", recorded.RG, "--cluster", "aks-wlid-lab"]
    result = CliRunner().invoke(main, ["import", *args, "--bindings", "-o", str(spec)])
    assert result.exit_code == 0, result.output
    assert calls[0]["bindings"] is True
    text = spec.read_text("utf-8")
    bound = text.split("- name: myIdentity", 1)[1].split("- name:", 1)[0]
    assert "federation: identityBinding" in bound
    legacy = text.split("- name: legacy", 1)[1].split("- name:", 1)[0]
    assert "federation" not in legacy


def test_import_reads_no_bindings_unless_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    calls = _recorded(monkeypatch, with_bindings=False)  # a GET of the bindings would find no answer
    spec = tmp_path / "imported.yaml"
    args = ["--subscription", recorded.SUB, "--resource-group", recorded.RG, "--cluster", "aks-wlid-lab"]
    result = CliRunner().invoke(main, ["import", *args, "-o", str(spec)])
    assert result.exit_code == 0, result.output
    assert calls[0]["bindings"] is False
    assert "identityBinding" not in spec.read_text("utf-8")
