"""`wlid validate`'s Key Vault rules (KV001-KV007): each fires on a fault planted in the rendered
out/keyvault-csi tree, and none fires on the tree as rendered."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, copy_example
from validate_edits import edit_yaml, rules_of

from wlid_render.validate.keyvault import parse_objects

BASE_CLASSES = "k8s/base/apps/secretproviderclasses.yaml"
DEV_CLASSES = "k8s/overlays/dev/apps/secretproviderclasses.yaml"
BASE_DEPLOYMENTS = "k8s/base/apps/deployments.yaml"
APP_CLASS = "sample-workload-identity-key-vault-kv"
EDGE_CLASS = "edge-proxy-kv"
KV_RULES = {f"KV00{i}" for i in range(1, 9)}


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return copy_example("keyvault-csi", tmp_path)


def _parameters(doc: dict) -> dict:
    return doc["spec"]["parameters"]


def test_the_rendered_tree_fires_no_key_vault_rule_and_no_schema_gap(tree: Path):
    found = rules_of(tree)
    assert not KV_RULES & set(found), found
    assert "K8S004" not in found  # the class is checked by KV001, not left unchecked
    assert "GITOPS003" not in found  # its client-ID placeholder is one Flux must fill


def test_kv001_a_field_the_crd_does_not_have(tree: Path):
    edit_yaml(tree / BASE_CLASSES, lambda d: d["spec"].update(providr="azure"), APP_CLASS)
    found = rules_of(tree)
    assert [f.file.endswith(BASE_CLASSES) for f in found["KV001"]] == [True]
    assert "providr" in found["KV001"][0].message


def test_kv001_a_parameter_that_is_not_a_string(tree: Path):
    edit_yaml(tree / BASE_CLASSES, lambda d: _parameters(d).update(usePodIdentity=False), APP_CLASS)
    assert "KV001" in rules_of(tree)


def test_kv002_a_client_id_out_of_step_with_the_service_account(tree: Path):
    other = "44444444-4444-4444-4444-444444444444"
    edit_yaml(tree / DEV_CLASSES, lambda d: _parameters(d).update(clientID=other), APP_CLASS)
    found = rules_of(tree)
    assert len(found["KV002"]) == 1
    finding = found["KV002"][0]
    assert (
        finding.file.endswith(DEV_CLASSES) and other in finding.message and "overlay dev" in finding.message
    )


def test_kv003_a_pod_mounting_a_class_its_namespace_lacks(tree: Path):
    def rename(doc: dict) -> None:
        volume = doc["spec"]["template"]["spec"]["volumes"][0]
        volume["csi"]["volumeAttributes"]["secretProviderClass"] = "nowhere"

    edit_yaml(tree / BASE_DEPLOYMENTS, rename, "sample-workload-identity-key-vault")
    found = rules_of(tree)
    assert {f.file for f in found["KV003"]} == {str(tree / BASE_DEPLOYMENTS)}
    assert "'nowhere'" in found["KV003"][0].message


@pytest.mark.parametrize(
    "objects",
    [
        "array:\n- objectName: my-secret\n",  # an item that is a mapping, not YAML text
        "array: [",  # not YAML
        "objectName: my-secret\n",  # no array
        "array:\n- 'objectName: my-secret\n\n  objectType: password\n'\n",  # no such type
        "array: " + "[" * 20000,  # nested past what the parser can follow
    ],
)
def test_kv004_objects_the_provider_cannot_read(tree: Path, objects: str):
    edit_yaml(tree / BASE_CLASSES, lambda d: _parameters(d).update(objects=objects), APP_CLASS)
    assert "KV004" in rules_of(tree)


def test_kv005_a_tenant_that_is_not_a_guid(tree: Path):
    edit_yaml(
        tree / BASE_CLASSES, lambda d: _parameters(d).update(tenantId="contoso.onmicrosoft.com"), APP_CLASS
    )
    assert len(rules_of(tree)["KV005"]) == 1


def test_kv006_the_role_assignment_removed_from_the_template(tree: Path):
    template = tree / "azure" / "main.json"
    doc = json.loads(template.read_text("utf-8"))
    identity = next(r for r in doc["resources"] if r["name"] == "wlid-id-myIdentity")
    resources = identity["properties"]["template"]["resources"]
    resources[:] = [r for r in resources if not r["name"].startswith("wlid-roles-")]
    template.write_text(json.dumps(doc, indent=2) + "\n", "utf-8")
    found = rules_of(tree)
    messages = [f.message for f in found["KV006"]]
    assert len(messages) == 2, messages  # dev and prod
    assert any("kv-wlid-dev" in m for m in messages) and any("kv-wlid-prod" in m for m in messages)
    assert all("identity myIdentity" in m and "getSecret" in m for m in messages)


def test_kv006_a_role_that_does_not_read_the_object_type(tree: Path):
    # The edge identity's Key Vault Reader reads certificates; Key Vault Crypto Service Release User
    # (keys/release/action only) does not.
    template = tree / "azure" / "main.json"
    text = template.read_text("utf-8")
    reader, release = "21090545-7ca7-4776-b22c-e363652d74d2", "08bbd89e-9f13-488c-ac41-acfcb10c90ab"
    assert reader in text
    template.write_text(text.replace(reader, release), "utf-8")
    found = rules_of(tree)
    assert {EDGE_CLASS in f.message for f in found["KV006"]} == {True}
    assert "certificates/read" in found["KV006"][0].message


def test_kv006_reads_the_vault_name_of_each_environment_from_its_parameters_file(tree: Path):
    params = tree / "azure" / "params" / "prod.parameters.json"
    doc = json.loads(params.read_text("utf-8"))
    doc["parameters"]["myIdentity_role1_name"]["value"] = "kv-elsewhere"
    params.write_text(json.dumps(doc, indent=2) + "\n", "utf-8")
    messages = [f.message for f in rules_of(tree).get("KV006", [])]
    assert len(messages) == 1 and "overlay prod" in messages[0] and "kv-wlid-prod" in messages[0]


def test_kv007_a_synced_key_naming_no_mounted_file(tree: Path):
    def rename(doc: dict) -> None:
        doc["spec"]["secretObjects"][0]["data"][0]["objectName"] = "db-password"

    edit_yaml(tree / BASE_CLASSES, rename, APP_CLASS)
    found = rules_of(tree)
    assert len(found["KV007"]) == 1 and "'db-password'" in found["KV007"][0].message


def test_the_objects_of_the_rendered_classes_parse_back_as_the_provider_reads_them():
    docs = list(yaml.safe_load_all((ROOT / "out" / "keyvault-csi" / BASE_CLASSES).read_text("utf-8")))
    by_name = {d["metadata"]["name"]: parse_objects(_parameters(d)["objects"]) for d in docs}
    assert by_name[APP_CLASS] == ([{"objectName": "my-secret", "objectType": "secret"}], None)
    assert by_name[EDGE_CLASS] == (
        [{"objectName": "edge-tls", "objectType": "cert", "objectAlias": "tls.crt"}],
        None,
    )


def test_kv006_a_role_on_the_one_object_covers_that_object_only(tmp_path: Path):
    from click.testing import CliRunner

    from wlid_render.cli import main

    text = (
        (ROOT / "specs" / "keyvault-csi.yaml")
        .read_text("utf-8")
        .replace(
            "        keyVault: kv-wlid-${env}\n",
            "        resourceId: /subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-wlid-${env}/"
            "providers/Microsoft.KeyVault/vaults/kv-wlid-${env}/secrets/my-secret\n",
            1,
        )
    )
    spec = tmp_path / "spec.yaml"
    spec.write_text(text, "utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["render", str(spec), "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    assert "KV006" not in rules_of(out)
    # The vault differs per environment: each parameters file holds "<vault>/<object>".
    for params in (out / "azure" / "params").glob("*.parameters.json"):
        params.write_text(params.read_text("utf-8").replace("/my-secret", "/other"), "utf-8")
    assert len(rules_of(out)["KV006"]) == 2  # dev and prod


def test_kv008_a_class_asking_for_the_token_proxy_mounted_by_a_pod_without_bindings(tree: Path):
    edit_yaml(tree / BASE_CLASSES, lambda d: _parameters(d).update(useAzureTokenProxy="true"), APP_CLASS)
    found = rules_of(tree)
    assert {f.file.endswith(BASE_CLASSES) for f in found["KV008"]} == {True}
    assert "does not use identity bindings" in found["KV008"][0].message


def test_kv008_a_pod_using_identity_bindings_mounting_a_class_without_the_token_proxy(tree: Path):
    def annotate(doc: dict) -> None:
        doc["spec"]["template"]["metadata"].setdefault("annotations", {})[
            "azure.workload.identity/use-identity-binding"
        ] = "true"

    edit_yaml(tree / BASE_DEPLOYMENTS, annotate, "sample-workload-identity-key-vault")
    found = rules_of(tree)
    assert "KV008" in found
    assert all("uses identity bindings" in f.message for f in found["KV008"])


@pytest.mark.parametrize(
    "objects",
    ["array: " + "[" * 20000, 'array:\n  - "objectName: ' + "[" * 20000 + '"'],
    ids=["outer", "item"],
)
def test_objects_nested_past_the_parser_are_a_finding_not_a_crash(objects: str) -> None:
    found, problem = parse_objects(objects)
    assert found == []
    assert problem is not None and problem.endswith("is not YAML: nested too deeply to read")
