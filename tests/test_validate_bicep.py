"""Tests of `wlid validate`'s Bicep checks: BICEP001 syntax, BICEP002 the same deployment as main.json (here:
resources, federated credentials and outputs; test_validate_bicep_modules.py: modules;
test_validate_bicep_environments.py: values that differ between environments), BICEP003 the .bicepparam files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from bicep_plans import PLANS
from bicep_trees import (
    ARM,
    MAIN,
    ORDERS,
    ORDERS_ARM,
    OUT,
    ROLES_DATA,
    copy_tree,
    edit,
    edit_arm,
    line_of,
    only,
    orders_deployment,
    where,
    write_emitted,
)

from wlid_render.validate import bicep_syntax as bm
from wlid_render.validate.bicep import check_bicep
from wlid_render.validate.tree import RenderedTree

DEV = "azure/params/dev.bicepparam"


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
