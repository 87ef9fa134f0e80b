"""`wlid validate`, BICEP002 on values that differ between environments (out/multi-env): role targets,
resource groups, conditions, outputs and parameters passed down, in Bicep and in ARM."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from bicep_trees import ARM, MAIN, copy_tree, edit, edit_arm, line_of, only, where, write_emitted

from wlid_render.validate.bicep import check_bicep
from wlid_render.validate.tree import RenderedTree

# out/multi-env: dev and prod differ; shop-reporting exists in prod only
SHOP_API = "azure/modules/wlid-id-shop-api.bicep"
SHOP_API_ARM = "main.json deployment 'wlid-id-shop-api'"
REPORTING = "azure/modules/wlid-id-shop-reporting.bicep"
REPORTING_ARM = "main.json deployment 'wlid-id-shop-reporting'"
VAULT_ROLES = "azure/modules/wlid-roles-shop-api-fe4aad1c.bicep"  # its key vault is a parameter
VAULT_ROLES_ARM = f"{SHOP_API_ARM} deployment 'wlid-roles-shop-api-fe4aad1c'"
VAULT_ASSIGNMENT = "resource assignment_Key_Vault_Secrets_User "


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
