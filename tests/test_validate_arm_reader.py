"""The one ARM template reader of `wlid validate` (arm_names, arm_template): names, dependsOn entries
and nested templates are read one way, ARM's, by every rule; a template that is not what ARM expects
is a finding, never a traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, copy_example
from validate_edits import edit_json, messages_of

from wlid_render.validate.arm_names import dependency_key, name_key, static_name
from wlid_render.validate.arm_template import read_template

IDENTITY = "Microsoft.ManagedIdentity/userAssignedIdentities"
FIC = f"{IDENTITY}/federatedIdentityCredentials"


@pytest.mark.parametrize(
    ("written", "name"),
    [
        ("id-a", "id-a"),
        ("[[id-a", "[id-a"),  # the template escape: ARM takes the value without the first bracket
        ("[format('{0}/{1}', 'id-a', 'fic-b')]", "id-a/fic-b"),
        ("[FORMAT( '{0}/{1}', 'id-a', 'fic-b' )]", "id-a/fic-b"),  # ARM functions ignore case
        ("[format('{0}/{{x}}', 'id-a')]", "id-a/{x}"),  # .NET composite formatting: {{ is a brace
        ("[format('{0}/{1}', 'id-a')]", None),  # a placeholder beyond the arguments
        ("[format('{0:D2}', 'id-a')]", None),  # a format string ARM would apply
        ("[format('{0}/{1}', 'id-a', parameters('fic'))]", None),  # known only at deployment
        ("[parameters('name')]", None),
        ("[concat('id-', 'a')]", None),
        (7, None),
    ],
)
def test_a_name_known_before_deployment(written: Any, name: str | None) -> None:
    assert static_name(written) == name


def test_a_name_that_reads_parameters_keeps_them_as_parts() -> None:
    value = "[format('{0}/{1}', parameters('identity'), 'fic-b')]"
    assert name_key(FIC, value) == (("identity", None), "fic-b")
    assert name_key(FIC, "[parameters('both')]") == (("both", 0), ("both", 1))


@pytest.mark.parametrize(
    ("entry", "key"),
    [
        (f"[resourceId('{IDENTITY}', 'id-a')]", (IDENTITY.lower(), "id-a")),
        (f"[resourceId('{FIC}', 'id-a', 'fic-b')]", (FIC.lower(), "id-a/fic-b")),
        (f"[resourceId('sub', 'rg', '{IDENTITY}', 'id-a')]", (IDENTITY.lower(), "id-a")),
        (f"[extensionResourceId(resourceGroup().id, '{IDENTITY}', 'id-a')]", (IDENTITY.lower(), "id-a")),
        ("id-a", "id-a"),  # a bare name
        (f"[resourceId('{IDENTITY}', parameters('name'))]", None),  # known only at deployment
        (f"[resource[d('{IDENTITY}', 'id-a')]", None),  # not a call ARM can evaluate
    ],
)
def test_what_a_dependency_names(entry: str, key: Any) -> None:
    assert dependency_key(entry) == key


def _deployment(name: str, resources: list[dict[str, Any]], type_: str = "Microsoft.Resources/deployments") -> dict:
    return {
        "type": type_,
        "apiVersion": "2022-09-01",
        "name": name,
        "properties": {"mode": "Incremental", "template": {"resources": resources}},
    }


def test_every_template_nested_in_a_template_is_read_with_its_path_and_deployments() -> None:
    identity = {"type": IDENTITY, "apiVersion": "2024-11-30", "name": "id-a"}
    inner = _deployment("inner", [identity], type_="microsoft.resources/DEPLOYMENTS")
    doc = {"resources": ["not a resource", _deployment("outer", [{"type": "x"}, inner])]}
    templates = list(read_template(doc).walk())
    assert [t.path for t in templates] == [
        (),
        ("resources", 1, "properties", "template"),
        ("resources", 1, "properties", "template", "resources", 1, "properties", "template"),
    ]
    assert [[e.raw["name"] for e in t.enclosing] for t in templates] == [[], ["outer"], ["outer", "inner"]]
    (resource,) = templates[2].members
    assert (resource.key, resource.path) == ((IDENTITY.lower(), "id-a"), (*templates[2].path, "resources", 0))


def test_a_deployment_whose_properties_are_not_an_object_has_no_template() -> None:
    broken = {"type": "Microsoft.Resources/deployments", "name": "d", "properties": "nothing"}
    (deployment,) = read_template({"resources": [broken]}).deployments
    assert deployment.template is None and deployment.args == {}


# -- in a rendered tree --------------------------------------------------------------------------
def copy(tmp_path: Path, name: str = "lab") -> Path:
    return copy_example(name, tmp_path)


def edit_main(out: Path, change: Any) -> None:
    edit_json(out / "azure" / "main.json", change)


def identity_template(doc: dict[str, Any]) -> list[dict[str, Any]]:
    (deployment,) = [r for r in doc["resources"] if r["name"] == "wlid-id-myIdentity"]
    return deployment["properties"]["template"]["resources"]


def by_type(resources: list[dict[str, Any]], type_: str) -> dict[str, Any]:
    (resource,) = [r for r in resources if r["type"] == type_]
    return resource


def test_the_lab_tree_is_clean_of_what_these_faults_plant() -> None:
    assert {"ARM001", "WI003", "WI007", "BICEP002"}.isdisjoint(messages_of(ROOT / "out" / "lab"))


def test_a_name_formatted_past_its_arguments_is_a_finding_not_a_traceback(tmp_path: Path) -> None:
    out = copy(tmp_path)
    edit_main(out, lambda d: by_type(identity_template(d), FIC).update(name="[format('{0}/{1}', 'myIdentity')]"))
    found = messages_of(out)
    assert any("no federated credential trusts" in m for m in found["WI003"])
    assert any("federatedIdentityCredentials 'myIdentity/myFedIdentity'" in m for m in found["BICEP002"])


def test_an_escaped_name_is_read_as_arm_reads_it(tmp_path: Path) -> None:
    out = copy(tmp_path)
    edit_main(out, lambda d: by_type(identity_template(d), IDENTITY).update(name="[[myIdentity"))
    assert "managed identity name '[myIdentity' breaks Azure's rule" in " ".join(messages_of(out)["WI007"])


def test_a_deployment_type_in_other_case_is_still_a_nested_deployment(tmp_path: Path) -> None:
    out = copy(tmp_path)

    def lower(doc: dict[str, Any]) -> None:
        (deployment,) = [r for r in doc["resources"] if r["name"] == "wlid-id-myIdentity"]
        deployment["type"] = "microsoft.resources/deployments"
        by_type(identity_template(doc), IDENTITY)["name"] = "x"

    edit_main(out, lower)
    found = messages_of(out)
    assert "managed identity name 'x' breaks Azure's rule" in " ".join(found["WI007"])
    assert "WI003" not in found  # its credentials are read, so the ServiceAccount is trusted


def test_a_deployment_whose_properties_are_not_an_object_is_a_schema_finding(tmp_path: Path) -> None:
    out = copy(tmp_path)
    edit_main(out, lambda d: identity_template(d)[-1].update(properties="nothing"))
    found = messages_of(out)
    assert any("'nothing' does not match" in m for m in found["ARM001"])
    assert any("has no inline template to compare with" in m for m in found["BICEP002"])
