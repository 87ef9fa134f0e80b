"""Render-time rules of the Azure side: identities shared by environments, tags, names of deployments
at subscription scope, parameter-file values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import LAB_SPEC, ROOT
from k8s_trees import line, plan_of, problems_of

from wlid_render.emit.arm import emit_arm
from wlid_render.emit.bicep import emit_bicep
from wlid_render.plan.model import MAX_DEPLOYMENT_NAME, ParamRef, RoleDeployment
from wlid_render.validate.run import Options, validate_tree
from wlid_render.warning_codes import WARNINGS
from wlid_render.workflow.pipeline import render_plan

PLATFORM = (ROOT / "specs" / "platform.yaml").read_text("utf-8")
LAB = LAB_SPEC.read_text("utf-8")


def lab_with_environments(environments: str, extra: str = "") -> str:
    return LAB.replace("identities:\n", f"{extra}identities:\n", 1) + "environments:\n" + environments


# -- identities shared by environments ----------------------------------------------------------------
def test_the_platform_example_as_it_was_is_refused_at_both_environments_lines() -> None:
    """staging and prod deployed their identities to one resource group, in two regions, for two
    clusters: the second deployment fails, or each rewrites the credentials' issuer."""
    text = PLATFORM.replace(
        "azure: {location: northeurope, resourceGroup: rg-platform-identities-prod}",
        "azure: {location: northeurope}",
    )
    problems = problems_of(text)
    where = sorted((p.mark.line if p.mark else 0, ".".join(map(str, p.path))) for p in problems)
    assert where == [
        (line(text, "  location: westeurope"), "azure.location"),
        (line(text, "    environment: ${env}"), "azure.tags.environment"),  # both identities' tag
        (line(text, "cluster: {name: aks-platform-staging}"), "environments.staging.cluster.name"),
        (line(text, "azure: {location: northeurope}"), "environments.prod.azure.location"),
        (line(text, "      name: aks-platform-prod"), "environments.prod.cluster.name"),
    ]
    regions = [p for p in problems if "regions" in p.message]
    assert len(regions) == 2 and all("InvalidResourceLocation" in p.message for p in regions)
    assert regions[0].message == regions[1].message  # one message, at each environment's line
    assert "identities orders-api, reporting as the same Azure resources" in regions[0].message
    clusters = [p for p in problems if "clusters" in p.message]
    assert all("AADSTS70021" in p.message for p in clusters)
    assert all("environments.<env>.azure.resourceGroup" in p.hint for p in problems)


def test_environments_may_share_an_identity_they_deploy_identically() -> None:
    """Two environments on the same cluster, in the same resource group, with the same credentials
    and tags: one identity, written the same by both."""
    plan = plan_of(lab_with_environments("  blue: {}\n  green: {}\n"))
    assert [i.name for i in plan.identities] == ["myIdentity"]
    assert plan.warnings == () or all(w.code != "W100" for w in plan.warnings)


def test_shared_identity_with_other_credentials_is_refused() -> None:
    text = lab_with_environments("  blue: {}\n  green: {}\n").replace(
        "    federatedCredentialName: myFedIdentity\n",
        "    federatedCredentialName: myFedIdentity\n  - name: extra\n    namespace: default\n"
        "    identity: myIdentity\n    environments: [green]\n",
    )
    problems = problems_of(text)
    assert {".".join(map(str, p.path)) for p in problems} == {"identities.0"}
    (message,) = {p.message for p in problems}
    assert "only in blue: none; only in green: default-extra (system:serviceaccount:default:extra)" in message


def test_shared_identity_with_other_tags_is_refused() -> None:
    text = lab_with_environments("  blue: {}\n  green: {}\n", extra="")
    text = text.replace("  location: eastus\n", "  location: eastus\n  tags: {color: '${env}'}\n")
    problems = problems_of(text)
    assert {".".join(map(str, p.path)) for p in problems} == {"azure.tags.color"}
    assert "color: 'blue' in blue, 'green' in green" in problems[0].message


