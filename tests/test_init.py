"""wlid init: a commented starter spec that renders as it is, never over an existing file."""

from __future__ import annotations

import os
from pathlib import Path

import yaml
from click.testing import CliRunner
from conftest import LAB_SPEC

from wlid_render.cli import main

LAB = LAB_SPEC
SCHEMA_LINE = "# yaml-language-server: $schema=wlid-v1.schema.json"


def _in(folder: Path, *args: str):
    here = os.getcwd()
    os.chdir(folder)
    try:
        return CliRunner().invoke(main, list(args))
    finally:
        os.chdir(here)


def test_init_writes_wlid_yaml_that_renders_and_validates(tmp_path: Path):
    result = _in(tmp_path, "init")
    assert result.exit_code == 0, result.output
    spec = tmp_path / "wlid.yaml"
    text = spec.read_text("utf-8")
    assert text.splitlines()[0] == SCHEMA_LINE
    assert "# EDIT" in text, "the template marks what to edit"
    assert result.output.splitlines() == [
        "wrote wlid.yaml (a starter spec; edit the values marked EDIT); next:",
        "  wlid render wlid.yaml",
        "  wlid validate out/my-app",
        "editor completion: wlid schema -o wlid-v1.schema.json (the spec's first line points at it)",
    ]
    rendered = _in(tmp_path, "render", "wlid.yaml")
    assert rendered.exit_code == 0, rendered.output
    validated = _in(tmp_path, "validate", "out/my-app", "--no-kubectl")
    assert validated.exit_code == 0, validated.output
    assert "0 error(s)" in validated.stderr


def test_the_template_is_the_lab_scenario_with_placeholders(tmp_path: Path):
    assert _in(tmp_path, "init").exit_code == 0
    starter = yaml.safe_load((tmp_path / "wlid.yaml").read_text("utf-8"))
    lab = yaml.safe_load(LAB.read_text("utf-8"))

    def shape(spec: dict) -> tuple:
        return (
            spec["cluster"]["enableWorkloadIdentity"],
            [(len(i["roles"]), [r["role"] for r in i["roles"]]) for i in spec["identities"]],
            len(spec["serviceAccounts"]),
            [(w["kind"], [c["image"] for c in w["containers"]]) for w in spec["workloads"]],
        )

    assert shape(starter) == shape(lab)
    assert starter["azure"]["subscriptionId"] == "00000000-0000-0000-0000-000000000000"
    assert starter != lab


def test_from_lab_writes_the_lab_scenario_exactly(tmp_path: Path):
    result = _in(tmp_path, "init", "--from-lab", "lab.yaml")
    assert result.exit_code == 0, result.output
    text = (tmp_path / "lab.yaml").read_text("utf-8")
    assert text.splitlines()[0] == SCHEMA_LINE
    assert yaml.safe_load(text) == yaml.safe_load(LAB.read_text("utf-8"))
    assert "  wlid render lab.yaml" in result.output and "  wlid validate out/lab" in result.output
    assert _in(tmp_path, "render", "lab.yaml", "-q").exit_code == 0


def test_init_refuses_to_overwrite_without_force(tmp_path: Path):
    spec = tmp_path / "wlid.yaml"
    spec.write_text("mine\n")
    refused = _in(tmp_path, "init")
    assert refused.exit_code == 2 and "wlid.yaml exists; pass --force to overwrite it" in refused.stderr
    assert spec.read_text() == "mine\n"
    forced = _in(tmp_path, "init", "--force")
    assert forced.exit_code == 0 and spec.read_text("utf-8").startswith(SCHEMA_LINE)


def test_init_into_a_new_folder_names_the_schema_beside_it(tmp_path: Path):
    result = _in(tmp_path, "init", "deploy/identity/wlid.yaml")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "deploy/identity/wlid.yaml").is_file()
    assert "  wlid render deploy/identity/wlid.yaml" in result.output
    assert "wlid schema -o deploy/identity/wlid-v1.schema.json" in result.output
