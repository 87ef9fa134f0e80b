"""`wlid validate` rules PIPE001-PIPE009: each fault is planted in a rendered tree and seen; the
rendered trees are clean. The pipelines of wlid 0.1.0 (id-token for every job, unpinned actions and
install, render in the job that logs in) are found by the rules too."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT

from wlid_render.validate.rules import RULES
from wlid_render.validate.run import Options, validate_tree

OFFLINE = Options(use_kubectl=False)
GITHUB = "pipelines/github-actions.yml"
AZURE = "pipelines/azure-pipelines.yml"
PIPE_RULES = [f"PIPE00{n}" for n in range(1, 10)]


def pipe_rules(out: Path) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for finding in validate_tree(out, OFFLINE):
        if finding.rule.startswith("PIPE"):
            found.setdefault(finding.rule, []).append(finding)
    return found


def edit(path: Path, change) -> None:  # type: ignore[no-untyped-def]
    doc = yaml.safe_load(path.read_text("utf-8"))
    change(doc)
    path.write_text(yaml.safe_dump(doc, sort_keys=False), "utf-8")


def job(doc: dict[str, Any], name: str) -> dict[str, Any]:
    if isinstance(doc["jobs"], dict):
        return doc["jobs"][name]
    return next(j for j in doc["jobs"] if j["job"] == name)


def test_every_rule_is_catalogued() -> None:
    assert all(rule in RULES for rule in PIPE_RULES)


@pytest.mark.parametrize("name", ["lab", "multi-env", "platform", "existing-app"])
def test_rendered_pipelines_are_clean(name: str) -> None:
    assert pipe_rules(ROOT / "out" / name) == {}


def test_pipe001_id_token_without_login(platform_copy: Path) -> None:
    edit(platform_copy / GITHUB, lambda d: d["jobs"]["check"]["permissions"].update({"id-token": "write"}))
    found = pipe_rules(platform_copy)
    assert [f.message.split(" has")[0] for f in found["PIPE001"]] == ["job check"]
    assert found["PIPE001"][0].line is not None


def test_pipe001_id_token_for_the_whole_workflow(platform_copy: Path) -> None:
    def change(doc: dict[str, Any]) -> None:
        doc["permissions"] = {"id-token": "write", "contents": "read"}
        for value in doc["jobs"].values():
            value.pop("permissions")

    edit(platform_copy / GITHUB, change)
    found = pipe_rules(platform_copy)
    assert any("the workflow grants id-token: write" in f.message for f in found["PIPE001"])
    # the check job inherits the permission: it now renders and validates where tokens can be minted
    assert {f.message.split(" can")[0] for f in found["PIPE007"]} == {"job check"}


def test_pipe002_unpinned_install_in_a_token_job(platform_copy: Path) -> None:
    def change(doc: dict[str, Any]) -> None:
        job(doc, "whatif-prod")["steps"].insert(1, {"run": "pip install requests\ncurl -sSL https://x | bash"})

    edit(platform_copy / GITHUB, change)
    edit(
        platform_copy / AZURE,
        lambda d: job(d, "whatif_prod")["steps"].insert(1, {"script": "python -m pip install -r requirements.txt"}),
    )
    found = pipe_rules(platform_copy)
    assert len(found["PIPE002"]) == 3
    # a pinned install in the check job is fine, and so is a pinned one in a token job
    edit(platform_copy / GITHUB, lambda d: job(d, "whatif-prod")["steps"].pop(1))
    edit(platform_copy / GITHUB, lambda d: job(d, "whatif-prod")["steps"].insert(1, {"run": "pip install requests==2.32.3"}))
    edit(platform_copy / AZURE, lambda d: job(d, "whatif_prod")["steps"].pop(1))
    assert "PIPE002" not in pipe_rules(platform_copy)


def test_pipe003_action_by_tag_in_a_token_job(platform_copy: Path) -> None:
    def change(doc: dict[str, Any]) -> None:
        job(doc, "whatif-prod")["steps"][1]["uses"] = "azure/login@v2"
        job(doc, "check")["steps"][1]["uses"] = "actions/setup-python@v5"  # no tokens there: not PIPE003

    edit(platform_copy / GITHUB, change)
    found = pipe_rules(platform_copy)
    assert [("azure/login@v2" in f.message) for f in found["PIPE003"]] == [True]


def test_pipe004_expression_in_a_run_script(platform_copy: Path) -> None:
    edit(
        platform_copy / GITHUB,
        lambda d: job(d, "check")["steps"].append({"run": 'echo "${{ github.event.pull_request.title }}"'}),
    )
    assert len(pipe_rules(platform_copy)["PIPE004"]) == 1


def test_pipe005_macro_in_an_azure_script(platform_copy: Path) -> None:
    def change(doc: dict[str, Any]) -> None:
        job(doc, "check")["steps"][3]["script"] = "wlid render $(WLID_SPEC) -o out/platform --check"
        job(doc, "whatif_prod")["steps"].append({"script": "echo $[variables.x] ${{ variables.y }}"})

    edit(platform_copy / AZURE, change)
    found = pipe_rules(platform_copy)
    assert len(found["PIPE005"]) == 2
    assert "$(WLID_SPEC)" in found["PIPE005"][0].message or "$(WLID_SPEC)" in found["PIPE005"][1].message


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_pipe006_script_that_bash_cannot_parse(platform_copy: Path) -> None:
    edit(platform_copy / GITHUB, lambda d: job(d, "check")["steps"].append({"run": "az group show -n rg(x)"}))
    found = pipe_rules(platform_copy)
    assert len(found["PIPE006"]) == 1 and "bash cannot parse" in found["PIPE006"][0].message


def test_pipe007_wlid_in_a_token_job(platform_copy: Path) -> None:
    edit(platform_copy / GITHUB, lambda d: job(d, "whatif-prod")["steps"].append({"run": "wlid validate out/platform"}))
    edit(
        platform_copy / AZURE,
        lambda d: job(d, "whatif_prod")["steps"].append({"script": "wlid render specs/platform.yaml --check"}),
    )
    assert len(pipe_rules(platform_copy)["PIPE007"]) == 2


def test_pipe008_checkout_keeps_the_token(platform_copy: Path) -> None:
    edit(platform_copy / GITHUB, lambda d: job(d, "whatif-prod")["steps"][0].pop("with"))
    edit(platform_copy / AZURE, lambda d: job(d, "whatif_prod")["steps"][0].update({"persistCredentials": True}))
    found = pipe_rules(platform_copy)
    assert len(found["PIPE008"]) == 2 and all(f.severity == "warning" for f in found["PIPE008"])


def test_pipe009_unpinned_wlid(platform_copy: Path) -> None:
    edit(platform_copy / GITHUB, lambda d: job(d, "check")["steps"][2].update({"run": "python -m pip install wlid"}))
    edit(platform_copy / AZURE, lambda d: job(d, "check")["steps"][2].update({"script": "pip install 'wlid>=0.1'"}))
    found = pipe_rules(platform_copy)
    assert len(found["PIPE009"]) == 2
    assert "PIPE002" not in found  # the check job cannot mint tokens


def test_the_pipelines_of_wlid_0_1_0_are_found(tmp_path: Path) -> None:
    """The tree committed before this change: every job had id-token, installed `wlid` unpinned and ran
    render --check next to the Azure login, with actions by tag."""
    out = tmp_path / "old"
    (out / "pipelines").mkdir(parents=True)
    (out / "k8s").mkdir()  # the shape of a rendered tree, so that validate reads it
    for name in ("github-actions.yml", "azure-pipelines.yml"):
        shutil.copy(ROOT / "tests" / "cases" / "pipelines-0.1.0" / name, out / "pipelines" / name)
    found = pipe_rules(out)
    assert {"PIPE001", "PIPE002", "PIPE003", "PIPE005", "PIPE007", "PIPE008", "PIPE009"} <= set(found)
