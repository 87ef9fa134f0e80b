"""What wlid offers around the command: pre-commit hooks, one version, a changelog."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from click.testing import CliRunner
from conftest import LAB_SPEC, ROOT

import wlid_render
from wlid_render.cli import main

HOOKS = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text("utf-8"))


def _hook(hook_id: str) -> dict:
    return next(h for h in HOOKS if h["id"] == hook_id)


def test_the_hooks_run_wlid_with_the_expected_files():
    assert [h["id"] for h in HOOKS] == ["wlid-check", "wlid-validate"]
    for hook in HOOKS:
        assert {"id", "name", "entry", "language"} <= set(hook) and hook["language"] == "python"
        assert hook["entry"].split()[0] == "wlid"
    check, validate = _hook("wlid-check"), _hook("wlid-validate")
    assert check["entry"].split()[1:3] == ["render", "--check"] and check["pass_filenames"] is True
    files = re.compile(check["files"])
    assert all(files.search(p) for p in ["wlid.yaml", "deploy/wlid.yml", "specs/lab.yaml"])
    assert not any(files.search(p) for p in ["out/lab/k8s/base/kustomization.yaml", "README.md", ".ci/run"])
    assert validate["entry"].split()[1] == "validate" and validate["pass_filenames"] is False
    assert re.search(validate["files"], "out/lab/azure/main.json")


def test_wlid_check_passes_on_this_repository_and_fails_on_a_stale_tree(tmp_path: Path, monkeypatch):
    """The hook's command line, as pre-commit runs it: several spec files at once."""
    args = _hook("wlid-check")["entry"].split()[1:]
    monkeypatch.chdir(ROOT)
    specs = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "specs").glob("*.yaml"))
    result = CliRunner().invoke(main, [*args, *specs])
    assert result.exit_code == 0, result.output
    assert result.output == "", "quiet when everything is up to date"
    monkeypatch.chdir(tmp_path)
    (tmp_path / "wlid.yaml").write_text(LAB_SPEC.read_text("utf-8"), "utf-8")
    stale = CliRunner().invoke(main, [*args, "wlid.yaml", str(ROOT / "specs" / "platform.yaml")])
    assert stale.exit_code == 1 and "out/lab is out of date" in stale.output
    assert "out/platform is out of date" in stale.output  # every spec is checked, not only the first


def test_wlid_validate_hook_passes_on_the_committed_trees(monkeypatch):
    monkeypatch.chdir(ROOT)
    args = _hook("wlid-validate")["entry"].split()[1:]
    result = CliRunner().invoke(main, [*args, "--no-kubectl"])
    assert result.exit_code == 0, result.output


def test_the_version_is_set_in_one_place():
    pyproject = (ROOT / "pyproject.toml").read_text("utf-8")  # (tomllib needs Python 3.11)
    project = pyproject.split("[project]\n", 1)[1].split("\n[", 1)[0]
    assert 'dynamic = ["version"]' in project and not re.search(r"^version\s*=", project, flags=re.M)
    assert '[tool.hatch.version]\npath = "wlid_render/__init__.py"\n' in pyproject
    assert (
        len(re.findall(r"^__version__ = ", (ROOT / "wlid_render" / "__init__.py").read_text(), flags=re.M))
        == 1
    )
    assert re.fullmatch(r"\d+\.\d+\.\d+", wlid_render.__version__)
    result = CliRunner().invoke(main, ["--version"])
    assert result.output == f"wlid, version {wlid_render.__version__}\n"


def test_the_changelog_has_an_entry_for_this_version():
    text = (ROOT / "CHANGELOG.md").read_text("utf-8")
    assert "[Keep a Changelog](https://keepachangelog.com/" in text
    releases = re.findall(r"^## \[(\d+\.\d+\.\d+)\] - \d{4}-\d{2}-\d{2}$", text, flags=re.M)
    assert releases and releases[0] == wlid_render.__version__, "add a CHANGELOG.md entry for this version"
    assert "## [Unreleased]" in text
    entry = text.split(f"## [{wlid_render.__version__}]", 1)[1].split("\n## [", 1)[0]
    for command in ["render", "validate", "bind", "whatif", "init", "schema", "explain"]:
        assert f"`wlid {command}" in entry, command
    for topic in ["Environments", "GitOps", "Pipelines", "Components"]:
        assert f"- {topic}:" in entry, topic
