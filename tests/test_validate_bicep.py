"""Tests of `wlid validate`'s Bicep checks: BICEP001 syntax, BICEP002 the same deployment as main.json,
BICEP003 the .bicepparam files."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from bicep_plans import PLANS

from wlid_render.emit.arm import emit_arm
from wlid_render.emit.bicep import emit_bicep
from wlid_render.validate import bicep_syntax as bm
from wlid_render.validate.bicep import check_bicep
from wlid_render.validate.finding import Finding
from wlid_render.validate.tree import RenderedTree

OUT = Path(__file__).parents[1] / "out"
MAIN = "azure/main.bicep"
ARM = "azure/main.json"
DEV = "azure/params/dev.bicepparam"
ORDERS = "azure/modules/wlid-id-orders-api.bicep"  # the module of identity orders-api
ORDERS_ARM = "main.json deployment 'wlid-id-orders-api'"  # its nested deployment, as messages name it
ROLES_DATA = "azure/modules/wlid-roles-orders-api-c0393637.bicep"  # a role module of ORDERS
# out/multi-env: dev and prod differ; shop-reporting exists in prod only
SHOP_API = "azure/modules/wlid-id-shop-api.bicep"
SHOP_API_ARM = "main.json deployment 'wlid-id-shop-api'"
REPORTING = "azure/modules/wlid-id-shop-reporting.bicep"
REPORTING_ARM = "main.json deployment 'wlid-id-shop-reporting'"
VAULT_ROLES = "azure/modules/wlid-roles-shop-api-fe4aad1c.bicep"  # its key vault is a parameter
VAULT_ROLES_ARM = f"{SHOP_API_ARM} deployment 'wlid-roles-shop-api-fe4aad1c'"
VAULT_ASSIGNMENT = "resource assignment_Key_Vault_Secrets_User "


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


def only(root: Path, rule: str | None = None) -> Finding:
    """The one finding of check_bicep (of `rule`, when given)."""
    findings = [f for f in check_bicep(RenderedTree(root)) if rule is None or f.rule == rule]
    assert len(findings) == 1, [f.format() for f in findings]
    return findings[0]


def edit_arm(root: Path, change: Callable[[dict[str, Any]], None]) -> None:
    """Change main.json as data; written back as the emitter writes it."""
    path = root / ARM
    doc = json.loads(path.read_text("utf-8"))
    change(doc)
    path.write_text(json.dumps(doc, indent=2) + "\n", "utf-8")


def orders_deployment(doc: dict[str, Any]) -> dict[str, Any]:
    (deployment,) = [r for r in doc["resources"] if r["name"] == "wlid-id-orders-api"]
    return deployment


def where(finding: Finding, root: Path) -> tuple[str, str, int | None]:
    return finding.rule, Path(finding.file).relative_to(root).as_posix(), finding.line


# -- clean trees -----------------------------------------------------------------------------------
def write_emitted(root: Path, name: str) -> Path:
    """The ARM and Bicep files of a plan of bicep_plans.PLANS, written under `root`."""
    plan = PLANS[name]()
    for artifact in [*emit_arm(plan), *emit_bicep(plan)]:
        path = root / artifact.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(artifact.data)
    return root


@pytest.mark.parametrize("name", ["lab", "platform", "multi-env", "existing-app"])
def test_the_committed_examples_have_no_findings(name: str) -> None:
    assert (OUT / name / MAIN).is_file()
    assert check_bicep(RenderedTree(OUT / name)) == []


@pytest.mark.parametrize("name", sorted(PLANS))
def test_emitted_trees_have_no_findings(tmp_path: Path, name: str) -> None:
    write_emitted(tmp_path, name)
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
@pytest.mark.parametrize(
    ("rel", "last_line", "next_module"),
    [(MAIN, "  ]\n", "identity_reporting"), (ORDERS, "  }\n", "roles_2")],
    ids=["main", "identity-module"],
)
def test_a_missing_brace(tmp_path: Path, rel: str, last_line: str, next_module: str) -> None:
    root = copy_tree(tmp_path)
    # the `}` that closes the module before `next_module`: tree-sitter-bicep reads on inside the object
    # and stops at the next declaration, which cannot be nested there
    old = f"{last_line}}}\n\nmodule {next_module} "
    text = edit(root, rel, old, f"{last_line}\nmodule {next_module} ")
    finding = only(root)
    assert where(finding, root) == ("BICEP001", rel, line_of(text, f"module {next_module}"))
    assert finding.column == 1
    assert finding.severity == "error"
    assert f"module {next_module}" in finding.message
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


@pytest.mark.parametrize(
    ("rel", "old"),
    [(ROLES_DATA, "  name: 'sb-platform-orders'"), (ORDERS, "  name: 'orders-orders-worker'")],
    ids=["role-module", "identity-module"],
)
def test_a_syntax_error_in_a_module(tmp_path: Path, rel: str, old: str) -> None:
    root = copy_tree(tmp_path)
    text = edit(root, rel, f"{old}\n", f"{old} 'x'\n")
    finding = only(root)  # a module that does not parse is not compared with its deployment
    assert where(finding, root) == ("BICEP001", rel, line_of(text, old))
    assert finding.column == len(old) + 2


def test_bicepparam_as_bicep_keeps_offsets() -> None:
    text = "using '../main.bicep'\n\nparam a = 'x'\nparam   b='y'\n"
    converted = bm.bicepparam_as_bicep(text)
    assert len(converted) == len(text) and converted.count("var") == 2
    assert bm.first_syntax_problem(converted) is None
    assert bm.first_syntax_problem(text) is not None


# -- BICEP002: resources and federated credentials, in the identity modules -------------------------
def test_a_changed_api_version(tmp_path: Path) -> None:
    root = copy_tree(tmp_path)
    fic = "resource fic_2 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials"
    text = edit(root, ORDERS, f"{fic}@2024-11-30'", f"{fic}@2023-01-31'")
    finding = only(root)
    assert where(finding, root) == ("BICEP002", ORDERS, line_of(text, "resource fic_2 "))
    message = f"{ORDERS_ARM} deploys 2024-11-30, modules/wlid-id-orders-api.bicep 2023-01-31, 2024-11-30"
    assert message in finding.message


@pytest.mark.parametrize(
    ("rel", "old", "new"),
    [
        (ORDERS, "  name: 'orders-orders-api'\n", "  name: 'orders-renamed'\n"),
        (ARM, "'orders-api', 'orders-orders-api')]\",", "'orders-api', 'orders-renamed')]\","),
    ],
    ids=["bicep", "arm"],
)
def test_a_federated_credential_renamed_on_one_side(tmp_path: Path, rel: str, old: str, new: str) -> None:
    root = copy_tree(tmp_path)
    edit(root, rel, old, new)
    finding = only(root)
    text = (root / ORDERS).read_text("utf-8")
    assert where(finding, root) == ("BICEP002", ORDERS, line_of(text, "resource fic_1 "))
    assert "orders-api/orders-orders-api" in finding.message
    assert "orders-api/orders-renamed" in finding.message
    assert ORDERS_ARM in finding.message


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("    fic_1\n  ]\n", "    identity_orders_api\n  ]\n"),
        ("  dependsOn: [\n    fic_1\n  ]\n", ""),
    ],
    ids=["predecessor", "whole-dependsOn"],
)
def test_a_federated_credential_that_does_not_wait_for_its_predecessor(
    tmp_path: Path, old: str, new: str
) -> None:
    root = copy_tree(tmp_path)
    text = edit(root, ORDERS, old, new)
    finding = only(root)
    assert where(finding, root) == ("BICEP002", ORDERS, line_of(text, "resource fic_2 "))
    assert "identity 'orders-api'" in finding.message
    message = "in modules/wlid-id-orders-api.bicep, 'orders-orders-worker' does not wait for its predecessor"
    assert message in finding.message
    assert f"in {ORDERS_ARM}," not in finding.message


def test_an_arm_federated_credential_that_does_not_wait_for_its_predecessor(tmp_path: Path) -> None:
    root = copy_tree(tmp_path)
    fic = "federatedIdentityCredentials', 'orders-api', 'orders-orders-api')]"
    indent = " " * 16  # the resources of the nested template of orders-api
    edit(
        root, ARM, f'",\n{indent}"[resourceId(\'Microsoft.ManagedIdentity/userAssignedIdentities/{fic}"', '"'
    )
    finding = only(root)
    text = (root / ORDERS).read_text("utf-8")
    assert where(finding, root) == ("BICEP002", ORDERS, line_of(text, "resource fic_2 "))
    assert f"in {ORDERS_ARM}, 'orders-orders-worker' does not wait for its predecessor" in finding.message
    assert "in modules/wlid-id-orders-api.bicep," not in finding.message


def test_federated_credentials_in_another_order(tmp_path: Path) -> None:
    root = copy_tree(tmp_path)
    # swap the two credentials (names and subjects): each is itself, but they come in the other order
    for field in ("  name: 'orders-orders-", "    subject: 'system:serviceaccount:orders:orders-"):
        edit(root, ORDERS, f"{field}api'\n", f"{field}swap'\n")
        edit(root, ORDERS, f"{field}worker'\n", f"{field}api'\n")
        text = edit(root, ORDERS, f"{field}swap'\n", f"{field}worker'\n")
    finding = only(root)
    assert where(finding, root) == ("BICEP002", ORDERS, line_of(text, "resource fic_1 "))
    assert "does not wait" not in finding.message  # serial on both sides, but not the same order


@pytest.mark.parametrize(
    ("rel", "old", "new", "shown"),
    [
        (
            ORDERS,
            "subject: 'system:serviceaccount:orders:orders-api'",
            "subject: 'system:serviceaccount:orders:other'",
            "properties.subject is 'system:serviceaccount:orders:other' in modules/wlid-id-orders-api.bicep, "
            f"system:serviceaccount:orders:orders-api in {ORDERS_ARM}",
        ),
        (
            ARM,
            '"subject": "system:serviceaccount:orders:orders-api"',
            '"subject": "system:serviceaccount:orders:other"',
            "properties.subject is 'system:serviceaccount:orders:orders-api' in "
            f"modules/wlid-id-orders-api.bicep, system:serviceaccount:orders:other in {ORDERS_ARM}",
        ),
        (
            ORDERS,
            "    issuer: issuer\n    subject: 'system:serviceaccount:orders:orders-api'",
            "    issuer: 'https://issuer.example/'\n    subject: 'system:serviceaccount:orders:orders-api'",
            "properties.issuer is 'https://issuer.example/' in modules/wlid-id-orders-api.bicep, "
            f"[parameters('issuer')] in {ORDERS_ARM}",
        ),
        (
            ORDERS,
            "      'api://AzureADTokenExchange'\n    ]\n  }\n}\n\nresource fic_2",
            "      'api://other'\n    ]\n  }\n}\n\nresource fic_2",
            "properties.audiences is [ 'api://other' ] in modules/wlid-id-orders-api.bicep, "
            f'["api://AzureADTokenExchange"] in {ORDERS_ARM}',
        ),
    ],
    ids=["bicep-subject", "arm-subject", "bicep-issuer", "bicep-audience"],
)
def test_a_federated_credential_with_another_value(
    tmp_path: Path, rel: str, old: str, new: str, shown: str
) -> None:
    root = copy_tree(tmp_path)
    edit(root, rel, old, new)
    finding = only(root)
    text = (root / ORDERS).read_text("utf-8")
    assert where(finding, root) == ("BICEP002", ORDERS, line_of(text, "resource fic_1 "))
    assert finding.message == f"federatedIdentityCredentials 'orders-api/orders-orders-api': {shown}"


def test_an_identity_in_another_location(tmp_path: Path) -> None:
    root = copy_tree(tmp_path)
    text = edit(
        root,
        ORDERS,
        "  name: 'orders-api'\n  location: location\n",
        "  name: 'orders-api'\n  location: 'westus'\n",
    )
    finding = only(root)
    assert where(finding, root) == ("BICEP002", ORDERS, line_of(text, "resource identity_orders_api "))
    assert finding.message == (
        "userAssignedIdentities 'orders-api': location is 'westus' in modules/wlid-id-orders-api.bicep, "
        f"[parameters('location')] in {ORDERS_ARM}"
    )


# -- BICEP002: outputs -----------------------------------------------------------------------------
def test_a_missing_output(tmp_path: Path) -> None:
    root = copy_tree(tmp_path)
    edit(root, MAIN, "\noutput oidcIssuerUrl string = ", "\nvar oidcIssuer = ")
    finding = only(root)
    assert where(finding, root) == ("BICEP002", MAIN, None)
    assert finding.message == "output 'oidcIssuerUrl' of main.json is missing in main.bicep"


def test_a_missing_module_output(tmp_path: Path) -> None:
    root = copy_tree(tmp_path)
    main = (root / MAIN).read_text("utf-8")
    edit(root, ORDERS, "\noutput tenantId string = ", "\nvar tenant = ")
    findings = check_bicep(RenderedTree(root))
    assert [where(f, root) for f in findings] == [
        ("BICEP002", MAIN, line_of(main, "    tenantId: identity_orders_api.outputs.tenantId")),
        ("BICEP002", ORDERS, None),
    ]
    assert findings[0].message == (
        "main.bicep reads output 'tenantId' of module 'identity_orders_api', "
        "which 'modules/wlid-id-orders-api.bicep' does not declare"
    )
    assert (
        findings[1].message
        == f"output 'tenantId' of {ORDERS_ARM} is missing in modules/wlid-id-orders-api.bicep"
    )


@pytest.mark.parametrize(
    ("old", "new", "shown"),
    [
        (
            "clientId: identity_orders_api.outputs.clientId",
            "clientId: identity_orders_api.outputs.principalId",
            "identity_orders_api.outputs.principalId",
        ),
        (
            "clientId: identity_orders_api.outputs.clientId",
            "clientId: identity_reporting.outputs.clientId",
            "identity_reporting.outputs.clientId",
        ),
    ],
    ids=["another-output", "another-module"],
)
def test_an_output_that_reads_something_else(tmp_path: Path, old: str, new: str, shown: str) -> None:
    root = copy_tree(tmp_path)
    text = edit(root, MAIN, old, new)
    finding = only(root)
    assert where(finding, root) == ("BICEP002", MAIN, line_of(text, "output identities "))
    deployment = (
        "[reference(resourceId('Microsoft.Resources/deployments', 'wlid-id-orders-api'), '2022-09-01')"
    )
    assert finding.message == (
        f"output 'identities' (orders-api.clientId) is {shown} in main.bicep, "
        f"{deployment}.outputs.clientId.value] in main.json"
    )


def test_a_module_output_that_reads_another_property(tmp_path: Path) -> None:
    root = copy_tree(tmp_path)
    old = "output clientId string = identity_orders_api.properties.clientId"
    text = edit(root, ORDERS, old, old.replace("properties.clientId", "properties.principalId"))
    finding = only(root)
    assert where(finding, root) == ("BICEP002", ORDERS, line_of(text, "output clientId "))
    identity = "[reference(resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', 'orders-api'), '2024-11-30')"
    assert finding.message == (
        "output 'clientId' is identity_orders_api.properties.principalId in modules/wlid-id-orders-api.bicep, "
        f"{identity}.clientId] in {ORDERS_ARM}"
    )


def test_an_output_both_sides_read_from_a_module_that_does_not_declare_it(tmp_path: Path) -> None:
    root = copy_tree(tmp_path)
    text = edit(
        root,
        MAIN,
        "clientId: identity_orders_api.outputs.clientId",
        "clientId: identity_orders_api.outputs.appId",
    )
    edit(
        root,
        ARM,
        "'wlid-id-orders-api'), '2022-09-01').outputs.clientId.value]",
        "'wlid-id-orders-api'), '2022-09-01').outputs.appId.value]",
    )
    findings = check_bicep(RenderedTree(root))
    assert [where(f, root) for f in findings] == [
        ("BICEP002", MAIN, None),
        ("BICEP002", MAIN, line_of(text, "    clientId: identity_orders_api.outputs.appId")),
    ]
    assert findings[0].message == (
        "main.json reads output 'appId' of deployment 'wlid-id-orders-api', whose template does not declare it"
    )
    assert findings[1].message == (
        "main.bicep reads output 'appId' of module 'identity_orders_api', "
        "which 'modules/wlid-id-orders-api.bicep' does not declare"
    )


def test_an_arm_output_read_from_a_deployment_it_does_not_nest(tmp_path: Path) -> None:
    root = copy_tree(tmp_path)

    def rename(doc: dict[str, Any]) -> None:
        orders_deployment(doc)["name"] = "wlid-id-elsewhere"

    edit_arm(root, rename)
    findings = check_bicep(RenderedTree(root))
    messages = [f.message for f in findings]
    assert all(where(f, root)[:2] == ("BICEP002", MAIN) for f in findings)
    assert (
        "module 'identity_orders_api' is named 'wlid-id-orders-api' in main.bicep, 'wlid-id-elsewhere' in main.json"
        in messages
    )
    for output in ("clientId", "principalId", "tenantId"):
        message = (
            f"main.json reads output '{output}' of deployment 'wlid-id-orders-api', which it does not nest"
        )
        assert message in messages


# -- BICEP002: modules in main.bicep and in the identity modules -----------------------------------
@pytest.mark.parametrize(
    ("rel", "removed", "module", "path"),
    [
        (ORDERS, ROLES_DATA, "roles_2", "wlid-roles-orders-api-c0393637.bicep"),
        (MAIN, ORDERS, "identity_orders_api", "modules/wlid-id-orders-api.bicep"),
    ],
    ids=["role-module", "identity-module"],
)
def test_a_deleted_module_file(tmp_path: Path, rel: str, removed: str, module: str, path: str) -> None:
    root = copy_tree(tmp_path)
    (root / removed).unlink()
    finding = only(root)
    text = (root / rel).read_text("utf-8")
    assert where(finding, root) == ("BICEP002", rel, line_of(text, f"module {module} "))
    assert finding.message == f"module '{module}': file '{path}' does not exist"


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (
            "modules/wlid-roles-orders-api-c0393637.bicep",
            "module 'roles_2': file 'modules/wlid-roles-orders-api-c0393637.bicep' does not exist",
        ),
        (
            "../wlid-roles-orders-api-c0393637.bicep",
            "module 'roles_2': file '../wlid-roles-orders-api-c0393637.bicep' does not exist",
        ),
        ("wlid-id-orders-api.bicep", "module 'roles_2' deploys its own file 'wlid-id-orders-api.bicep'"),
        ("../modules/wlid-roles-orders-api-c0393637.bicep", None),  # the same file, another way
    ],
    ids=["relative-to-main", "parent-folder", "itself", "same-file"],
)
def test_a_module_path_is_read_from_the_declaring_file(
    tmp_path: Path, path: str, message: str | None
) -> None:
    root = copy_tree(tmp_path)
    text = edit(
        root, ORDERS, "module roles_2 'wlid-roles-orders-api-c0393637.bicep'", f"module roles_2 '{path}'"
    )
    if message is None:
        assert check_bicep(RenderedTree(root)) == []
        return
    finding = only(root)
    assert where(finding, root) == ("BICEP002", ORDERS, line_of(text, "module roles_2 "))
    assert finding.message == message


def test_a_module_file_outside_the_modules_folder_is_compared(tmp_path: Path) -> None:
    root = copy_tree(tmp_path)
    moved = "azure/shared/roles-data.bicep"
    (root / moved).parent.mkdir()
    (root / ROLES_DATA).rename(root / moved)
    old = "module roles_2 'wlid-roles-orders-api-c0393637.bicep'"
    edit(root, ORDERS, old, "module roles_2 '../shared/roles-data.bicep'")
    assert check_bicep(RenderedTree(root)) == []
    # checked for syntax, although BICEP001 lists the files of azure/modules only
    text = edit(root, moved, "  name: 'sb-platform-orders'\n", "  name: 'sb-platform-orders' 'x'\n")
    assert where(only(root), root) == ("BICEP001", moved, line_of(text, "  name: 'sb-platform-orders'"))
    edit(root, moved, "  name: 'sb-platform-orders' 'x'\n", "  name: 'sb-platform-orders'\n")
    # and compared with its nested deployment
    text = (root / moved).read_text("utf-8").replace("'69a216fc-", "'00000000-")
    (root / moved).write_text(text, "utf-8")
    finding = only(root)
    line = line_of(text, "resource assignment_Azure_Service_Bus_Data_Sender ")
    assert where(finding, root) == ("BICEP002", moved, line)
    assert "shared/roles-data.bicep" in finding.message


@pytest.mark.parametrize(
    ("rel", "module", "old", "arm_name", "sides"),
    [
        (
            ORDERS,
            "roles_2",
            "wlid-roles-orders-api-c0393637",
            "wlid-roles-orders-api-c0393637",
            f"modules/wlid-id-orders-api.bicep, 'wlid-roles-orders-api-c0393637' in {ORDERS_ARM}",
        ),
        (
            MAIN,
            "identity_orders_api",
            "wlid-id-orders-api",
            "wlid-id-orders-api",
            "main.bicep, 'wlid-id-orders-api' in main.json",
        ),
    ],
    ids=["role-module", "identity-module"],
)
def test_a_module_with_another_deployment_name(
    tmp_path: Path, rel: str, module: str, old: str, arm_name: str, sides: str
) -> None:
    root = copy_tree(tmp_path)
    text = edit(root, rel, f"  name: '{old}'\n", "  name: 'wlid-other'\n")
    findings = check_bicep(RenderedTree(root))
    (named,) = [f for f in findings if "is named" in f.message]
    assert where(named, root) == ("BICEP002", rel, line_of(text, f"module {module} "))
    assert named.message == f"module '{module}' is named 'wlid-other' in {sides}"
    # main.bicep reads the outputs of the identity module by its deployment name
    extra = [f.message for f in findings if f is not named]
    if rel == MAIN:
        assert len(extra) == 3 and all(m.startswith("output 'identities' (orders-api.") for m in extra)
    else:
        assert extra == []


@pytest.mark.parametrize(
    ("rel", "module", "old", "new", "message"),
    [
        (
            ORDERS,
            "roles_2",
            "scope: resourceGroup('rg-platform-data')",
            "scope: resourceGroup('rg-other')",
            "deploys to resourceGroup('rg-other') in modules/wlid-id-orders-api.bicep, "
            f"to resourceGroup('rg-platform-data') in {ORDERS_ARM}",
        ),
        (
            ORDERS,
            "roles_1",
            "scope: resourceGroup()",
            "scope: subscription()",
            f"deploys to subscription() in modules/wlid-id-orders-api.bicep, to resourceGroup() in {ORDERS_ARM}",
        ),
        (
            MAIN,
            "identity_orders_api",
            "  name: 'wlid-id-orders-api'\n",
            "  name: 'wlid-id-orders-api'\n  scope: resourceGroup('rg-other')\n",
            "deploys to resourceGroup('rg-other') in main.bicep, to resourceGroup() in main.json",
        ),
    ],
    ids=["role-module", "role-module-subscription", "identity-module"],
)
def test_a_module_in_another_scope(
    tmp_path: Path, rel: str, module: str, old: str, new: str, message: str
) -> None:
    root = copy_tree(tmp_path)
    text = edit(root, rel, old, new)
    finding = only(root, "BICEP002")  # a module moved to a subscription is also BICEP005
    assert where(finding, root) == ("BICEP002", rel, line_of(text, f"module {module} "))
    assert message in finding.message


def test_an_arm_deployment_in_another_scope(tmp_path: Path) -> None:
    root = copy_tree(tmp_path)

    def move(doc: dict[str, Any]) -> None:
        template = orders_deployment(doc)["properties"]["template"]
        (roles,) = [r for r in template["resources"] if r["name"] == "wlid-roles-orders-api-c0393637"]
        roles["resourceGroup"] = "rg-other"

    edit_arm(root, move)
    finding = only(root)
    text = (root / ORDERS).read_text("utf-8")
    assert where(finding, root) == ("BICEP002", ORDERS, line_of(text, "module roles_2 "))
    assert f"to resourceGroup('rg-other') in {ORDERS_ARM}" in finding.message


def without_depends_on(*names: str) -> Callable[[dict[str, Any]], None]:
    """Drop the dependsOn of the deployment reached by `names` (nested one in the other) in main.json."""

    def change(doc: dict[str, Any]) -> None:
        resources = doc["resources"]
        for name in names:
            (deployment,) = [r for r in resources if r["name"] == name]
            resources = deployment["properties"]["template"]["resources"]
        deployment.pop("dependsOn")

    return change


@pytest.mark.parametrize(
    ("rel", "old", "new", "module", "message"),
    [
        (
            MAIN,
            "  dependsOn: [\n    clusterWorkloadIdentity\n  ]\n}\n\nmodule identity_reporting",
            "}\n\nmodule identity_reporting",
            "identity_orders_api",
            "module 'identity_orders_api' ('wlid-id-orders-api') waits for nothing in main.bicep, "
            "deployment 'wlid-cluster-platform' in main.json",
        ),
        (
            ORDERS,
            "    principalId: identity_orders_api.properties.principalId\n  }\n}\n\noutput",
            "    principalId: identity_orders_api.properties.principalId\n  }\n  dependsOn: [\n    fic_2\n  ]\n}"
            "\n\noutput",
            "roles_2",
            "module 'roles_2' ('wlid-roles-orders-api-c0393637') waits for 'orders-orders-worker', "
            "userassignedidentities 'orders-api' in modules/wlid-id-orders-api.bicep, "
            f"userassignedidentities 'orders-api' in {ORDERS_ARM}",
        ),
        (
            ARM,
            without_depends_on("wlid-id-orders-api"),
            None,
            "identity_orders_api",
            "module 'identity_orders_api' ('wlid-id-orders-api') waits for deployment 'wlid-cluster-platform' "
            "in main.bicep, nothing in main.json",
        ),
        (
            ARM,
            without_depends_on("wlid-id-orders-api", "wlid-roles-orders-api-fa3592eb"),
            None,
            "roles_1",
            # the module reads the identity's principalId: Bicep makes it wait for the identity
            "module 'roles_1' ('wlid-roles-orders-api-fa3592eb') waits for userassignedidentities 'orders-api' "
            f"in modules/wlid-id-orders-api.bicep, nothing in {ORDERS_ARM}",
        ),
    ],
    ids=["identity-module-without-cluster", "role-module-after-a-credential", "arm-identity", "arm-roles"],
)
def test_a_module_that_waits_for_something_else(
    tmp_path: Path, rel: str, old: Any, new: str | None, module: str, message: str
) -> None:
    root = copy_tree(tmp_path)
    if rel == ARM:
        edit_arm(root, old)
        rel = MAIN if module.startswith("identity_") else ORDERS
        text = (root / rel).read_text("utf-8")
    else:
        assert new is not None
        text = edit(root, rel, old, new)
    finding = only(root)
    assert where(finding, root) == ("BICEP002", rel, line_of(text, f"module {module} "))
    assert finding.message == message


@pytest.mark.parametrize(
    ("rel", "module", "old", "new", "message"),
    [
        (
            MAIN,
            "identity_orders_api",
            "  name: 'wlid-id-orders-api'\n  params: {\n    location: location\n",
            "  name: 'wlid-id-orders-api'\n  params: {\n    location: 'westus'\n",
            "module 'identity_orders_api' ('wlid-id-orders-api') passes location = 'westus' in main.bicep, "
            "[parameters('location')] in main.json",
        ),
        (
            ORDERS,
            "roles_2",
            "  scope: resourceGroup('rg-platform-data')\n  params: {\n    principalId: identity_orders_api.properties.principalId\n",
            "  scope: resourceGroup('rg-platform-data')\n  params: {\n    principalId: identity_orders_api.properties.clientId\n",
            "module 'roles_2' ('wlid-roles-orders-api-c0393637') passes principalId = "
            "identity_orders_api.properties.clientId in modules/wlid-id-orders-api.bicep, [reference(resourceId("
            f"'Microsoft.ManagedIdentity/userAssignedIdentities', 'orders-api'), '2024-11-30').principalId] in {ORDERS_ARM}",
        ),
        (
            MAIN,
            "identity_orders_api",
            "  name: 'wlid-id-orders-api'\n  params: {\n",
            "  name: 'wlid-id-orders-api'\n  params: {\n    extra: 'x'\n",
            "module 'identity_orders_api' ('wlid-id-orders-api') passes ['extra', 'issuer', 'location', "
            "'tag_environment'] in main.bicep, ['issuer', 'location', 'tag_environment'] in main.json",
        ),
    ],
    ids=["identity-module-location", "role-module-principal", "identity-module-extra"],
)
def test_a_module_argument_with_another_value(
    tmp_path: Path, rel: str, module: str, old: str, new: str, message: str
) -> None:
    root = copy_tree(tmp_path)
    text = edit(root, rel, old, new)
    finding = only(root)
    assert where(finding, root) == ("BICEP002", rel, line_of(text, f"module {module} "))
    assert finding.message == message


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "param issuer string\n",
            "param issuer string\nparam extra string = 'x'\n",
            f"parameter 'extra' of modules/wlid-id-orders-api.bicep is not in {ORDERS_ARM}",
        ),
        (
            "param issuer string\n",
            "param issuer int\n",
            f"parameter 'issuer' is int in modules/wlid-id-orders-api.bicep, string in {ORDERS_ARM}",
        ),
        (
            "param location string\n",
            "param location string = 'westus'\n",
            "parameter 'location' has a default value only in modules/wlid-id-orders-api.bicep",
        ),
    ],
    ids=["extra", "type", "default"],
)
def test_a_module_parameter_unlike_the_nested_template(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    root = copy_tree(tmp_path)
    text = edit(root, ORDERS, old, new)
    finding = only(root)
    assert where(finding, root) == ("BICEP002", ORDERS, line_of(text, new.strip().split("\n")[-1]))
    assert finding.message == message


def test_a_nested_template_parameter_missing_in_the_module(tmp_path: Path) -> None:
    root = copy_tree(tmp_path)
    edit_arm(
        root,
        lambda doc: orders_deployment(doc)["properties"]["template"]["parameters"].update(
            tags={"type": "object"}
        ),
    )
    finding = only(root)
    assert where(finding, root) == ("BICEP002", ORDERS, None)
    assert (
        finding.message
        == f"parameter 'tags' of {ORDERS_ARM} is not declared in modules/wlid-id-orders-api.bicep"
    )


def test_an_arm_deployment_without_an_inline_template(tmp_path: Path) -> None:
    root = copy_tree(tmp_path)

    def link(doc: dict[str, Any]) -> None:
        properties = orders_deployment(doc)["properties"]
        del properties["template"]
        properties["templateLink"] = {"uri": "https://example.org/wlid-id-orders-api.json"}

    edit_arm(root, link)
    finding = only(root)
    text = (root / MAIN).read_text("utf-8")
    assert where(finding, root) == ("BICEP002", MAIN, line_of(text, "module identity_orders_api "))
    assert finding.message == (
        "main.json deployment 'wlid-id-orders-api' has no inline template to compare with "
        "'modules/wlid-id-orders-api.bicep'"
    )


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
    assert f"{ORDERS_ARM} deployment 'wlid-roles-orders-api-c0393637' grants" in finding.message


def test_a_changed_parameter_default(tmp_path: Path) -> None:
    root = copy_tree(tmp_path, "lab")
    text = edit(
        root, MAIN, "param enableWorkloadIdentity bool = false", "param enableWorkloadIdentity bool = true"
    )
    finding = only(root)
    assert where(finding, root) == ("BICEP002", MAIN, line_of(text, "param enableWorkloadIdentity "))


# -- BICEP002: values that differ between environments (out/multi-env) ------------------------------
def nested(doc: dict[str, Any], *names: str) -> dict[str, Any]:
    """The deployment reached by `names` in main.json, each nested in the one before."""
    resources = doc["resources"]
    for name in names:
        (deployment,) = [r for r in resources if r["name"] == name]
        resources = deployment["properties"]["template"]["resources"]
    return deployment


VAULT_SCOPE = "[format('Microsoft.KeyVault/vaults/{0}', parameters('shop_api_role1_name'))]"
VAULT_GUID = (
    "[guid(resourceId('Microsoft.KeyVault/vaults', parameters('shop_api_role1_name')), parameters('principalId'), "
    "subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '4633458b-17de-408a-b874-0445c86b69e6'))]"
)
BICEP_VAULT_GUID = (
    "guid(target_shop_api_role1_name.id, principalId, "
    "subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '4633458b-17de-408a-b874-0445c86b69e6'))"
)
VAULT_ROLE = "role 4633458b-17de-408a-b874-0445c86b69e6"


@pytest.mark.parametrize(
    ("rel", "old", "new", "arm", "bicep"),
    [
        (
            VAULT_ROLES,
            "  name: shop_api_role1_name\n",
            "  name: principalId\n",  # another parameter
            f"{VAULT_ROLE} at {VAULT_SCOPE} named {VAULT_GUID}",
            f"{VAULT_ROLE} at Microsoft.KeyVault/vaults/<principalId> named {BICEP_VAULT_GUID}",
        ),
        (
            VAULT_ROLES,
            "  name: shop_api_role1_name\n",
            "  name: 'kv-shop-dev'\n",  # one environment's value
            f"{VAULT_ROLE} at {VAULT_SCOPE} named {VAULT_GUID}",
            f"{VAULT_ROLE} at Microsoft.KeyVault/vaults/kv-shop-dev named {BICEP_VAULT_GUID}",
        ),
        (
            ARM,
            f'"scope": "{VAULT_SCOPE}"',
            f'"scope": "{VAULT_SCOPE.replace("shop_api_role1_name", "principalId")}"',
            f"{VAULT_ROLE} at {VAULT_SCOPE.replace('shop_api_role1_name', 'principalId')}",
            f"{VAULT_ROLE} at Microsoft.KeyVault/vaults/<shop_api_role1_name>",
        ),
        (
            ARM,  # the guid only: the same scope, another name (a second assignment after a redeploy)
            "guid(resourceId('Microsoft.KeyVault/vaults', parameters('shop_api_role1_name'))",
            "guid(resourceId('Microsoft.KeyVault/vaults', parameters('principalId'))",
            f"{VAULT_ROLE} at {VAULT_SCOPE} named "
            + VAULT_GUID.replace("parameters('shop_api_role1_name')", "parameters('principalId')"),
            f"{VAULT_ROLE} at Microsoft.KeyVault/vaults/<shop_api_role1_name> named {BICEP_VAULT_GUID}",
        ),
    ],
    ids=["bicep-target-another-parameter", "bicep-target-literal", "arm-scope", "arm-guid"],
)
def test_a_role_target_named_by_another_parameter(
    tmp_path: Path, rel: str, old: str, new: str, arm: str, bicep: str
) -> None:
    root = copy_tree(tmp_path, "multi-env")
    edit(root, rel, old, new)
    finding = only(root)
    text = (root / VAULT_ROLES).read_text("utf-8")
    assert where(finding, root) == ("BICEP002", VAULT_ROLES, line_of(text, VAULT_ASSIGNMENT))
    assert finding.message == (
        f"role assignments differ: {VAULT_ROLES_ARM} grants {arm}, "
        f"modules/wlid-roles-shop-api-fe4aad1c.bicep {bicep}"
    )


@pytest.mark.parametrize("side", ["arm-scope", "arm-guid", "bicep"])
def test_a_nested_role_target_named_by_another_segment(tmp_path: Path, side: str) -> None:
    # a blob container named per environment: ARM reads each name segment with split(x, '/')[i]
    root = write_emitted(tmp_path, "multi-env-rich")
    (module,) = [
        p.stem
        for p in (root / "azure" / "modules").iterdir()
        if "blobServices/containers@" in p.read_text("utf-8")
    ]
    rel = f"azure/modules/{module}.bicep"
    last, other = "split(parameters('api_role2_name'), '/')[2]", "split(parameters('api_role2_name'), '/')[1]"
    if side == "bicep":
        edit(root, rel, "  name: api_role2_name\n", "  name: principalId\n")
        shown = "at Microsoft.Storage/storageAccounts/<principalId>[0]/blobServices/<principalId>[1]/"
    else:

        def change(doc: dict[str, Any]) -> None:
            (assignment,) = nested(doc, "wlid-id-api", module)["properties"]["template"]["resources"]
            field = "scope" if side == "arm-scope" else "name"
            assert assignment[field].count(last) == 1
            assignment[field] = assignment[field].replace(last, other)

        edit_arm(root, change)
        shown = other
    finding = only(root)
    text = (root / rel).read_text("utf-8")
    line = line_of(text, "resource assignment_Storage_Blob_Data_Contributor ")
    assert where(finding, root) == ("BICEP002", rel, line)
    assert finding.message.startswith("role assignments differ: ")
    assert shown in finding.message


@pytest.mark.parametrize(
    ("rel", "old", "new", "message"),
    [
        (
            SHOP_API,
            "scope: resourceGroup(shop_api_role1_resourceGroup)",
            "scope: resourceGroup(shop_api_role1_name)",
            "deploys to resourceGroup(shop_api_role1_name) in modules/wlid-id-shop-api.bicep, "
            f"to resourceGroup(shop_api_role1_resourceGroup) in {SHOP_API_ARM}",
        ),
        (
            ARM,
            '"resourceGroup": "[parameters(\'shop_api_role1_resourceGroup\')]"',
            '"resourceGroup": "rg-shop-secrets-dev"',
            "deploys to resourceGroup(shop_api_role1_resourceGroup) in modules/wlid-id-shop-api.bicep, "
            f"to resourceGroup('rg-shop-secrets-dev') in {SHOP_API_ARM}",
        ),
        (
            SHOP_API,
            "scope: resourceGroup(shop_api_role1_resourceGroup)",
            "scope: resourceGroup(roles_group)",  # the same text as ARM's, but not a parameter
            "deploys to resourceGroup(roles_group) in modules/wlid-id-shop-api.bicep, "
            f"to resourceGroup(shop_api_role1_resourceGroup) in {SHOP_API_ARM}",
        ),
    ],
    ids=["bicep-another-parameter", "arm-literal", "bicep-not-a-parameter"],
)
def test_a_role_module_in_a_resource_group_of_another_parameter(
    tmp_path: Path, rel: str, old: str, new: str, message: str
) -> None:
    root = copy_tree(tmp_path, "multi-env")
    edit(root, rel, old, new)
    findings = check_bicep(RenderedTree(root))
    text = (root / SHOP_API).read_text("utf-8")
    assert {where(f, root) for f in findings} == {("BICEP002", SHOP_API, line_of(text, "module roles_1 "))}
    assert message in findings[0].message


def test_a_module_scope_that_reads_no_parameter(tmp_path: Path) -> None:
    root = copy_tree(tmp_path, "multi-env")
    # a variable of the same name as ARM's parameter: Bicep's scope no longer reads the parameter
    text = edit(
        root,
        SHOP_API,
        "param shop_api_role1_resourceGroup string\n",
        "var shop_api_role1_resourceGroup = 'rg-shop-secrets-dev'\n",
    )
    messages = [f.message for f in check_bicep(RenderedTree(root))]
    assert (
        f"parameter 'shop_api_role1_resourceGroup' of {SHOP_API_ARM} is not declared in "
        "modules/wlid-id-shop-api.bicep"
    ) in messages
    assert (
        "module 'roles_1' ('wlid-roles-shop-api-fe4aad1c') deploys to resourceGroup(shop_api_role1_resourceGroup), "
        "but 'shop_api_role1_resourceGroup' is not a parameter of modules/wlid-id-shop-api.bicep"
    ) in messages
    assert "module roles_1 " in text


@pytest.mark.parametrize(
    ("rel", "change", "runs"),
    [
        (
            MAIN,
            ("= if (include_shop_reporting) {", "= {"),
            "runs always in main.bicep, if (include_shop_reporting)",
        ),
        (
            MAIN,
            ("= if (include_shop_reporting) {", "= if (enableWorkloadIdentity) {"),
            "runs if (enableWorkloadIdentity) in main.bicep, if (include_shop_reporting)",
        ),
        (
            MAIN,
            ("= if (include_shop_reporting) {", "= if (!include_shop_reporting) {"),
            "runs if (!include_shop_reporting) in main.bicep, if (include_shop_reporting)",
        ),
        (ARM, None, "runs if (include_shop_reporting) in main.bicep, always"),
        (
            ARM,
            "[parameters('enableWorkloadIdentity')]",
            "runs if (include_shop_reporting) in main.bicep, if (enableWorkloadIdentity)",
        ),
    ],
    ids=["bicep-none", "bicep-another-parameter", "bicep-expression", "arm-none", "arm-another-parameter"],
)
def test_an_identity_module_with_another_condition(tmp_path: Path, rel: str, change: Any, runs: str) -> None:
    root = copy_tree(tmp_path, "multi-env")
    if rel == ARM:

        def condition(doc: dict[str, Any]) -> None:
            deployment = nested(doc, "wlid-id-shop-reporting")
            assert deployment["condition"] == "[parameters('include_shop_reporting')]"
            if change is None:
                del deployment["condition"]
            else:
                deployment["condition"] = change

        edit_arm(root, condition)
    else:
        edit(root, rel, *change)
    findings = check_bicep(RenderedTree(root))
    if rel == ARM:  # the ARM outputs still read the deployment under its former condition
        (guarded,) = [f for f in findings if "reads the outputs of deployment" in f.message]
        assert "when parameters('include_shop_reporting'), but it runs" in guarded.message
        findings.remove(guarded)
    assert len(findings) == 1, [f.format() for f in findings]
    finding = findings[0]
    text = (root / MAIN).read_text("utf-8")
    assert where(finding, root) == ("BICEP002", MAIN, line_of(text, "module identity_shop_reporting "))
    assert (
        finding.message == f"module 'identity_shop_reporting' ('wlid-id-shop-reporting') {runs} in main.json"
    )


@pytest.mark.parametrize(
    ("rel", "old", "new", "shown"),
    [
        (
            ARM,
            "\"name\": \"[format('{0}/{1}', 'shop-reporting', 'shop-shop-reporting')]\",",
            "\"condition\": false, \"name\": \"[format('{0}/{1}', 'shop-reporting', 'shop-shop-reporting')]\",",
            f"condition is nothing in modules/wlid-id-shop-reporting.bicep, false in {REPORTING_ARM}",
        ),
        (
            REPORTING,
            "federatedIdentityCredentials@2024-11-30' = {",
            "federatedIdentityCredentials@2024-11-30' = if (!empty(issuer)) {",
            f"condition is !empty(issuer) in modules/wlid-id-shop-reporting.bicep, nothing in {REPORTING_ARM}",
        ),
    ],
    ids=["arm-only", "bicep-only"],
)
def test_a_federated_credential_with_a_condition_on_one_side(
    tmp_path: Path, rel: str, old: str, new: str, shown: str
) -> None:
    root = copy_tree(tmp_path, "multi-env")
    edit(root, rel, old, new)
    finding = only(root)
    text = (root / REPORTING).read_text("utf-8")
    assert where(finding, root) == ("BICEP002", REPORTING, line_of(text, "resource fic_1 "))
    assert finding.message == f"federatedIdentityCredentials 'shop-reporting/shop-shop-reporting': {shown}"


@pytest.mark.parametrize("side", ["bicep-none", "arm-another-parameter"])
def test_a_federated_credential_of_some_environments_with_another_condition(
    tmp_path: Path, side: str
) -> None:
    # jobs/worker-extra exists in prod only: its credential has a condition in the worker's module
    root = write_emitted(tmp_path, "multi-env-rich")
    rel = "azure/modules/wlid-id-worker.bicep"
    condition = "= if (include_sa_jobs_worker_extra) {"
    arm = "[parameters('include_sa_jobs_worker_extra')]"
    if side == "bicep-none":
        edit(root, rel, condition, "= {")
        shown = f"condition is nothing in modules/wlid-id-worker.bicep, {arm}"
    else:
        other = "[parameters('worker_role1_name')]"  # another parameter of the nested template
        edit(root, ARM, f'"condition": "{arm}"', f'"condition": "{other}"')
        shown = f"condition is include_sa_jobs_worker_extra in modules/wlid-id-worker.bicep, {other}"
    finding = only(root)
    text = (root / rel).read_text("utf-8")
    assert where(finding, root) == ("BICEP002", rel, line_of(text, "resource fic_2 "))
    assert finding.message == (
        f"federatedIdentityCredentials 'worker/jobs-worker-extra': {shown} in main.json deployment 'wlid-id-worker'"
    )


def test_a_role_assignment_with_a_condition_on_one_side(tmp_path: Path) -> None:
    root = copy_tree(tmp_path, "multi-env")
    old = "roleAssignments@2022-04-01' = {"
    text = edit(root, VAULT_ROLES, old, "roleAssignments@2022-04-01' = if (!empty(principalId)) {")
    finding = only(root)
    assert where(finding, root) == ("BICEP002", VAULT_ROLES, line_of(text, VAULT_ASSIGNMENT))
    assert finding.message.endswith(
        f"{VAULT_ROLE} at Microsoft.KeyVault/vaults/<shop_api_role1_name> if (!empty(principalId))"
    )
    assert f"grants {VAULT_ROLE} at {VAULT_SCOPE}, " in finding.message


REPORTING_CLIENT = "clientId: identity_shop_reporting.?outputs.clientId ?? ''"
REPORTING_OUTPUT = (
    "[coalesce(tryGet(if(parameters('include_shop_reporting'), reference(resourceId("
    "'Microsoft.Resources/deployments', 'wlid-id-shop-reporting'), '2022-09-01'), null()), 'outputs', "
    "'clientId', 'value'), '')]"
)


@pytest.mark.parametrize(
    ("rel", "new", "bicep", "arm"),
    [
        (
            MAIN,
            "clientId: identity_shop_reporting.outputs.clientId",
            "identity_shop_reporting.outputs.clientId",
            REPORTING_OUTPUT,
        ),
        (
            MAIN,
            REPORTING_CLIENT.replace("identity_shop_reporting", "identity_shop_api"),
            "identity_shop_api.?outputs.clientId ?? ''",
            REPORTING_OUTPUT,
        ),
        (
            MAIN,
            REPORTING_CLIENT.replace("outputs.clientId", "outputs.principalId"),
            "identity_shop_reporting.?outputs.principalId ?? ''",
            REPORTING_OUTPUT,
        ),
        (
            ARM,
            REPORTING_OUTPUT.replace("'value'), '')]", "'value'), 'none')]"),
            REPORTING_CLIENT.removeprefix("clientId: "),
            REPORTING_OUTPUT.replace("'value'), '')]", "'value'), 'none')]"),
        ),
    ],
    ids=["bicep-unsafe", "bicep-another-module", "bicep-another-output", "arm-another-fallback"],
)
def test_an_output_of_an_identity_of_some_environments(
    tmp_path: Path, rel: str, new: str, bicep: str, arm: str
) -> None:
    root = copy_tree(tmp_path, "multi-env")
    edit(root, rel, REPORTING_CLIENT if rel == MAIN else REPORTING_OUTPUT, new)
    finding = only(root, "BICEP002")  # a plain `.outputs` is also BICEP004 (see test_bicep004_*)
    text = (root / MAIN).read_text("utf-8")
    assert where(finding, root) == ("BICEP002", MAIN, line_of(text, "output identities "))
    assert (
        finding.message
        == f"output 'identities' (shop-reporting.clientId) is {bicep} in main.bicep, {arm} in main.json"
    )


def test_an_arm_output_read_under_another_condition_than_its_deployment(tmp_path: Path) -> None:
    """Bicep's `.?outputs` reads a conditional module's outputs exactly when the module runs; the ARM
    template writes that condition out, and must write the deployment's own."""
    root = copy_tree(tmp_path, "multi-env")
    other = REPORTING_OUTPUT.replace(
        "parameters('include_shop_reporting')", "parameters('enableWorkloadIdentity')"
    )
    edit(root, ARM, REPORTING_OUTPUT, other)
    finding = only(root)
    assert where(finding, root) == ("BICEP002", MAIN, None)
    assert finding.message == (
        "main.json reads the outputs of deployment 'wlid-id-shop-reporting' when "
        "parameters('enableWorkloadIdentity'), but it runs if (parameters('include_shop_reporting')) "
        "(Bicep's .?outputs reads them exactly when the module runs)"
    )