def test_shared_identity_with_other_roles_is_a_warning() -> None:
    text = lab_with_environments("  blue: {}\n  green: {vars: {vault: kv-green}}\n")
    text = text.replace("  blue: {}", "  blue: {vars: {vault: kv-blue}}").replace(
        "keyVault: kv-wlid-lab", "keyVault: ${vars.vault}"
    )
    plan = plan_of(text)
    (warning,) = [w for w in plan.warnings if w.code == "W100"]
    assert warning.path == ("identities", 0, "roles")
    assert "the pods of both environments get the roles of both" in warning.message
    assert "W100" in WARNINGS


def test_the_tree_says_where_each_environment_deploys() -> None:
    plan = plan_of(PLATFORM)
    files = {a.path: a.text for a in render_plan(plan)}
    targets = json.loads(files["azure/targets.json"])["environments"]
    assert targets == {
        "dev": {"subscriptionId": "44444444-4444-4444-4444-444444444444", "resourceGroup": "rg-platform-dev"},
        "prod": {
            "subscriptionId": "11111111-1111-1111-1111-111111111111",
            "resourceGroup": "rg-platform-identities-prod",
        },
        "staging": {
            "subscriptionId": "11111111-1111-1111-1111-111111111111",
            "resourceGroup": "rg-platform-identities",
        },
    }
    for name, text in files.items():  # parameters files carry values only: ARM refuses anything else
        if name.endswith(".parameters.json"):
            assert all(set(entry) == {"value"} for entry in json.loads(text)["parameters"].values()), name


# -- tags -------------------------------------------------------------------------------------------
TAGGED = LAB.replace(
    "  location: eastus\n",
    "  location: eastus\n  tags: {costCenter: '4711', Owner: platform, environment: '${env}'}\n",
).replace("  - name: myIdentity\n", "  - name: myIdentity\n    tags: {owner: team-a}\n") + (
    "environments:\n  dev: {azure: {resourceGroup: rg-dev}}\n  prod: {azure: {resourceGroup: rg-prod}}\n"
)


def test_tags_of_the_spec_and_the_identity_land_on_the_identity() -> None:
    plan = plan_of(TAGGED)
    (identity,) = plan.identities
    # the identity's owner wins over azure.tags' Owner (names ignore case), in the identity's spelling
    assert identity.tags == (
        ("costCenter", "4711"),
        ("environment", ParamRef("tag_environment")),
        ("owner", "team-a"),
    )
    (parameter,) = [p for p in plan.parameters if p.name == "tag_environment"]
    assert parameter.values == (("dev", "dev"), ("prod", "prod"))
    arm = {a.path: json.loads(a.text) for a in emit_arm(plan)}
    nested = arm["azure/main.json"]["resources"][1]
    inner = nested["properties"]["template"]["resources"][0]
    assert inner["tags"] == {
        "costCenter": "4711",
        "environment": "[parameters('tag_environment')]",
        "owner": "team-a",
    }
    assert nested["properties"]["parameters"]["tag_environment"] == {
        "value": "[parameters('tag_environment')]"
    }
    bicep = {a.path: a.text for a in emit_bicep(plan)}["azure/modules/wlid-id-myIdentity.bicep"]
    assert (
        "  tags: {\n    costCenter: '4711'\n    environment: tag_environment\n    owner: 'team-a'\n  }\n"
        in bicep
    )


def test_each_environment_knows_its_spec_wide_tags_for_the_deployment_command() -> None:
    plan = plan_of(TAGGED)
    by_env = {e.name: dict(e.tags) for e in plan.environments}
    assert by_env == {
        "dev": {"costCenter": "4711", "Owner": "platform", "environment": "dev"},
        "prod": {"costCenter": "4711", "Owner": "platform", "environment": "prod"},
    }


def test_one_parameter_per_tag_value_set_whatever_the_number_of_identities() -> None:
    text = TAGGED.replace(
        "serviceAccounts:\n",
        "  - name: second\n  - name: third\n    tags: {environment: 'other-${env}'}\nserviceAccounts:\n",
    )
    plan = plan_of(text)
    by_name = {i.name: dict(i.tags) for i in plan.identities}
    assert (
        by_name["myIdentity"]["environment"]
        == by_name["second"]["environment"]
        == ParamRef("tag_environment")
    )
    assert by_name["third"]["environment"] == ParamRef("tag_environment_2")
    assert [p.name for p in plan.parameters if p.name.startswith("tag_")] == [
        "tag_environment",
        "tag_environment_2",
    ]


