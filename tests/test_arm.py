"""The ARM template against the official schemas and the rules real deployments trip on."""

from __future__ import annotations

import copy
import itertools
import json
import re

import pytest
from conftest import SPECS

from wlid_render.emit.arm import emit_arm, template
from wlid_render.plan.source import plan_source
from wlid_render.spec.load import load_file
from wlid_render.validate.arm_schema import parameters_errors, template_errors

FIC_TYPE = "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials"


def _plan(path):
    return plan_source(load_file(str(path)))


@pytest.fixture(params=SPECS, ids=lambda p: p.stem)
def plan(request):
    return _plan(request.param)


def _all_resources(doc):
    for resource in doc["resources"]:
        yield resource
        if resource["type"] == "Microsoft.Resources/deployments":
            yield from _all_resources(resource["properties"]["template"])


def test_template_and_parameters_match_the_official_schemas(plan):
    artifacts = {a.path: json.loads(a.text) for a in emit_arm(plan)}
    assert template_errors(artifacts["azure/main.json"]) == []
    for env in plan.environments:
        assert parameters_errors(artifacts[f"azure/params/{env.name}.parameters.json"]) == []


@pytest.mark.parametrize(
    "breakage",
    [
        lambda t: _inner(t, 1)[0].__setitem__("apiVersion", "2099-01-01"),
        lambda t: _inner(t, 1)[1]["properties"].pop("subject"),
        lambda t: _inner(t, 1)[0].pop("properties"),
        lambda t: t["resources"][0]["properties"]["expressionEvaluationOptions"].__setitem__(
            "scope", "inner"
        ),
    ],
    ids=["unknown-api-version", "fic-without-subject", "identity-without-properties", "lower-case-enum"],
)
def test_the_schema_check_can_fail(breakage):
    doc = copy.deepcopy(template(_plan(SPECS[[p.stem for p in SPECS].index("lab")])))
    breakage(doc)
    assert template_errors(doc)


def _inner(doc: dict, index: int) -> list[dict]:
    """The resources of the nested template of top-level resource `index`."""
    return doc["resources"][index]["properties"]["template"]["resources"]


def test_fics_of_one_identity_are_chained(plan):
    doc = template(plan)
    by_identity: dict[str, list[dict]] = {}
    for resource in _all_resources(doc):
        if resource["type"] == FIC_TYPE:
            identity = re.search(r"format\('\{0\}/\{1\}', '([^']+)'", resource["name"])[1]
            by_identity.setdefault(identity, []).append(resource)
    for identity, fics in by_identity.items():
        for previous, current in itertools.pairwise(fics):
            prev_name = re.search(r"'([^']+)'\)\]$", previous["name"])[1]
            wanted = f"[resourceId('{FIC_TYPE}', '{identity}', '{prev_name}')]"
            assert wanted in current["dependsOn"], f"{identity}: FIC writes must be serial"
        for fic in fics:
            assert fic["properties"]["audiences"] == ["api://AzureADTokenExchange"]
            # the environment's cluster, or one cluster of a `clusters:` list (its own issuer parameter)
            assert re.fullmatch(r"\[parameters\('issuer(_[A-Za-z0-9_]+)?'\)\]", fic["properties"]["issuer"])
            assert fic["properties"]["subject"].startswith("system:serviceaccount:")
    assert sum(len(f) for f in by_identity.values()) == sum(len(i.credentials) for i in plan.identities)


def test_the_main_template_holds_one_deployment_per_identity(plan):
    doc = template(plan)
    names = [r["name"] for r in doc["resources"]]
    wanted = [i.deployment_name for i in plan.identities]
    assert [n for n in names if n.startswith("wlid-id-")] == wanted
    assert len(doc["resources"]) == len(wanted) + int(plan.enables_workload_identity)
    for resource in doc["resources"][int(plan.enables_workload_identity) :]:
        issuer = resource["properties"]["parameters"]["issuer"]["value"]
        assert "'oidcIssuerProfile', 'issuerURL'), fail(" in issuer
        if plan.enables_workload_identity:
            assert resource["dependsOn"] == [
                "[extensionResourceId(format('/subscriptions/{0}/resourceGroups/{1}', "
                "parameters('clusterSubscriptionId'), parameters('clusterResourceGroup')), "
                f"'Microsoft.Resources/deployments', 'wlid-cluster-{plan.name}')]"
            ], "the flags must be on before any FIC is created"


