"""`--format json` of `render --check|--dry-run` and `explain`: the objects match the JSON Schemas that
docs/json-output.md documents, and say what changed."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from conftest import LAB_SPEC, ROOT

from wlid_render.cli import main

DOC = ROOT / "docs" / "json-output.md"
LAB = LAB_SPEC
MULTI = ROOT / "specs" / "multi-env.yaml"
PLATFORM = ROOT / "specs" / "platform.yaml"


def _schema(name: str) -> dict:
    text = DOC.read_text("utf-8")
    match = re.search(rf"<!-- schema: {name} -->\n```json\n(.*?)\n```", text, flags=re.S)
    assert match, f"docs/json-output.md has no schema block for {name}"
    schema = json.loads(match.group(1))
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema


def _documented_examples() -> list[dict]:
    """Every JSON example of the doc that is a whole object (they carry `version`)."""
    blocks = re.findall(r"```json\n(.*?)\n```", DOC.read_text("utf-8"), flags=re.S)
    return [doc for doc in map(json.loads, blocks) if "version" in doc]


def _valid(name: str, value: dict) -> dict:
    jsonschema.Draft202012Validator(_schema(name)).validate(value)
    return value


def _run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args))


def test_the_documented_examples_match_the_documented_schemas():
    examples = _documented_examples()
    assert {e["command"] for e in examples} == {"render", "explain"}
    for example in examples:
        _valid(example["command"], example)


def test_the_schemas_refuse_what_they_do_not_document():
    """The schemas are complete (additionalProperties: false), so an undocumented field fails the tests."""
    report = next(e for e in _documented_examples() if e["command"] == "render")
    with pytest.raises(jsonschema.ValidationError):
        _valid("render", {**report, "extra": 1})
    with pytest.raises(jsonschema.ValidationError):
        _valid("render", {**report, "trees": [{**report["trees"][0], "diff": "x"}]})


def test_check_of_a_stale_tree(tmp_path: Path):
    out = tmp_path / "lab"
    assert _run("render", str(LAB), "-o", str(out), "-q").exit_code == 0
    (out / "README.md").write_text("edited\n", "utf-8")
    (out / "azure" / "main.bicep").unlink()
    (out / "NOTES.md").write_text("mine\n", "utf-8")
    manifest = out / ".wlid" / "manifest.json"
    manifest.write_text(
        manifest.read_text("utf-8").replace('"files": [', '"files": [{"path": "k8s/old.yaml"},'), "utf-8"
    )
    (out / "k8s" / "old.yaml").write_text("kind: Old\n", "utf-8")
    result = _run("render", str(LAB), "-o", str(out), "--check", "--format", "json")
    assert result.exit_code == 1
    report = _valid("render", json.loads(result.stdout))
    assert (report["command"], report["mode"], report["upToDate"]) == ("render", "check", False)
    (tree,) = report["trees"]
    assert tree["spec"] == str(LAB) and tree["out"] == out.as_posix() and tree["upToDate"] is False
    assert tree["created"] == ["azure/main.bicep"]
    assert tree["changed"] == [".wlid/manifest.json", "README.md"]
    assert tree["removed"] == ["k8s/old.yaml"]
    assert tree["notOurs"] == ["NOTES.md"]
    listed = len(json.loads(manifest.read_text())["files"])  # every file but the manifest, and old.yaml
    assert tree["unchanged"] == listed - 3  # less old.yaml, README.md and main.bicep
    (warning,) = [p for p in tree["problems"] if p["code"] == "W001"]
    assert warning["severity"] == "warning" and "${WLID_CLIENT_ID_MYIDENTITY}" in warning["message"]
    assert (warning["file"], warning["line"]) == (str(LAB), 22)
    assert "would" not in result.stdout and result.stdout.endswith("}\n")


def test_check_of_an_up_to_date_tree_and_dry_run_of_a_new_one(tmp_path: Path):
    out = tmp_path / "lab"
    assert _run("render", str(LAB), "-o", str(out), "-q").exit_code == 0
    current = _run("render", str(LAB), "-o", str(out), "--check", "--format", "json")
    assert current.exit_code == 0
    report = _valid("render", json.loads(current.stdout))
    assert report["upToDate"] is True and report["trees"][0]["created"] == []
    fresh = _run("render", str(LAB), "-o", str(tmp_path / "new"), "--dry-run", "--format", "json")
    assert fresh.exit_code == 0, "a dry run exits 0 whatever it would change"
    report = _valid("render", json.loads(fresh.stdout))
    assert report["mode"] == "dry-run" and report["upToDate"] is False
    tree = report["trees"][0]
    assert tree["unchanged"] == 0 and tree["changed"] == tree["removed"] == []
    assert "azure/main.json" in tree["created"] and tree["created"] == sorted(tree["created"])
    assert not (tmp_path / "new").exists()


def test_several_specs_and_an_invalid_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    bad = tmp_path / "bad.yaml"
    bad.write_text(LAB.read_text("utf-8").replace("identity: myIdentity", "identity: nobody"), "utf-8")
    assert _run("render", str(MULTI), "-q").exit_code == 0
    result = _run("render", str(MULTI), str(bad), str(PLATFORM), "--check", "--format", "json")
    assert result.exit_code == 2, "the highest exit code: an invalid spec"
    report = _valid("render", json.loads(result.stdout))
    assert report["upToDate"] is False
    multi, invalid, platform = report["trees"]
    assert multi["upToDate"] is True and multi["out"] == "out/multi-env"
    assert invalid["out"] is None and invalid["upToDate"] is None
    error = next(p for p in invalid["problems"] if p["severity"] == "error")
    assert error["file"] == str(bad) and error["line"] and "nobody" in error["message"]
    assert error["path"] == "serviceAccounts[0].identity"
    assert platform["upToDate"] is False and platform["created"]
    assert "nobody" in result.stderr, "errors are printed for people too"


def test_a_folder_wlid_never_wrote(tmp_path: Path):
    out = tmp_path / "theirs"
    out.mkdir()
    (out / "file.txt").write_text("x\n")
    result = _run("render", str(LAB), "-o", str(out), "--dry-run", "--format", "json")
    assert result.exit_code == 2
    (tree,) = _valid("render", json.loads(result.stdout))["trees"]
    assert tree["upToDate"] is None and "did not write" in tree["problems"][-1]["message"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "json"], "--format json needs --check or --dry-run"),
        (["--check", "--diff", "--format", "json"], "--diff prints text"),
    ],
)
def test_json_usage_errors(tmp_path: Path, args: list[str], message: str):
    result = _run("render", str(LAB), "-o", str(tmp_path / "o"), *args)
    assert result.exit_code == 2 and message in result.stderr and result.stdout == ""


# -- explain --------------------------------------------------------------------------------------------


def test_explain_json_of_the_examples():
    for spec in sorted((ROOT / "specs").glob("*.yaml")):
        result = _run("explain", str(spec), "--format", "json")
        assert result.exit_code == 0, result.output
        report = _valid("explain", json.loads(result.stdout))
        assert report["spec"] == str(spec) and report["environments"]


def test_explain_json_says_what_the_text_says():
    report = _valid("explain", json.loads(_run("explain", str(MULTI), "--format", "json").stdout))
    assert report["name"] == "multi-env"
    dev, prod = report["environments"]
    assert (dev["name"], prod["name"]) == ("dev", "prod")
    assert dev["azure"] == {
        "subscriptionId": "44444444-4444-4444-4444-444444444444",
        "resourceGroup": "rg-shop-dev",
        "location": "westeurope",
    }
    assert dev["cluster"]["name"] == "aks-shop-dev" and dev["cluster"]["enablesWorkloadIdentity"] is True
    assert dev["issuer"] == {"url": None, "source": "cluster"}
    (api,) = dev["identities"]
    assert api["clientId"] == "55555555-5555-5555-5555-555555555555" and api["placeholder"] is None
    prod_api = prod["identities"][0]
    assert prod_api["clientId"] is None and prod_api["placeholder"] == "${WLID_CLIENT_ID_SHOP_API}"
    assert api["federatedCredentials"] == [
        {"name": "shop-shop-api", "subject": "system:serviceaccount:shop:shop-api"}
    ]
    role = api["roles"][0]
    assert role["role"] == "Key Vault Secrets User"
    assert role["roleDefinitionId"] == "4633458b-17de-408a-b874-0445c86b69e6"
    assert role["scopeId"] == (
        "/subscriptions/44444444-4444-4444-4444-444444444444/resourceGroups/rg-shop-secrets-dev"
        "/providers/Microsoft.KeyVault/vaults/kv-shop-dev"
    )
    workloads = prod["identities"][1]["serviceAccounts"][0]["workloads"]
    assert workloads == [{"kind": "CronJob", "namespace": "shop", "name": "shop-report", "existing": False}]
    assert dev["warnings"] == [] and len(prod["warnings"]) == 1


def test_explain_json_of_one_environment_and_a_pinned_issuer():
    result = _run("explain", str(PLATFORM), "--env", "prod", "--format", "json")
    report = _valid("explain", json.loads(result.stdout))
    (prod,) = report["environments"]
    assert prod["issuer"]["source"] == "pinned" and prod["issuer"]["url"].startswith("https://")


def test_explain_json_of_an_invalid_spec_prints_no_object(tmp_path: Path):
    spec = tmp_path / "wlid.yaml"
    shutil.copy(LAB, spec)
    spec.write_text(spec.read_text("utf-8").replace("identity: myIdentity", "identity: x"), "utf-8")
    result = _run("explain", str(spec), "--format", "json")
    assert result.exit_code == 2 and result.stdout == "" and f"{spec}:" in result.stderr