@pytest.mark.parametrize(
    ("tags", "fragment", "words"),
    [
        ("{cost/center: x}", "cost/center", "Azure refuses < > % & \\ ? / in tag names"),
        ("{'a<b': x}", "a<b", "contains <"),
        ("{team: a, Team: b}", "Team: b", "tag 'Team' is given twice (also as 'team')"),
        ("{long: " + "v" * 257 + "}", "long:", "a tag value has at most 256 characters, got 257"),
        ("{" + "n" * 513 + ": x}", "nnnn", "a tag name has at most 512 characters, got 513"),
    ],
    ids=["slash", "angle-bracket", "case-duplicate", "long-value", "long-name"],
)
def test_tags_beyond_azures_limits_are_refused_at_their_line(tags: str, fragment: str, words: str) -> None:
    text = LAB.replace("  location: eastus\n", f"  location: eastus\n  tags: {tags}\n")
    (problem,) = problems_of(text)
    assert words in problem.message
    assert problem.mark is not None and problem.mark.line == line(text, fragment)


def test_more_than_50_tags_on_one_identity_are_refused() -> None:
    spec_wide = ", ".join(f"s{i}: x" for i in range(30))
    own = ", ".join(f"i{i}: y" for i in range(21))
    text = LAB.replace("  location: eastus\n", f"  location: eastus\n  tags: {{{spec_wide}}}\n").replace(
        "  - name: myIdentity\n", f"  - name: myIdentity\n    tags: {{{own}}}\n"
    )
    (problem,) = problems_of(text)
    assert problem.message == "identity 'myIdentity' would carry 51 tags; Azure allows 50 per resource"
    assert problem.path == ("identities", 0, "tags")


def test_tag_values_that_look_like_expressions_reach_azure_as_written(tmp_path: Path) -> None:
    """A literal in a template is escaped (`[[`); a value in a parameters file is not (ARM does not
    evaluate parameter files, and `bicep build-params` writes values as they are)."""
    text = TAGGED.replace("costCenter: '4711'", "costCenter: '[4711]'").replace(
        "environment: '${env}'", "environment: '[${env}]'"
    )
    plan = plan_of(text)
    artifacts = render_plan(plan)
    files = {a.path: a.text for a in artifacts}
    inner = json.loads(files["azure/main.json"])["resources"][1]["properties"]["template"]["resources"][0]
    assert inner["tags"]["costCenter"] == "[[4711]"
    dev = json.loads(files["azure/params/dev.parameters.json"])["parameters"]
    assert dev["tag_environment"] == {"value": "[dev]"}
    assert "param tag_environment = '[dev]'\n" in files["azure/params/dev.bicepparam"]
    assert "    costCenter: '[4711]'\n" in files["azure/modules/wlid-id-myIdentity.bicep"]
    for artifact in artifacts:
        path = tmp_path / "out" / artifact.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(artifact.data)
    findings = validate_tree(tmp_path / "out", Options(use_kubectl=False))
    assert [f.format() for f in findings if f.severity == "error"] == []


# -- names of deployments at subscription scope --------------------------------------------------------
def test_a_long_subscription_scope_deployment_name_keeps_room_for_the_placement_hash() -> None:
    name = "wlid-roles-" + "x" * 44 + "-0123abcd"  # 64 characters, as plan/merge.py cuts them
    assert len(name) == MAX_DEPLOYMENT_NAME
    deployment = RoleDeployment(name, None, None, True, ())
    base = deployment.name_base()
    assert base.endswith("-0123abcd") and len(base) + 1 + 13 == MAX_DEPLOYMENT_NAME
    assert RoleDeployment(name, None, None, False, ()).name_base() == name
    assert (
        RoleDeployment("wlid-roles-a-0123abcd", None, None, True, ()).name_base() == "wlid-roles-a-0123abcd"
    )