def test_role_assignments_follow_the_rules(plan):
    doc = template(plan)
    assignments = [r for r in _all_resources(doc) if r["type"] == "Microsoft.Authorization/roleAssignments"]
    assert assignments
    for ra in assignments:
        assert ra["apiVersion"] == "2022-04-01"
        assert ra["name"].startswith("[guid(") and "parameters('principalId')" in ra["name"]
        assert ra["properties"]["principalType"] == "ServicePrincipal"
        assert ra["properties"]["roleDefinitionId"].startswith(
            "[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '"
        )
    for resource in doc["resources"]:
        if resource["type"] == "Microsoft.Resources/deployments":
            assert resource["properties"]["expressionEvaluationOptions"] == {"scope": "Inner"}
            assert len(resource["name"]) <= 64


def test_outputs_are_one_object_and_the_issuer(plan):
    outputs = template(plan)["outputs"]
    # a spec with a `clusters:` list also outputs each listed cluster's issuer
    assert set(outputs) == {"identities", "oidcIssuerUrl"} | ({"clusterIssuers"} if plan.clusters else set())
    assert set(outputs["identities"]["value"]) == {i.name for i in plan.identities}
    for value in outputs["identities"]["value"].values():
        assert set(value) == {"clientId", "principalId", "tenantId"}


def test_lab_reproduces_the_lab():
    doc = template(_plan(SPECS[[p.stem for p in SPECS].index("lab")]))
    assert [(r["type"], r["name"]) for r in doc["resources"]] == [
        ("Microsoft.Resources/deployments", "wlid-cluster-lab"),
        ("Microsoft.Resources/deployments", "wlid-id-myIdentity"),
    ]
    identity, fic, roles = _inner(doc, 1)
    assert identity["type"] == "Microsoft.ManagedIdentity/userAssignedIdentities"
    assert identity["name"] == "myIdentity" and identity["properties"] == {}
    assert fic["type"] == FIC_TYPE
    assert fic["name"] == "[format('{0}/{1}', 'myIdentity', 'myFedIdentity')]"
    assert fic["properties"]["subject"] == "system:serviceaccount:default:workload-identity-sa"
    cluster = doc["resources"][0]
    inner = cluster["properties"]["template"]["resources"][0]
    assert inner["condition"] == "[variables('needsWrite')]" and inner["apiVersion"] == "2026-05-01"
    assert "union(parameters('current').properties" in inner["properties"]
    assert "'oidcIssuerProfile', createObject('enabled', true())" in inner["properties"]
    assert "'workloadIdentity', createObject('enabled', true())" in inner["properties"]
    assert inner["extendedLocation"] == "[tryGet(parameters('current'), 'extendedLocation')]"
    assert cluster["name"] in " ".join(doc["resources"][1]["dependsOn"])
    role = roles["properties"]["template"]["resources"][0]
    assert role["scope"] == "Microsoft.KeyVault/vaults/kv-wlid-lab"
    assert "4633458b-17de-408a-b874-0445c86b69e6" in role["properties"]["roleDefinitionId"]
    outputs = doc["outputs"]["identities"]["value"]["myIdentity"]
    assert outputs["clientId"] == (
        "[reference(resourceId('Microsoft.Resources/deployments', 'wlid-id-myIdentity'), "
        "'2022-09-01').outputs.clientId.value]"
    )


def test_subscription_and_cross_group_targets():
    doc = template(_plan(SPECS[[p.stem for p in SPECS].index("platform")]))
    deployments = [r for r in _all_resources(doc) if r["type"] == "Microsoft.Resources/deployments"]
    at_sub = [d for d in deployments if "resourceGroup" not in d and "subscriptionId" in d]
    assert len(at_sub) == 1 and at_sub[0]["location"] == "[resourceGroup().location]"
    assert at_sub[0]["name"].endswith("-{0}', uniqueString(resourceGroup().id))]")
    assert at_sub[0]["subscriptionId"] == "[subscription().subscriptionId]"
    assert any(d.get("resourceGroup") == "rg-platform-data" for d in deployments)
    nested = [d for d in deployments if d.get("subscriptionId") == "33333333-3333-3333-3333-333333333333"]
    ra = nested[0]["properties"]["template"]["resources"][0]
    assert (
        ra["scope"] == "Microsoft.Storage/storageAccounts/streports/blobServices/default/containers/exports"
    )
    assert (
        "'Microsoft.Storage/storageAccounts/blobServices/containers', 'streports', 'default', 'exports'"
        in ra["name"]
    )
    pinned = doc["parameters"]["oidcIssuerUrl"]
    assert pinned["defaultValue"] == ""
    issuer = doc["resources"][1]["properties"]["parameters"]["issuer"]["value"]
    assert issuer.startswith("[if(empty(parameters('oidcIssuerUrl'))")