@pytest.mark.parametrize(
    ("rel", "old", "new", "module", "message"),
    [
        (
            MAIN,
            "    shop_api_role1_name: shop_api_role1_name\n",
            "    shop_api_role1_name: shop_api_role2_name\n",
            "identity_shop_api",
            "module 'identity_shop_api' ('wlid-id-shop-api') passes shop_api_role1_name = shop_api_role2_name "
            "in main.bicep, [parameters('shop_api_role1_name')] in main.json",
        ),
        (
            SHOP_API,
            "    shop_api_role1_name: shop_api_role1_name\n",
            "    shop_api_role1_name: 'kv-shop-dev'\n",
            "roles_1",
            "module 'roles_1' ('wlid-roles-shop-api-fe4aad1c') passes shop_api_role1_name = 'kv-shop-dev' in "
            f"modules/wlid-id-shop-api.bicep, [parameters('shop_api_role1_name')] in {SHOP_API_ARM}",
        ),
        (
            SHOP_API,
            "    shop_api_role1_name: shop_api_role1_name\n",
            "",
            "roles_1",
            "module 'roles_1' ('wlid-roles-shop-api-fe4aad1c') passes ['principalId'] in "
            f"modules/wlid-id-shop-api.bicep, ['principalId', 'shop_api_role1_name'] in {SHOP_API_ARM}",
        ),
        (
            ARM,
            None,
            None,
            "identity_shop_api",
            "module 'identity_shop_api' ('wlid-id-shop-api') passes ['issuer', 'location', 'shop_api_role1_name', "
            "'shop_api_role1_resourceGroup', 'shop_api_role2_name'] in main.bicep, ['issuer', 'location', "
            "'shop_api_role1_resourceGroup', 'shop_api_role2_name'] in main.json",
        ),
    ],
    ids=["bicep-another-parameter", "bicep-literal", "bicep-missing", "arm-missing"],
)
def test_a_parameter_passed_down_unlike_the_nested_deployment(
    tmp_path: Path, rel: str, old: str | None, new: str | None, module: str, message: str
) -> None:
    root = copy_tree(tmp_path, "multi-env")
    if rel == ARM:
        edit_arm(
            root,
            lambda doc: nested(doc, "wlid-id-shop-api")["properties"]["parameters"].pop(
                "shop_api_role1_name"
            ),
        )
        rel = MAIN
    else:
        assert old is not None and new is not None
        edit(root, rel, old, new)
    finding = only(root)
    text = (root / rel).read_text("utf-8")
    assert where(finding, root) == ("BICEP002", rel, line_of(text, f"module {module} "))
    assert finding.message == message


