"""Several clusters per environment (`clusters:`) and AKS identity bindings (`federation:
identityBinding`): the plan, the ARM template, the Kubernetes objects and the render-time errors."""

from __future__ import annotations

import itertools
import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import ROOT
from k8s_trees import kustomize, needs_kubectl

from wlid_render.emit.arm import template
from wlid_render.errors import SpecError
from wlid_render.plan.names import binding_name, cluster_fic_name
from wlid_render.plan.source import plan_source
from wlid_render.spec.load import load_file, load_text
from wlid_render.validate.arm_schema import resource_validator
from wlid_render.workflow.pipeline import render_plan

BLUE_GREEN = ROOT / "specs" / "blue-green.yaml"
FLEET = ROOT / "specs" / "fleet.yaml"
BINDING = "Microsoft.ContainerService/managedClusters/identityBindings"
FIC = "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials"


def _spec(text: str):
    return plan_source(load_text(text, "spec.yaml"))


def _blue_green_text(federation: str) -> str:
    text = BLUE_GREEN.read_text()
    assert "    federation: identityBinding\n" in text
    return text.replace("    federation: identityBinding\n", f"    federation: {federation}\n")


def _resources(doc):
    for resource in doc.get("resources", []):
        yield resource
        nested = resource.get("properties", {}).get("template")
        if nested:
            yield from _resources(nested)


def test_credentials_on_two_clusters_over_20_are_refused_naming_the_clusters_and_bindings():
    with pytest.raises(SpecError) as raised:
        _spec(_blue_green_text("credentials"))
    messages = [p.message + " " + p.hint for p in raised.value.problems]
    [message] = [m for m in messages if "federated credentials" in m]
    assert "24 federated credentials" in message
    assert "12 ServiceAccounts x 2 clusters: aks-shop-prod-blue, aks-shop-prod-green" in message
    assert "federation: identityBinding" in message
    assert "environment 'prod'" in message


def test_the_same_with_identity_bindings_renders_with_one_binding_per_cluster():
    plan = plan_source(load_file(str(BLUE_GREEN)))
    shop = next(i for i in plan.identities if i.name == "shop")
    assert shop.federation == "identityBinding"
    assert shop.credentials == ()
    assert [b.cluster for b in shop.bindings] == [None, "aks-shop-prod-blue", "aks-shop-prod-green"]
    doc = template(plan)
    bindings = [r for r in _resources(doc) if r["type"] == BINDING]
    assert len(bindings) == 3
    for binding in bindings:
        assert binding["apiVersion"] == "2026-05-01"
        validator = resource_validator(binding["type"], binding["apiVersion"])
        assert validator is not None and not list(validator.iter_errors(binding))
    fics = [r for r in _resources(doc) if r["type"] == FIC]
    assert not any("'shop'" in f["name"] for f in fics), "no FIC of ours for a binding identity"


def test_the_binding_deployment_goes_to_the_cluster_group_with_the_identity_id():
    doc = template(plan_source(load_file(str(BLUE_GREEN))))
    shop = next(r for r in doc["resources"] if r["name"] == "wlid-id-shop")
    nested = {r["name"]: r for r in shop["properties"]["template"]["resources"]}
    blue = nested["wlid-ib-shop-aks-shop-prod-blue"]
    assert blue["resourceGroup"] == "rg-aks-prod"
    assert blue["subscriptionId"] == "11111111-1111-1111-1111-111111111111"
    params = blue["properties"]["parameters"]
    assert params["clusterName"] == {"value": "aks-shop-prod-blue"}
    assert params["bindingName"] == {"value": "shop"}
    assert (
        params["identityId"]["value"]
        == "[resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', 'shop')]"
    )
    assert blue["condition"] == "[parameters('include_ib_shop_aks_shop_prod_blue')]"
    one = nested["wlid-ib-shop"]  # dev: the environment's `cluster`
    assert one["resourceGroup"] == "[parameters('clusterResourceGroup')]"


