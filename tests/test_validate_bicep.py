"""Tests of `wlid validate`'s Bicep checks: BICEP001 syntax, BICEP002 the same deployment as main.json,
BICEP003 the .bicepparam files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from test_bicep import PLANS

from wlid_render.emit.arm import emit_arm
from wlid_render.emit.bicep import emit_bicep
from wlid_render.validate import bicep_model as bm
from wlid_render.validate.bicep import check_bicep
from wlid_render.validate.finding import Finding
from wlid_render.validate.tree import RenderedTree

OUT = Path(__file__).parents[1] / "out"
MAIN = "azure/main.bicep"
DEV = "azure/params/dev.bicepparam"
ROLES_DATA = "azure/modules/wlid-orders-api-roles-c0393637.bicep"


def copy_tree(tmp_path: Path, name: str = "platform") -> Path:
    root = tmp_path / name
    shutil.copytree(OUT / name, root)
    return root


def edit(root: Path, rel: str, old: str, new: str) -> str:
    """Replace the one occurrence of `old`; returns the new text."""
    path = root / rel
    text = path.read_text("utf-8")
    assert text.count(old) == 1, (rel, old)
    text = text.replace(old, new)
    path.write_text(text, "utf-8")
    return text


def line_of(text: str, start: str) -> int:
    """The 1-based line that starts with `start` (exactly one)."""
    lines = [n for n, line in enumerate(text.split("\n"), start=1) if line.startswith(start)]
    assert len(lines) == 1, (start, lines)
    return lines[0]


def only(root: Path) -> Finding:
    findings = check_bicep(RenderedTree(root))
    assert len(findings) == 1, [f.format() for f in findings]
    return findings[0]


def where(finding: Finding, root: Path) -> tuple[str, str, int | None]:
    return finding.rule, Path(finding.file).relative_to(root).as_posix(), finding.line


# -- clean trees -----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["lab", "platform"])
def test_the_committed_examples_have_no_findings(name: str) -> None:
    assert (OUT / name / MAIN).is_file()
    assert check_bicep(RenderedTree(OUT / name)) == []


@pytest.mark.parametrize("name", sorted(PLANS))
def test_emitted_trees_have_no_findings(tmp_path: Path, name: str) -> None:
    plan = PLANS[name]()
    for artifact in [*emit_arm(plan), *emit_bicep(plan)]:
        path = tmp_path / artifact.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(artifact.data)
    assert (tmp_path / MAIN).is_file()
    assert check_bicep(RenderedTree(tmp_path)) == []


def test_a_tree_without_main_bicep_is_skipped(tmp_path: Path) -> None:
    root = copy_tree(tmp_path)
    edit(root, DEV, "using '../main.bicep'\n", "")
    assert len(check_bicep(RenderedTree(root))) == 1
    (root / MAIN).unlink()
    assert check_bicep(RenderedTree(root)) == []


def test_the_parser_is_built_once() -> None:
    assert bm.parser() is bm.parser()


# -- BICEP001 --------------------------------------------------------------------------------------
def test_a_missing_brace(tmp_path: Path) -> None:
    root = copy_tree(tmp_path)
    # the `}` that closes module roles_orders_api_1: tree-sitter-bicep reads on inside the object and
    # stops at the next declaration, which cannot be nested there
    text = edit(root, MAIN, "  }\n}\n\nmodule roles_orders_api_2", "  }\n\nmodule roles_orders_api_2")
    finding = only(root)
    assert where(finding, root) == ("BICEP001", MAIN, line_of(text, "module roles_orders_api_2"))
    assert finding.column == 1
    assert finding.severity == "error"
    assert "module roles_orders_api_2" in finding.message
    assert "more syntax errors" not in finding.message


def test_a_syntax_error_in_a_bicepparam_file_has_a_character_column(tmp_path: Path) -> None:
    root = copy_tree(tmp_path)
    # `param x = v` is not Bicep: the check reads it as `var x = v`, keeping lines and columns
    text = edit(root, DEV, "param location = 'westeurope'", "param location = concat('wé', 'x' 'y')")
    edit(root, DEV, "param clusterName = 'aks-platform-dev'", "param clusterName = ('a', ")
    finding = only(root)
    line = line_of(text, "param location")
    assert where(finding, root) == ("BICEP001", DEV, line)
    assert finding.column == text.split("\n")[line - 1].index("'x'") + 1  # characters, not UTF-8 bytes
    assert "more syntax errors in this file)" in finding.message


def test_a_syntax_error_in_a_module(tmp_path: Path) -> None:
    root = copy_tree(tmp_path)
    text = edit(root, ROLES_DATA, "  name: 'sb-platform-orders'\n", "  name: 'sb-platform-orders' 'x'\n")
    finding = only(root)
    assert where(finding, root) == ("BICEP001", ROLES_DATA, line_of(text, "  name: 'sb-platform-orders'"))
    assert finding.column == len("  name: 'sb-platform-orders' ") + 1


def test_bicepparam_as_bicep_keeps_offsets() -> None:
    text = "using '../main.bicep'\n\nparam a = 'x'\nparam   b='y'\n"
    converted = bm.bicepparam_as_bicep(text)
    assert len(converted) == len(text) and converted.count("var") == 2
    assert bm.first_syntax_problem(converted) is None
    assert bm.first_syntax_problem(text) is not None


# -- BICEP002 --------------------------------------------------------------------------------------
def test_a_changed_api_version(tmp_path: Path) -> None:
    root = copy_tree(tmp_path)
    fic = "resource fic_orders_api_2 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials"
    text = edit(root, MAIN, f"{fic}@2024-11-30'", f"{fic}@2023-01-31'")
    finding = only(root)
    assert where(finding, root) == ("BICEP002", MAIN, line_of(text, "resource fic_orders_api_2 "))
    assert "main.json deploys 2024-11-30, main.bicep 2023-01-31, 2024-11-30" in finding.message


@pytest.mark.parametrize(
    ("rel", "old", "new"),
    [
        (MAIN, "  name: 'orders-orders-api'\n", "  name: 'orders-renamed'\n"),
        ("azure/main.json", "'orders-api', 'orders-orders-api')]\",", "'orders-api', 'orders-renamed')]\","),
    ],
    ids=["bicep", "arm"],
)
def test_a_federated_credential_renamed_on_one_side(tmp_path: Path, rel: str, old: str, new: str) -> None:
    root = copy_tree(tmp_path)
    edit(root, rel, old, new)
    finding = only(root)
    text = (root / MAIN).read_text("utf-8")
    assert where(finding, root) == ("BICEP002", MAIN, line_of(text, "resource fic_orders_api_1 "))
    assert "orders-api/orders-orders-api" in finding.message
    assert "orders-api/orders-renamed" in finding.message


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("    clusterWorkloadIdentity\n    fic_orders_api_1\n", "    clusterWorkloadIdentity\n"),
        ("  dependsOn: [\n    clusterWorkloadIdentity\n    fic_orders_api_1\n  ]\n", ""),
    ],
    ids=["predecessor", "whole-dependsOn"],
)
def test_a_federated_credential_that_does_not_wait_for_its_predecessor(
    tmp_path: Path, old: str, new: str
) -> None:
    root = copy_tree(tmp_path)
    text = edit(root, MAIN, old, new)
    finding = only(root)
    assert where(finding, root) == ("BICEP002", MAIN, line_of(text, "resource fic_orders_api_2 "))
    assert "identity 'orders-api'" in finding.message
    assert "in main.bicep, 'orders-orders-worker' does not wait for its predecessor" in finding.message
    assert "in main.json," not in finding.message


def test_an_arm_federated_credential_that_does_not_wait_for_its_predecessor(tmp_path: Path) -> None:
    root = copy_tree(tmp_path)
    fic = "federatedIdentityCredentials', 'orders-api', 'orders-orders-api')]"
    edit(
        root,
        "azure/main.json",
        f'",\n        "[resourceId(\'Microsoft.ManagedIdentity/userAssignedIdentities/{fic}"',
        '"',
    )
    finding = only(root)
    text = (root / MAIN).read_text("utf-8")
    assert where(finding, root) == ("BICEP002", MAIN, line_of(text, "resource fic_orders_api_2 "))
    assert "in main.json, 'orders-orders-worker' does not wait for its predecessor" in finding.message
    assert "in main.bicep," not in finding.message


def test_federated_credentials_in_another_order(tmp_path: Path) -> None:
    root = copy_tree(tmp_path)
    edit(root, MAIN, "  name: 'orders-orders-api'\n", "  name: 'swap'\n")
    edit(root, MAIN, "  name: 'orders-orders-worker'\n", "  name: 'orders-orders-api'\n")
    text = edit(root, MAIN, "  name: 'swap'\n", "  name: 'orders-orders-worker'\n")
    finding = only(root)
    assert where(finding, root) == ("BICEP002", MAIN, line_of(text, "resource fic_orders_api_1 "))
    assert "does not wait" not in finding.message  # serial on both sides, but not the same order


def test_a_missing_output(tmp_path: Path) -> None:
    root = copy_tree(tmp_path)
    edit(root, MAIN, "\noutput oidcIssuerUrl string = ", "\nvar oidcIssuer = ")
    finding = only(root)
    assert where(finding, root) == ("BICEP002", MAIN, None)
    assert finding.message == "output 'oidcIssuerUrl' of main.json is missing in main.bicep"


def test_a_deleted_module_file(tmp_path: Path) -> None:
    root = copy_tree(tmp_path)
    (root / ROLES_DATA).unlink()
    finding = only(root)
    text = (root / MAIN).read_text("utf-8")
    assert where(finding, root) == ("BICEP002", MAIN, line_of(text, "module roles_orders_api_2 "))
    assert "'modules/wlid-orders-api-roles-c0393637.bicep' does not exist" in finding.message


def test_a_module_with_another_deployment_name(tmp_path: Path) -> None:
    root = copy_tree(tmp_path)
    text = edit(root, MAIN, "  name: 'wlid-orders-api-roles-c0393637'\n", "  name: 'wlid-other'\n")
    finding = only(root)
    assert where(finding, root) == ("BICEP002", MAIN, line_of(text, "module roles_orders_api_2 "))
    assert "'wlid-other' in main.bicep, 'wlid-orders-api-roles-c0393637' in main.json" in finding.message


def test_a_module_in_another_scope(tmp_path: Path) -> None:
    root = copy_tree(tmp_path)
    text = edit(root, MAIN, "scope: resourceGroup('rg-platform-data')", "scope: resourceGroup('rg-other')")
    finding = only(root)
    assert where(finding, root) == ("BICEP002", MAIN, line_of(text, "module roles_orders_api_2 "))
    assert "resourceGroup('rg-other') in main.bicep, to resourceGroup('rg-platform-data')" in finding.message


def test_another_role_in_a_module(tmp_path: Path) -> None:
    root = copy_tree(tmp_path)
    role = "'ba92f5b4-2d11-453d-a403-e96b0029c9fe'))\n  scope"
    text = edit(root, ROLES_DATA, role, role.replace("ba92f5b4", "00000000"))
    text = text.replace("ba92f5b4-2d11-453d-a403-e96b0029c9fe", "00000000-2d11-453d-a403-e96b0029c9fe")
    (root / ROLES_DATA).write_text(text, "utf-8")
    finding = only(root)
    line = line_of(text, "resource assignment_Storage_Blob_Data_Contributor ")
    assert where(finding, root) == ("BICEP002", ROLES_DATA, line)
    assert "grants role ba92f5b4-2d11-453d-a403-e96b0029c9fe" in finding.message
    assert "role 00000000-2d11-453d-a403-e96b0029c9fe" in finding.message


def test_a_changed_parameter_default(tmp_path: Path) -> None:
    root = copy_tree(tmp_path, "lab")
    text = edit(
        root, MAIN, "param enableWorkloadIdentity bool = false", "param enableWorkloadIdentity bool = true"
    )
    finding = only(root)
    assert where(finding, root) == ("BICEP002", MAIN, line_of(text, "param enableWorkloadIdentity "))


# -- BICEP003 --------------------------------------------------------------------------------------
def test_a_changed_parameter_value(tmp_path: Path) -> None:
    root = copy_tree(tmp_path)
    text = edit(root, DEV, "param location = 'westeurope'\n", "param location = 'eastus'\n")
    finding = only(root)
    assert where(finding, root) == ("BICEP003", DEV, line_of(text, "param location "))
    assert finding.message == "param location = 'eastus', but dev.parameters.json has \"westeurope\""


def test_a_missing_using(tmp_path: Path) -> None:
    root = copy_tree(tmp_path)
    edit(root, DEV, "using '../main.bicep'\n", "")
    finding = only(root)
    assert where(finding, root) == ("BICEP003", DEV, None)
    assert "no `using` statement" in finding.message


def test_a_using_of_another_file(tmp_path: Path) -> None:
    root = copy_tree(tmp_path)
    edit(root, DEV, "using '../main.bicep'\n", "using 'main.bicep'\n")
    assert where(only(root), root) == ("BICEP003", DEV, 1)


def test_a_missing_and_an_extra_parameter(tmp_path: Path) -> None:
    root = copy_tree(tmp_path)
    text = edit(root, DEV, "param oidcIssuerUrl = ''\n", "param oidcIssuer = ''\n")
    findings = check_bicep(RenderedTree(root))
    assert [where(f, root) for f in findings] == [
        ("BICEP003", DEV, None),
        ("BICEP003", DEV, line_of(text, "param oidcIssuer ")),
    ]


def test_a_bool_is_not_a_string(tmp_path: Path) -> None:
    root = copy_tree(tmp_path)
    text = edit(root, DEV, "param enableWorkloadIdentity = true\n", "param enableWorkloadIdentity = 'true'\n")
    assert where(only(root), root) == ("BICEP003", DEV, line_of(text, "param enableWorkloadIdentity "))


def test_a_parameters_file_without_bicepparam(tmp_path: Path) -> None:
    root = copy_tree(tmp_path)
    (root / DEV).unlink()
    assert where(only(root), root) == ("BICEP003", "azure/params/dev.parameters.json", None)
