"""`wlid validate`, BICEP002 on modules: main.bicep's and the identity modules' module declarations
against the ARM nested deployments (files, names, scopes, dependencies, arguments, parameters, roles)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from bicep_trees import (
    ARM,
    MAIN,
    ORDERS,
    ORDERS_ARM,
    ROLES_DATA,
    copy_tree,
    edit,
    edit_arm,
    line_of,
    only,
    orders_deployment,
    where,
)

from wlid_render.validate.bicep import check_bicep
from wlid_render.validate.tree import RenderedTree


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
