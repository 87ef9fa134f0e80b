"""`wlid validate` on a tree split into several top-level deployments (main + identities-NNN)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, write_tree
from generate import spec_text

from wlid_render.spec.load import load_text
from wlid_render.validate.arm import check_template, deployed_counts
from wlid_render.validate.arm_parameters import check_parameters
from wlid_render.validate.bicep import check_bicep
from wlid_render.validate.finding import Finding
from wlid_render.validate.identity import check_identity
from wlid_render.validate.run import Options, validate_tree
from wlid_render.validate.templates import TopTemplate, parameters_owner, top_templates
from wlid_render.validate.tree import RenderedTree
from wlid_render.workflow.pipeline import render_source

OFFLINE = Options(use_kubectl=False)
GROUP = "azure/identities-001.json"
DEPLOYMENT = "Microsoft.Resources/deployments"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tree of the 1,000-workload benchmark spec: main.json plus identity groups."""
    root = tmp_path_factory.mktemp("split") / "bench"
    write_tree(list(render_source(load_text(spec_text(1000), "n1000.yaml")).artifacts), root)
    return root


@pytest.fixture
def split(rendered: Path, tmp_path: Path) -> Path:
    root = tmp_path / "bench"
    shutil.copytree(rendered, root)
    return root


def _edit_json(path: Path, change: Callable[[Any], None]) -> None:
    doc = json.loads(path.read_text("utf-8"))
    change(doc)
    path.write_text(json.dumps(doc, indent=2) + "\n", "utf-8")


def _relative(finding: Finding, root: Path) -> str:
    return Path(finding.file).relative_to(root).as_posix()


def _rules(findings: list[Finding]) -> dict[str, list[Finding]]:
    found: dict[str, list[Finding]] = {}
    for finding in findings:
        found.setdefault(finding.rule, []).append(finding)
    return found


def _identity_resources(doc: dict[str, Any], index: int = 0) -> list[dict[str, Any]]:
    """The resources of the nested template of identity deployment `index` of a group template."""
    return doc["resources"][index]["properties"]["template"]["resources"]


def test_the_tree_is_split(rendered: Path) -> None:
    stems = [t.stem for t in top_templates(RenderedTree(rendered))]
    assert stems[0] == "main" and len(stems) >= 3
    assert all(s.startswith("identities-") for s in stems[1:])


@pytest.mark.slow  # every check on a tree of 1,000 workloads: seconds
def test_a_split_tree_validates_without_errors(rendered: Path) -> None:
    findings = validate_tree(rendered, OFFLINE)
    assert [f.format() for f in findings if f.severity == "error"] == []
    assert {f.rule for f in findings} <= {"WI013"}


@pytest.mark.slow  # every check on a tree of 1,000 workloads: seconds
def test_a_split_tree_with_the_cluster_update_validates_without_errors(tmp_path: Path) -> None:
    text = spec_text(700).replace(
        "  name: aks-bench\n", "  name: aks-bench\n  enableWorkloadIdentity: true\n"
    )
    rendering = render_source(load_text(text, "n700.yaml"))
    assert len(rendering.plan.deployments) > 1 and rendering.plan.deployments[0].cluster_update
    write_tree(list(rendering.artifacts), tmp_path)
    findings = validate_tree(tmp_path, OFFLINE)
    assert [f.format() for f in findings if f.severity == "error"] == []


def test_a_fic_deleted_from_a_group_leaves_its_service_account_untrusted(split: Path) -> None:
    removed = _identity_resources(json.loads((split / GROUP).read_text("utf-8")))[-2]
    subject = removed["properties"]["subject"]  # the last credential of the first identity of the group
    _edit_json(split / GROUP, lambda d: _identity_resources(d).remove(removed))
    found = _rules(validate_tree(split, OFFLINE))
    _, _, namespace, name = subject.split(":")
    assert found["WI003"] and all(f"ServiceAccount {namespace}/{name} " in f.message for f in found["WI003"])
    assert "ARM004" not in found and "ARM005" not in found


