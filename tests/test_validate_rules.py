"""Each ARM, workload-identity and least-privilege rule of `wlid validate` fires on a broken tree."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import LAB_SPEC, ROOT
from validate_edits import OFFLINE, edit_json, edit_yaml, rules_of

from wlid_render.cli import main
from wlid_render.validate.run import Options, validate_tree

FIC = "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials"


def _all(doc: dict) -> list[dict]:
    found = []
    for resource in doc["resources"]:
        found.append(resource)
        if resource["type"] == "Microsoft.Resources/deployments":
            found.extend(_all(resource["properties"]["template"]))
    return found


def _fics(doc: dict) -> list[dict]:
    return [r for r in _all(doc) if r["type"] == FIC]


def _inner(doc: dict, index: int) -> list[dict]:
    """The resources of the nested template of top-level resource `index` (1: the first identity)."""
    return doc["resources"][index]["properties"]["template"]["resources"]


@pytest.mark.parametrize("name", sorted(p.name for p in (ROOT / "out").iterdir()))
def test_examples_have_only_the_expected_warnings(name: str):
    findings = validate_tree(ROOT / "out" / name, OFFLINE)
    assert [f for f in findings if f.severity == "error"] == []
    assert {f.rule for f in findings} <= {"WI013", "LP002"}


def test_arm_schema_error_names_the_line(lab_copy: Path):
    main_json = lab_copy / "azure" / "main.json"
    edit_json(main_json, lambda d: _inner(d, 1)[0].__setitem__("apiVersion", "2099-01-01"))
    findings = rules_of(lab_copy)["ARM001"]
    lines = main_json.read_text().splitlines()
    assert findings[0].file.endswith("azure/main.json")
    assert any(f.line and '"apiVersion": "2099-01-01"' in lines[f.line - 1] for f in findings), findings


def test_nested_template_schema_error(lab_copy: Path):
    def change(doc):  # type: ignore[no-untyped-def]
        inner = _inner(doc, 1)[2]["properties"]["template"]["resources"][0]
        inner["properties"]["principalType"] = "Robot"

    edit_json(lab_copy / "azure" / "main.json", change)
    assert any("principalType" in f.message or "Robot" in f.message for f in rules_of(lab_copy)["ARM001"])


@pytest.mark.parametrize(
    ("expression", "fragment"),
    [
        ("[concat('a', 'b']", "unclosed"),
        ("[frobnicate('x')]", "unknown function 'frobnicate'"),
        ("[concat('a)]", "unterminated string"),
    ],
)
def test_malformed_expressions(lab_copy: Path, expression: str, fragment: str):
    edit_json(lab_copy / "azure" / "main.json", lambda d: _inner(d, 1)[0].__setitem__("location", expression))
    assert any(fragment in f.message for f in rules_of(lab_copy)["ARM002"])


def test_undeclared_parameter_and_variable(lab_copy: Path):
    def change(doc):  # type: ignore[no-untyped-def]
        _inner(doc, 1)[0]["location"] = "[parameters('region')]"
        _inner(doc, 1)[0]["tags"] = {"x": "[variables('nope')]"}

    edit_json(lab_copy / "azure" / "main.json", change)
    messages = [f.message for f in rules_of(lab_copy)["ARM003"]]
    assert "parameters('region') is not declared in this template" in messages
    assert "variables('nope') is not declared in this template" in messages


def test_dependson_must_name_a_resource(lab_copy: Path):
    def change(doc):  # type: ignore[no-untyped-def]
        _inner(doc, 1)[1]["dependsOn"][0] = (
            "[resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', 'otherIdentity')]"
        )

    edit_json(lab_copy / "azure" / "main.json", change)
    assert len(rules_of(lab_copy)["ARM004"]) == 1


def test_parallel_fic_writes(platform_copy: Path):
    def change(doc):  # type: ignore[no-untyped-def]
        second = next(f for f in _fics(doc) if "orders-orders-worker" in f["name"])
        second["dependsOn"] = [d for d in second["dependsOn"] if FIC not in d]

    edit_json(platform_copy / "azure" / "main.json", change)
    findings = rules_of(platform_copy)["ARM005"]
    assert len(findings) == 1 and "orders-api" in findings[0].message and findings[0].line


def test_limits(lab_copy: Path):
    def change(doc):  # type: ignore[no-untyped-def]
        doc["outputs"].update({f"o{i}": {"type": "string", "value": "x"} for i in range(70)})
        doc["resources"][1]["copy"] = {"name": "many", "count": 900}

    edit_json(lab_copy / "azure" / "main.json", change)
    messages = [f.message for f in rules_of(lab_copy)["ARM006"]]
    assert any("outputs in one template; ARM allows 64" in m for m in messages)
    assert any("resources in one template; ARM allows 800" in m for m in messages)


def test_parameters_files(lab_copy: Path):
    params = lab_copy / "azure" / "params" / "default.parameters.json"

    def change(doc):  # type: ignore[no-untyped-def]
        del doc["parameters"]["clusterName"]
        doc["parameters"]["extra"] = {"value": 1}
        doc["contentVersion"] = 5

    edit_json(params, change)
    found = rules_of(lab_copy)
    assert "parameter 'clusterName' of azure/main.json has no value here" in [
        f.message for f in found["PARAM002"]
    ]
    assert found["PARAM003"][0].line is not None
    assert found["PARAM001"]


def test_labelled_pod_without_client_id(lab_copy: Path):
    patch = lab_copy / "k8s" / "overlays" / "default" / "default" / "serviceaccounts.yaml"
    edit_yaml(patch, lambda d: d["metadata"].__setitem__("annotations", {"note": "x"}))
    found = rules_of(lab_copy)
    assert len(found["WI001"]) == 2  # both lab pods
    assert found["WI001"][0].file.endswith(".yaml")


def test_label_on_the_service_account_only(lab_copy: Path):
    base = lab_copy / "k8s" / "base" / "default"
    edit_yaml(
        base / "serviceaccounts.yaml",
        lambda d: d["metadata"]["labels"].__setitem__("azure.workload.identity/use", "true"),
    )
    edit_yaml(
        base / "pods.yaml",
        lambda d: d["metadata"]["labels"].pop("azure.workload.identity/use"),
        name="sample-workload-identity",
    )
    found = rules_of(lab_copy)
    assert sorted((f.severity, Path(f.file).relative_to(lab_copy).as_posix()) for f in found["WI002"]) == [
        ("error", "k8s/base/default/pods.yaml"),
        ("warning", "k8s/base/default/serviceaccounts.yaml"),
    ]
    (error,) = [f for f in found["WI002"] if f.severity == "error"]
    assert "Pod default/sample-workload-identity:" in error.message


def test_service_account_without_fic(lab_copy: Path):
    edit_json(lab_copy / "azure" / "main.json", lambda d: _fics(d)[0]["properties"].__setitem__("subject", "x"))
    assert "system:serviceaccount:default:workload-identity-sa" in rules_of(lab_copy)["WI003"][0].message


def test_audience_names_and_duplicates(platform_copy: Path):
    def change(doc):  # type: ignore[no-untyped-def]
        fics = _fics(doc)
        fics[0]["properties"]["audiences"] = ["api://other"]
        fics[1]["properties"]["subject"] = fics[0]["properties"]["subject"]
        fics[2]["name"] = "[format('{0}/{1}', 'reporting', 'x')]"
        _inner(doc, 1)[0]["name"] = "a"

    edit_json(platform_copy / "azure" / "main.json", change)
    found = rules_of(platform_copy)
    assert found["WI004"] and found["WI006"] and len(found["WI007"]) == 2


def test_more_than_20_fics(lab_copy: Path):
    def change(doc):  # type: ignore[no-untyped-def]
        template = _fics(doc)[0]
        for i in range(21):
            copy = json.loads(json.dumps(template))
            copy["name"] = f"[format('{{0}}/{{1}}', 'myIdentity', 'extra-{i}')]"
            copy["properties"]["subject"] = f"system:serviceaccount:default:extra-{i}"
            copy["dependsOn"] = [
                f"[resourceId('{FIC}', 'myIdentity', '{'myFedIdentity' if i == 0 else f'extra-{i - 1}'}')]"
            ]
            _inner(doc, 1).append(copy)

    edit_json(lab_copy / "azure" / "main.json", change)
    found = rules_of(lab_copy)
    assert "has 22 federated credentials" in found["WI005"][0].message
    assert "ARM005" not in found


def test_token_expiration(lab_copy: Path):
    edit_yaml(
        lab_copy / "k8s" / "base" / "default" / "serviceaccounts.yaml",
        lambda d: d["metadata"].__setitem__(
            "annotations", {"azure.workload.identity/service-account-token-expiration": "60"}
        ),
    )
    finding = rules_of(lab_copy)["WI008"][0]
    assert finding.file.endswith("k8s/base/default/serviceaccounts.yaml") and finding.line


def test_pinned_issuer_and_region(lab_copy: Path):
    params = lab_copy / "azure" / "params" / "default.parameters.json"

    def change(doc):  # type: ignore[no-untyped-def]
        doc["parameters"]["oidcIssuerUrl"] = {"value": "https://eastus.oic.prod-aks.azure.com/t/c"}
        doc["parameters"]["location"] = {"value": "malaysiasouth"}

    edit_json(params, change)
    edit_json(
        lab_copy / "azure" / "main.json",
        lambda d: d["parameters"].__setitem__("oidcIssuerUrl", {"type": "string", "defaultValue": ""}),
    )
    found = rules_of(lab_copy)
    assert found["WI009"][0].line and found["WI012"][0].severity == "warning"


def test_region_list_can_be_extended(lab_copy: Path, tmp_path: Path):
    regions = tmp_path / "regions.txt"
    regions.write_text("# ours\neastus\n")
    result = CliRunner().invoke(main, ["validate", str(lab_copy), "--no-kubectl", "--regions-file", str(regions)])
    assert "WI012" in result.output


def test_host_network_proxy_and_virtual_nodes(lab_copy: Path):
    def change(doc):  # type: ignore[no-untyped-def]
        doc["metadata"]["annotations"] = {"azure.workload.identity/inject-proxy-sidecar": "true"}
        doc["spec"]["hostNetwork"] = True
        doc["spec"]["nodeSelector"] = {"type": "virtual-kubelet"}

    edit_yaml(lab_copy / "k8s" / "base" / "default" / "pods.yaml", change, name="sample-workload-identity")
    found = rules_of(lab_copy)
    assert found["WI010"] and found["WI011"]


def test_placeholder_client_id_is_a_warning_and_strict_makes_it_an_error(lab_copy: Path):
    assert rules_of(lab_copy)["WI013"][0].severity == "warning"
    strict = Options(use_kubectl=False, strict=True)
    assert rules_of(lab_copy, strict)["WI013"][0].severity == "error"


def test_broad_roles_and_scopes(lab_copy: Path):
    def change(doc):  # type: ignore[no-untyped-def]
        ra = _inner(doc, 1)[2]["properties"]["template"]["resources"][0]
        ra["properties"]["roleDefinitionId"] = ra["properties"]["roleDefinitionId"].replace(
            "4633458b-17de-408a-b874-0445c86b69e6", "b24988ac-6180-42a0-ab88-20f7382dd24c"
        )
        del ra["scope"]

    edit_json(lab_copy / "azure" / "main.json", change)
    found = rules_of(lab_copy)
    assert "Contributor" in found["LP001"][0].message
    assert "whole resource group" in found["LP002"][0].message


def test_cli_exit_codes_and_formats(lab_copy: Path):
    runner = CliRunner()
    clean = runner.invoke(main, ["validate", str(lab_copy), "--no-kubectl"])
    assert clean.exit_code == 0, clean.output
    assert runner.invoke(main, ["validate", str(lab_copy), "--no-kubectl", "--strict"]).exit_code == 2
    as_json = runner.invoke(main, ["validate", str(lab_copy), "--no-kubectl", "--format", "json"])
    assert {f["rule"] for f in json.loads(as_json.stdout)["findings"]} == {"WI013"}
    sarif = json.loads(
        runner.invoke(main, ["validate", str(lab_copy), "--no-kubectl", "--format", "sarif"]).stdout
    )
    assert sarif["version"] == "2.1.0"
    result = sarif["runs"][0]["results"][0]
    assert result["ruleId"] == "WI013" and result["level"] == "warning"
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] >= 1
    edit_json(lab_copy / "azure" / "main.json", lambda d: d["resources"][1].__setitem__("apiVersion", "x"))
    broken = runner.invoke(main, ["validate", str(lab_copy), "--no-kubectl"])
    assert broken.exit_code == 2 and "error ARM001" in broken.output


def test_render_validate(tmp_path: Path):
    result = CliRunner().invoke(
        main, ["render", str(LAB_SPEC), "-o", str(tmp_path / "o"), "--validate"]
    )
    assert result.exit_code == 0 and "warning WI013" in result.output


def test_unreadable_file_is_a_finding_not_a_crash(lab_copy: Path):
    (lab_copy / "azure" / "main.json").write_text("{not json", "utf-8")
    found = rules_of(lab_copy)
    assert "TREE" in found and "not valid JSON" in found["TREE"][0].message
