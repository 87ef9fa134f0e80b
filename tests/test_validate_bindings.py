"""The identity-binding rules of `wlid validate` (IB001-IB005): each fires on a fault planted in the
rendered blue-green tree, and the committed tree is clean of them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from conftest import copy_example
from validate_edits import messages_of

IB_RULES = ("IB001", "IB002", "IB003", "IB004", "IB005")
PROD = Path("k8s/overlays/prod/shop/resources.yaml")
BASE_DEPLOYMENTS = Path("k8s/base/shop/deployments.yaml")


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return copy_example("blue-green", tmp_path)


def _edit_docs(path: Path, kind: str, change) -> None:  # type: ignore[no-untyped-def]
    docs = list(yaml.safe_load_all(path.read_text("utf-8")))
    picked = [d for d in docs if d["kind"] == kind]
    assert picked, (path, kind)
    change(picked[0])
    path.write_text(yaml.safe_dump_all(docs, sort_keys=False), "utf-8")


def _main(out: Path) -> tuple[Path, dict]:
    path = out / "azure" / "main.json"
    return path, json.loads(path.read_text("utf-8"))


def _binding_deployments(doc: dict) -> list[dict]:
    shop = next(r for r in doc["resources"] if r["name"] == "wlid-id-shop")
    return [r for r in shop["properties"]["template"]["resources"] if r["name"].startswith("wlid-ib-")]


def test_the_committed_trees_are_clean(tree: Path) -> None:
    found = messages_of(tree)
    assert not any(rule in found for rule in IB_RULES), found
    assert not [r for r, messages in found.items() if r != "WI013"], found


def test_ib001_a_cluster_role_naming_another_client_id(tree: Path) -> None:
    def change(role: dict) -> None:
        role["rules"][0]["resources"] = ["44444444-4444-4444-4444-444444444444"]

    _edit_docs(tree / PROD, "ClusterRole", change)
    found = messages_of(tree)
    assert "IB001" in found
    assert any("44444444-4444-4444-4444-444444444444" in m and "shop/shop-api" in m for m in found["IB001"])


def test_ib005_a_service_account_left_out_of_the_binding(tree: Path) -> None:
    """Dropping a subject leaves its pods annotated without a grant: IB005 names that pod."""

    def change(binding: dict) -> None:
        binding["subjects"] = [s for s in binding["subjects"] if s["name"] != "shop-cart"]

    _edit_docs(tree / PROD, "ClusterRoleBinding", change)
    found = messages_of(tree)
    assert any("shop/shop-cart" in m and "prod" in m for m in found.get("IB005", [])), found


def test_ib002_a_pod_without_the_annotation(tree: Path) -> None:
    docs = list(yaml.safe_load_all((tree / BASE_DEPLOYMENTS).read_text("utf-8")))
    for doc in docs:
        if doc["metadata"]["name"] == "shop-api":
            del doc["spec"]["template"]["metadata"]["annotations"][
                "azure.workload.identity/use-identity-binding"
            ]
    (tree / BASE_DEPLOYMENTS).write_text(yaml.safe_dump_all(docs, sort_keys=False), "utf-8")
    found = messages_of(tree)
    assert any("shop/shop-api" in m for m in found.get("IB002", [])), found


def test_ib003_a_binding_identity_with_a_fic_of_ours(tree: Path) -> None:
    path, doc = _main(tree)
    shop = next(r for r in doc["resources"] if r["name"] == "wlid-id-shop")
    shop["properties"]["template"]["resources"].insert(
        1,
        {
            "type": "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials",
            "apiVersion": "2024-11-30",
            "name": "[format('{0}/{1}', 'shop', 'shop-shop-api')]",
            "properties": {
                "issuer": "[parameters('issuer')]",
                "subject": "system:serviceaccount:shop:shop-api",
                "audiences": ["api://AzureADTokenExchange"],
            },
            "dependsOn": ["[resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', 'shop')]"],
        },
    )
    path.write_text(json.dumps(doc, indent=2) + "\n", "utf-8")
    found = messages_of(tree)
    assert any("identity shop" in m and "one mode" in m for m in found.get("IB003", [])), found


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [("bindingName", "Shop-Api", "'Shop-Api'"), ("apiVersion", "2025-10-02-preview", "2025-10-02-preview")],
)
def test_ib004_a_binding_name_or_api_the_schema_refuses(
    tree: Path, field: str, value: str, expected: str
) -> None:
    path, doc = _main(tree)
    deployment = _binding_deployments(doc)[1]
    if field == "bindingName":
        deployment["properties"]["parameters"]["bindingName"]["value"] = value
    else:
        deployment["properties"]["template"]["resources"][0]["apiVersion"] = value
    path.write_text(json.dumps(doc, indent=2) + "\n", "utf-8")
    found = messages_of(tree)
    assert any(expected in m for m in found.get("IB004", [])), found


def test_ib005_an_annotated_pod_without_a_grant(tree: Path) -> None:
    path = tree / "k8s/base/shop-audit/cronjobs.yaml"
    docs = list(yaml.safe_load_all(path.read_text("utf-8")))
    meta = docs[0]["spec"]["jobTemplate"]["spec"]["template"]["metadata"]
    meta.setdefault("annotations", {})["azure.workload.identity/use-identity-binding"] = "true"
    path.write_text(yaml.safe_dump_all(docs, sort_keys=False), "utf-8")
    found = messages_of(tree)
    assert any("shop-audit/shop-audit" in m for m in found.get("IB005", [])), found


def test_the_nested_identity_binding_is_checked_against_the_2026_05_01_schema(tree: Path) -> None:
    """ARM001 validates the binding inside its nested deployment; BICEP002 sees Bicep disagree."""
    path, doc = _main(tree)
    _binding_deployments(doc)[1]["properties"]["template"]["resources"][0]["properties"] = {
        "managedIdentity": {}
    }
    path.write_text(json.dumps(doc, indent=2) + "\n", "utf-8")
    found = messages_of(tree)
    assert any("'resourceId' is a required property" in m for m in found.get("ARM001", [])), found
    assert "BICEP002" in found