def test_a_group_parameters_file_without_a_parameter(split: Path) -> None:
    params = "azure/params/dev.identities-001.parameters.json"
    _edit_json(split / params, lambda d: d["parameters"].pop("clusterName"))
    found = _rules(check_parameters(RenderedTree(split)))
    assert list(found) == ["PARAM002"]
    (finding,) = found["PARAM002"]
    assert _relative(finding, split) == params and finding.line is not None
    assert finding.message == f"parameter 'clusterName' of {GROUP} has no value here"


def test_a_parameter_declared_by_another_template_only(split: Path) -> None:
    params = "azure/params/prod.identities-000.parameters.json"
    _edit_json(
        split / params, lambda d: d["parameters"].__setitem__("enableWorkloadIdentity", {"value": True})
    )
    (finding,) = check_parameters(RenderedTree(split))
    assert (finding.rule, _relative(finding, split)) == ("PARAM003", params)
    assert "not declared in azure/identities-000.json" in finding.message


def test_a_parameters_file_of_a_template_that_does_not_exist(split: Path) -> None:
    params = split / "azure/params/dev.identities-001.parameters.json"
    shutil.copy(params, split / "azure/params/dev.identities-099.parameters.json")
    (finding,) = check_parameters(RenderedTree(split))
    assert (finding.rule, _relative(finding, split)) == (
        "PARAM004",
        "azure/params/dev.identities-099.parameters.json",
    )
    assert finding.message == "there is no azure/identities-099.json for these parameters"


def test_a_group_bicepparam_using_main_bicep(split: Path) -> None:
    rel = "azure/params/staging.identities-001.bicepparam"
    text = (split / rel).read_text("utf-8")
    assert text.startswith("using '../identities-001.bicep'\n")
    (split / rel).write_text(text.replace("identities-001.bicep", "main.bicep", 1), "utf-8")
    (finding,) = check_bicep(RenderedTree(split))
    assert (finding.rule, _relative(finding, split), finding.line) == ("BICEP003", rel, 1)
    assert finding.message == "`using '../main.bicep'` does not point at azure/identities-001.bicep"


def test_a_group_without_its_bicep_file(split: Path) -> None:
    (split / "azure/identities-001.bicep").unlink()
    findings = check_bicep(RenderedTree(split))
    assert [(f.rule, _relative(f, split), f.message) for f in findings if f.rule == "BICEP002"] == [
        ("BICEP002", GROUP, "there is no azure/identities-001.bicep for this template")
    ]


def test_a_group_bicep_file_that_differs_from_its_template(split: Path) -> None:
    _edit_json(split / GROUP, lambda d: d["outputs"].pop("oidcIssuerUrl"))
    findings = check_bicep(RenderedTree(split))
    assert [(f.rule, _relative(f, split)) for f in findings] == [("BICEP002", "azure/identities-001.bicep")]
    assert findings[0].message.startswith(
        "output 'oidcIssuerUrl' of identities-001.bicep is not in identities-001.json"
    )


def test_an_identity_in_two_groups(split: Path) -> None:
    first = json.loads((split / "azure/identities-000.json").read_text("utf-8"))["resources"][0]
    _edit_json(split / GROUP, lambda d: d["resources"].append(first))
    found = _rules(check_identity(RenderedTree(split), {}))
    (finding,) = found["WI014"]
    identity = first["properties"]["template"]["resources"][0]["name"]
    assert _relative(finding, split) == GROUP and finding.line is not None
    assert f"managed identity {identity} is also deployed by identities-000.json" in finding.message


def test_too_many_outputs_in_a_group(split: Path) -> None:
    outputs = {f"o{i}": {"type": "string", "value": "x"} for i in range(63)}
    _edit_json(split / GROUP, lambda d: d["outputs"].update(outputs))  # 2 + 63 = 65
    (finding,) = check_template(RenderedTree(split))
    assert (finding.rule, finding.severity, _relative(finding, split)) == ("ARM006", "error", GROUP)
    assert finding.message == "65 outputs in one template; ARM allows 64"