def test_credentials_on_several_clusters_get_one_fic_per_cluster_with_its_issuer():
    doc = template(plan_source(load_file(str(BLUE_GREEN))))
    audit = next(r for r in doc["resources"] if r["name"] == "wlid-id-shop-audit")
    fics = [r for r in audit["properties"]["template"]["resources"] if r["type"] == FIC]
    names = [re.search(r"'([^']+)'\)\]$", f["name"])[1] for f in fics]
    assert names == [
        "shop-audit-shop-audit",  # the one-cluster name is unchanged (dev)
        "shop-audit-shop-audit-aks-shop-prod-blue",
        "shop-audit-shop-audit-aks-shop-prod-green",
    ]
    issuers = [f["properties"]["issuer"] for f in fics]
    assert issuers == [
        "[parameters('issuer')]",
        "[parameters('issuer_aks_shop_prod_blue')]",
        "[parameters('issuer_aks_shop_prod_green')]",
    ]
    passed = audit["properties"]["parameters"]["issuer_aks_shop_prod_green"]["value"]
    assert passed.startswith(
        "[if(parameters('include_cluster_aks_shop_prod_green'), coalesce(tryGet(reference("
    )
    assert "'rg-aks-prod', 'Microsoft.ContainerService/managedClusters', 'aks-shop-prod-green'" in passed
    for previous, current in itertools.pairwise(fics):  # still one FIC at a time
        assert any(names[fics.index(previous)] in d for d in current["dependsOn"])


def test_a_pinned_cluster_issuer_is_used_as_written():
    text = BLUE_GREEN.read_text().replace(
        "      - name: aks-shop-prod-green\n",
        "      - name: aks-shop-prod-green\n        oidcIssuerUrl: https://westeurope.oic.prod-aks.azure.com/t/g/\n",
    )
    doc = template(_spec(text))
    audit = next(r for r in doc["resources"] if r["name"] == "wlid-id-shop-audit")
    value = audit["properties"]["parameters"]["issuer_aks_shop_prod_green"]["value"]
    assert (
        value
        == "[if(parameters('include_cluster_aks_shop_prod_green'), 'https://westeurope.oic.prod-aks.azure.com/t/g/', '')]"
    )


@pytest.mark.parametrize(
    ("identity", "expected"),
    [("shop", "shop"), ("fleetagent2", "fleetagent2"), ("Shop", "shop")],
)
def test_binding_names_keep_a_valid_identity_name(identity, expected):
    assert binding_name(identity) == expected


@pytest.mark.parametrize("identity", ["shop-api", "shop_api", "1app", "A" * 128, "x-" * 60])
def test_binding_names_always_fit_the_schema_and_differ_from_the_plain_name(identity):
    name = binding_name(identity)
    assert re.fullmatch(r"[a-z][a-z0-9]{0,63}", name) and len(name) <= 63
    assert name != re.sub(r"[^a-z0-9]", "", identity.lower()), "a lossy name carries a hash of the identity's"


def test_cluster_fic_names_stay_within_120_characters():
    name = cluster_fic_name("n" * 110, "aks-" + "c" * 59)
    assert len(name) == 120
    assert cluster_fic_name("n" * 110, "aks-" + "c" * 58) != name


def test_a_cluster_listed_twice_and_both_forms_are_refused():
    text = BLUE_GREEN.read_text().replace("aks-shop-prod-green", "aks-shop-prod-blue")
    with pytest.raises(SpecError, match="listed twice"):
        _spec(text)
    text = BLUE_GREEN.read_text().replace(
        "  prod:\n    clusters:", "  prod:\n    cluster: {name: x}\n    clusters:"
    )
    with pytest.raises(SpecError, match="sets both cluster and clusters"):
        _spec(text)