@pytest.mark.parametrize(
    ("rel", "old", "new", "message"),
    [
        (
            MAIN,
            "param include_shop_reporting bool\n",
            "param include_shop_reporting string\n",
            "parameter 'include_shop_reporting' is string in main.bicep, bool in main.json",
        ),
        (
            VAULT_ROLES,
            "param shop_api_role1_name string\n",
            "param shop_api_role1_name int\n",
            "parameter 'shop_api_role1_name' is int in modules/wlid-roles-shop-api-fe4aad1c.bicep, "
            f"string in {VAULT_ROLES_ARM}",
        ),
        (
            ARM,
            None,
            "param shop_api_role1_name string\n",
            f"parameter 'shop_api_role1_name' is string in modules/wlid-id-shop-api.bicep, bool in {SHOP_API_ARM}",
        ),
    ],
    ids=["main", "role-module", "arm-nested-template"],
)
def test_a_parameter_of_another_type(
    tmp_path: Path, rel: str, old: str | None, new: str, message: str
) -> None:
    root = copy_tree(tmp_path, "multi-env")
    if rel == ARM:

        def retype(doc: dict[str, Any]) -> None:
            parameters = nested(doc, "wlid-id-shop-api")["properties"]["template"]["parameters"]
            parameters["shop_api_role1_name"]["type"] = "bool"

        edit_arm(root, retype)
        rel = SHOP_API
    else:
        assert old is not None
        edit(root, rel, old, new)
    finding = only(root)
    text = (root / rel).read_text("utf-8")
    assert where(finding, root) == ("BICEP002", rel, line_of(text, new.strip()))
    assert finding.message == message


@pytest.mark.parametrize("side", ["bicep", "arm"])
def test_a_resource_named_by_another_parameter(tmp_path: Path, side: str) -> None:
    root = copy_tree(tmp_path, "multi-env")
    rel = "azure/modules/cluster-workload-identity.bicep"
    # the cluster module has one string parameter; any other parameter shows the comparison
    if side == "bicep":
        edit(root, rel, "  name: clusterName\n", "  name: oidcIssuerEnabled\n")
    else:
        old = '"name": "[parameters(\'clusterName\')]",'
        edit(root, ARM, old, old.replace("clusterName", "oidcIssuerEnabled"))
    finding = only(root)
    text = (root / rel).read_text("utf-8")
    assert where(finding, root) == ("BICEP002", rel, line_of(text, "resource managedCluster "))
    names = (
        ("<clusterName>", "<oidcIssuerEnabled>")
        if side == "bicep"
        else ("<oidcIssuerEnabled>", "<clusterName>")
    )
    assert finding.message == (
        f"managedClusters '{names[0]}' of main.json deployment 'wlid-cluster-multi-env' is named "
        f"'{names[1]}' in modules/cluster-workload-identity.bicep"
    )


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