def test_too_many_resources_in_a_group(split: Path) -> None:
    def change(doc: dict[str, Any]) -> None:
        _identity_resources(doc)[-2]["copy"] = {"name": "many", "count": 801}

    _edit_json(split / GROUP, change)
    findings = [f for f in check_template(RenderedTree(split)) if f.rule == "ARM006"]
    assert sorted((f.severity, _relative(f, split), f.message.split(";")[0]) for f in findings) == [
        ("error", GROUP, f"{_identity_count(split / GROUP)} resources in one template"),  # the identity's
        ("warning", GROUP, f"{_total(split / GROUP)} resources with those of its nested templates"),
    ]


def _identity_count(path: Path) -> int:
    """Resources of the first identity's nested template, its 801 copies of one credential included."""
    return len(_identity_resources(json.loads(path.read_text("utf-8")))) + 800


def _total(path: Path) -> int:
    return deployed_counts(json.loads(path.read_text("utf-8")))[0]


def _group(tmp_path: Path, resources: list[dict[str, Any]]) -> RenderedTree:
    doc = {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "resources": resources,
    }
    (tmp_path / "azure").mkdir()
    (tmp_path / "azure" / "identities-000.json").write_text(json.dumps(doc, indent=2), "utf-8")
    return RenderedTree(tmp_path)


def _nested(name: str, count: int, inner: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "type": DEPLOYMENT,
        "apiVersion": "2022-09-01",
        "name": name,
        "copy": {"name": name, "count": count},
        "properties": {
            "mode": "Incremental",
            "template": {
                "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
                "contentVersion": "1.0.0.0",
                "resources": inner,
            },
        },
    }


IDENTITY = {
    "type": "Microsoft.ManagedIdentity/userAssignedIdentities",
    "apiVersion": "2024-11-30",
    "name": "[concat('id-', copyIndex())]",
    "location": "westeurope",
    "copy": {"name": "ids", "count": 2},
}


def test_deployed_counts_include_nested_templates_and_copies() -> None:
    doc = {"resources": [IDENTITY, _nested("d", 3, [IDENTITY, _nested("e", 2, [IDENTITY])])]}
    # 2 identities; 3 deployments, each of 2 identities and 2 deployments of 2 identities
    assert deployed_counts(doc) == (2 + 3 + 3 * (2 + 2 + 2 * 2), 3 + 3 * 2)


def test_a_template_whose_nested_resources_exceed_800_is_a_warning(tmp_path: Path) -> None:
    tree = _group(tmp_path, [_nested("d", 300, [IDENTITY])])  # 300 + 600 resources
    findings = [f for f in check_template(tree) if f.rule == "ARM006"]
    assert [(f.severity, f.file.endswith("azure/identities-000.json")) for f in findings] == [
        ("warning", True)
    ]
    assert findings[0].message.startswith("900 resources with those of its nested templates")


def test_what_if_gives_up_past_500_nested_templates(tmp_path: Path) -> None:
    tree = _group(tmp_path, [_nested("d", 501, [])])
    findings = [f for f in check_template(tree) if f.rule == "ARM006"]
    assert [(f.severity, f.message) for f in findings] == [
        ("warning", "501 nested templates; what-if gives up past 500")
    ]


@pytest.mark.parametrize(
    ("rel", "owner"),
    [
        ("azure/params/dev.parameters.json", ("dev", "main")),
        ("azure/params/dev.bicepparam", ("dev", "main")),
        ("azure/params/prod.identities-007.parameters.json", ("prod", "identities-007")),
        ("azure/params/prod.identities-1024.bicepparam", ("prod", "identities-1024")),
        ("azure/main.json", None),
    ],
)
def test_parameters_files_belong_to_the_template_their_name_says(rel: str, owner: Any) -> None:
    found = parameters_owner(rel)
    assert (None if found is None else (found[0], found[1].stem)) == owner
    if found is not None:
        assert found[1].parameters(found[0], rel.endswith(".bicepparam")) == rel


def test_small_trees_have_main_only() -> None:
    for tree in sorted((ROOT / "out").iterdir()):
        assert top_templates(RenderedTree(tree)) == [TopTemplate("main")]