def test_the_cluster_step_is_refused_for_listed_clusters():
    text = BLUE_GREEN.read_text().replace(
        "        resourceGroup: rg-aks-prod\n      - name: aks-shop-prod-green",
        "        resourceGroup: rg-aks-prod\n        enableWorkloadIdentity: true\n      - name: aks-shop-prod-green",
    )
    with pytest.raises(SpecError, match="writes only a single cluster"):
        _spec(text)


def test_one_cluster_examples_do_not_change(tmp_path: Path):
    """The one-cluster examples render exactly their committed trees (byte for byte)."""
    for name in ("lab", "multi-env", "platform", "existing-app"):
        result = subprocess.run(
            [
                str(Path(ROOT / ".venv/bin/wlid")) if (ROOT / ".venv/bin/wlid").exists() else "wlid",
                "render",
                str(ROOT / "specs" / f"{name}.yaml"),
                "-o",
                str(ROOT / "out" / name),
                "--check",
                "-q",
            ],
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.kubectl
@needs_kubectl
@pytest.mark.parametrize(
    ("spec", "env"), [("blue-green", "prod"), ("blue-green", "dev"), ("fleet", "default")]
)
def test_kustomize_builds_the_rbac_of_binding_identities(spec, env):
    """`kubectl kustomize` of the committed overlay: the ClusterRole names the client ID exactly as the
    ServiceAccount annotation does, the ClusterRoleBinding names every ServiceAccount of the identity
    (with its own namespace, which no Kustomize `namespace:` rewrites), and the pods are annotated."""
    objects = kustomize(ROOT / "out" / spec / "k8s" / "overlays" / env)
    accounts = {
        (o["metadata"]["namespace"], o["metadata"]["name"]): o["metadata"]["annotations"][
            "azure.workload.identity/client-id"
        ]
        for o in objects
        if o["kind"] == "ServiceAccount"
    }
    roles = {o["metadata"]["name"]: o for o in objects if o["kind"] == "ClusterRole"}
    assert roles
    bound: dict[tuple[str, str], str] = {}
    for crb in (o for o in objects if o["kind"] == "ClusterRoleBinding"):
        assert "namespace" not in crb["metadata"]
        [rule] = roles[crb["roleRef"]["name"]]["rules"]
        assert rule["apiGroups"] == ["cid.wi.aks.azure.com"] and rule["verbs"] == ["use-managed-identity"]
        for subject in crb["subjects"]:
            bound[(subject["namespace"], subject["name"])] = rule["resources"][0]
    for key, client_id in bound.items():
        assert accounts[key] == client_id
    pods = [
        o["spec"]["template"]["metadata"]
        for o in objects
        if o["kind"] == "Deployment"
        and (o["metadata"]["namespace"], o["spec"]["template"]["spec"]["serviceAccountName"]) in bound
    ]
    assert pods
    for meta in pods:
        assert meta["annotations"]["azure.workload.identity/use-identity-binding"] == "true"
        assert meta["labels"]["azure.workload.identity/use"] == "true"


def test_the_fleet_has_one_binding_per_cluster_and_no_fic():
    plan = plan_source(load_file(str(FLEET)))
    [agent] = plan.identities
    assert len(agent.bindings) == 30 and agent.credentials == ()
    assert len({b.deployment_name for b in agent.bindings}) == 30
    assert all(len(b.deployment_name) <= 64 for b in agent.bindings)
    doc = json.loads((ROOT / "out/fleet/azure/main.json").read_text())
    assert sum(r["type"] == BINDING for r in _resources(doc)) == 30
    assert not any(r["type"] == FIC for r in _resources(doc))
    assert any(a.path == "azure/modules/identity-binding.bicep" for a in render_plan(plan))


def test_explain_says_what_bindings_deploy_and_what_stays_behind():
    from wlid_render.views.explain import environment_views
    from wlid_render.views.explain_text import explain_text

    plan = plan_source(load_file(str(BLUE_GREEN)))
    text = explain_text(environment_views(plan, "prod", ()))
    assert "  clusters    aks-shop-prod-blue (resource group rg-aks-prod)" in text
    assert "shop on cluster aks-shop-prod-green (resource group rg-aks-prod)" in text
    assert "leaves the bindings in Azure (incremental deployment)" in text
    assert "issuer   cluster aks-shop-prod-green's, read at deployment" in text
    dev = explain_text(environment_views(plan, "dev", ()))
    assert "aks-shop-prod" not in dev, "dev shows only its own cluster's credentials and bindings"
    stacked = _spec(BLUE_GREEN.read_text().replace("  tenantId:", "  deploy: stack\n  tenantId:"))
    assert "the deployment stack deletes the bindings" in explain_text(environment_views(stacked, "prod", ()))


def test_bicep_reads_each_listed_cluster_as_the_arm_template_does():
    """The BICEP rules compare structure, not which `existing` symbol an expression reads: check here
    that each issuer parameter and output reads the cluster of the same name."""
    main = (ROOT / "out/blue-green/azure/main.bicep").read_text()
    for name in ("aks-shop-prod-blue", "aks-shop-prod-green"):
        key = name.replace("-", "_")
        declared = (
            f"resource cluster_{key} 'Microsoft.ContainerService/managedClusters@2026-05-01' existing = {{\n"
            f"  name: '{name}'\n  scope: resourceGroup('11111111-1111-1111-1111-111111111111', 'rg-aks-prod')\n}}"
        )
        assert declared in main
        assert f"    issuer_{key}: include_cluster_{key} ? (cluster_{key}.properties" in main
        assert f"  '{name}': include_cluster_{key} ? (cluster_{key}.properties" in main
    module = (ROOT / "out/blue-green/azure/modules/wlid-id-shop-audit.bicep").read_text()
    assert "param issuer_aks_shop_prod_green string" in module
    assert "    issuer: issuer_aks_shop_prod_green\n" in module
    doc = json.loads((ROOT / "out/blue-green/azure/main.json").read_text())
    issuers = doc["outputs"]["clusterIssuers"]["value"]
    assert list(issuers) == ["aks-shop-prod-blue", "aks-shop-prod-green"]
    assert "'aks-shop-prod-green'), '2026-05-01')" in issuers["aks-shop-prod-green"]


def test_a_component_of_an_existing_workload_of_a_binding_identity_adds_the_annotation():
    text = BLUE_GREEN.read_text().replace(
        "  - name: shop-audit\n    kind: CronJob",
        "  - name: legacy-cart\n    kind: Deployment\n    serviceAccount: shop-cart\n    existing: true\n"
        "  - name: shop-audit\n    kind: CronJob",
    )
    artifacts = {a.path: a.text for a in render_plan(_spec(text))}
    [patch] = [
        t
        for p, t in artifacts.items()
        if p.startswith("k8s/components/") and "legacy-cart" in p and "patch" in p
    ]
    meta = yaml.safe_load(patch)["spec"]["template"]["metadata"]
    assert meta["annotations"]["azure.workload.identity/use-identity-binding"] == "true"
    assert meta["labels"]["azure.workload.identity/use"] == "true"


def test_the_json_schema_takes_clusters_for_cluster():
    import jsonschema

    schema = json.loads((ROOT / "schema" / "wlid-v1.schema.json").read_text())
    validator = jsonschema.validators.validator_for(schema)(schema)
    for spec in (BLUE_GREEN, FLEET):
        assert not list(validator.iter_errors(yaml.safe_load(spec.read_text())))
    doc = yaml.safe_load(BLUE_GREEN.read_text())
    del doc["cluster"]
    doc["environments"]["dev"] = {"clusters": [{"name": "aks-dev"}]}
    assert not list(validator.iter_errors(doc))
    doc["environments"]["dev"] = {}
    assert [e.message for e in validator.iter_errors(doc)] == ["'cluster' is a required property"]
    doc = yaml.safe_load(BLUE_GREEN.read_text())
    doc["identities"][0]["federation"] = "bindings"
    assert list(validator.iter_errors(doc))
