"""Several environments from one spec: variables, per-environment parameters, conditions, overlays."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import LAB_SPEC, ROOT
from generate import spec_text

from wlid_render.emit.arm import parameters_file, template
from wlid_render.emit.k8s import _env_objects
from wlid_render.errors import SpecError
from wlid_render.plan.model import ParamRef
from wlid_render.plan.source import plan_source
from wlid_render.spec.interpolate import environment_names, environment_vars, interpolate, uses_references
from wlid_render.spec.load import load_file, load_text
from wlid_render.spec.models import Spec
from wlid_render.spec.parse import parse_environments
from wlid_render.workflow.pipeline import render_plan

MULTI = ROOT / "specs" / "multi-env.yaml"


@pytest.fixture(scope="module")
def plan():
    return plan_source(load_file(str(MULTI)))


def test_values_that_differ_become_parameters(plan):
    names = {p.name: dict(p.values) for p in plan.parameters}
    assert names["shop_api_role1_name"] == {"dev": "kv-shop-dev", "prod": "kv-shop-prod"}
    assert names["shop_api_role1_resourceGroup"] == {
        "dev": "rg-shop-secrets-dev",
        "prod": "rg-shop-secrets-prod",
    }
    assert names["include_shop_reporting"] == {"dev": False, "prod": True}
    assert names["clusterName"] == {"dev": "aks-shop-dev", "prod": "aks-shop-prod"}
    role = plan.identities[0].role_deployments[0]
    assert role.resource_group == ParamRef("shop_api_role1_resourceGroup")
    dev = parameters_file(plan, "dev")["parameters"]
    assert dev["shop_api_role1_name"] == {"value": "kv-shop-dev"}
    assert dev["include_shop_reporting"] == {"value": False}


def test_things_in_some_environments_only_are_conditional(plan):
    doc = template(plan)
    reporting = next(r for r in doc["resources"] if r["name"] == "wlid-id-shop-reporting")
    assert reporting["condition"] == "[parameters('include_shop_reporting')]"
    output = doc["outputs"]["identities"]["value"]["shop-reporting"]["clientId"]
    assert output.startswith("[coalesce(tryGet(if(parameters('include_shop_reporting'), reference(")
    params = reporting["properties"]["parameters"]
    assert set(params) >= {"location", "issuer"}
    api = next(r for r in doc["resources"] if r["name"] == "wlid-id-shop-api")
    inner = api["properties"]["template"]
    assert "shop_api_role1_name" in inner["parameters"]
    assert api["properties"]["parameters"]["shop_api_role1_name"] == {
        "value": "[parameters('shop_api_role1_name')]"
    }


def test_unknown_variable_is_located(tmp_path: Path):
    text = MULTI.read_text("utf-8").replace("${vars.logLevel}", "${vars.loglevel}")
    with pytest.raises(SpecError) as raised:
        plan_source(load_text(text, "spec.yaml"))
    problems = raised.value.problems
    assert all("unknown variable ${vars.loglevel}" in p.message for p in problems)
    assert {p.mark.line for p in problems} == {
        text.splitlines().index("          LOG_LEVEL: ${vars.loglevel}") + 1
    }
    assert "did you mean 'logLevel'?" in problems[0].hint


def test_escaped_dollar_and_foreign_references_stay(tmp_path: Path):
    text = MULTI.read_text("utf-8").replace("LOG_LEVEL: ${vars.logLevel}", "LOG_LEVEL: $${env}-${FLUX_VAR}")
    plan = plan_source(load_text(text, "spec.yaml"))
    env = dict(plan.environments[0].workloads[0].containers[0].env)
    assert env["LOG_LEVEL"] == "${env}-${FLUX_VAR}"


def test_names_cannot_differ_between_environments():
    text = MULTI.read_text("utf-8").replace(
        "  - name: shop-api\n    roles", "  - name: shop-api-${env}\n    roles"
    )
    text = text.replace("    identity: shop-api\n", "    identity: shop-api-${env}\n")
    text = text.replace("    clientIds:\n      shop-api: 55555555-5555-5555-5555-555555555555\n", "")
    with pytest.raises(SpecError) as raised:
        plan_source(load_text(text, "spec.yaml"))
    assert any("cannot differ between environments" in p.message for p in raised.value.problems)


def test_unknown_environment_in_a_limit():
    text = MULTI.read_text("utf-8").replace(
        "environments: [prod]\n    roles", "environments: [prd]\n    roles"
    )
    with pytest.raises(SpecError) as raised:
        plan_source(load_text(text, "spec.yaml"))
    assert "no environment named 'prd' (hint: did you mean 'prod'?)" in raised.value.problems[0].format()


@pytest.mark.kubectl
def test_each_overlay_builds_exactly_its_environment(plan, tmp_path: Path):
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not on PATH")
    for artifact in render_plan(plan):
        target = tmp_path / artifact.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(artifact.text, "utf-8")
    for env in plan.environments:
        built = subprocess.run(
            ["kubectl", "kustomize", str(tmp_path / "k8s" / "overlays" / env.name)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        got = {(o["kind"], o["metadata"]["name"]): o for o in yaml.safe_load_all(built)}
        wanted = {}
        for obj in _env_objects(plan, env).values():
            obj = json.loads(json.dumps(obj))
            if obj["kind"] == "ServiceAccount":
                account = next(a for a in env.service_accounts if a.name == obj["metadata"]["name"])
                obj["metadata"].setdefault("annotations", {})["azure.workload.identity/client-id"] = dict(
                    env.client_ids
                )[account.identity]
            wanted[(obj["kind"], obj["metadata"]["name"])] = obj
        assert got == wanted, env.name
    assert len(plan.environments) == 2


def test_outputs_bind_client_ids(plan):
    bound = plan_source(load_file(str(MULTI)), {"prod": {"shop-api": "77777777-7777-7777-7777-777777777777"}})
    prod = next(e for e in bound.environments if e.name == "prod")
    assert dict(prod.client_ids)["shop-api"] == "77777777-7777-7777-7777-777777777777"
    assert "shop-api" in prod.pinned
    with pytest.raises(SpecError):
        plan_source(load_file(str(MULTI)), {"qa": {"shop-api": "77777777-7777-7777-7777-777777777777"}})


def test_references_are_looked_for_where_they_are_resolved():
    """Only the top-level apiVersion, kind, metadata, environments and gitops are taken as written."""
    assert uses_references({"workloads": [{"name": "a", "environments": ["${env}"]}]})
    assert uses_references({"serviceAccounts": [{"metadata": "x-${vars.a}"}]})
    assert not uses_references(
        {"environments": {"dev": {"vars": {"a": "${env}"}}}, "metadata": {"name": "${env}"}}
    )
    assert uses_references({"azure": {"resourceGroup": "rg-$${env}"}})  # `$${` is resolved (to `${`)
    assert not uses_references({"azure": {"resourceGroup": "rg-$env-${FLUX_VAR}"}})


def test_a_reference_in_a_nested_environments_list_is_resolved():
    text = MULTI.read_text("utf-8")
    for reference in ("${vars.subscription}", "${vars.imageTag}", "${vars.logLevel}"):
        text = text.replace(reference, "x")
    text = text.replace("${env}", "dev").replace(
        "subscriptionId: x", "subscriptionId: 11111111-1111-1111-1111-111111111111"
    )
    text = text.replace("environments: [prod]", "environments: ['${env}']")  # everywhere, in a roundabout way
    assert text.count("${") == 3
    plan = plan_source(load_text(text, "spec.yaml"))
    assert len(plan.environments) > 1
    assert [len(e.workloads) for e in plan.environments] == [2] * len(plan.environments)


@pytest.mark.parametrize(("identities", "listed", "more"), [(6, 6, ""), (7, 5, " and 2 more")])
def test_a_long_list_of_unpinned_client_ids_is_cut(identities: int, listed: int, more: str):
    plan = plan_source(load_text(spec_text(identities * 20), "spec.yaml"))
    (warning, *_) = [w for w in plan.warnings if "not pinned" in w.message]
    assert f"{identities} client IDs not pinned" in warning.message
    assert warning.message.count("${WLID_CLIENT_ID_") == listed
    assert warning.message.endswith(f"${{WLID_CLIENT_ID_ID_{listed - 1:05d}}}{more}")


def test_a_workload_shared_by_environments_follows_each_ones_service_account(tmp_path: Path):
    """A spec without references is planned once for all environments; a workload whose
    ServiceAccount sits in another namespace in one environment still lands there."""
    text = (
        LAB_SPEC
        .read_text("utf-8")
        .replace(
            "    namespace: default\n    identity: myIdentity\n    federatedCredentialName: myFedIdentity\n",
            "    namespace: team-a\n    identity: myIdentity\n    environments: [dev]\n"
            "  - name: workload-identity-sa\n    namespace: team-b\n    identity: myIdentity\n"
            "    environments: [prod]\n",
        )
    )
    # prod deploys its own identity: the two environments trust different ServiceAccounts
    text += "environments:\n  dev: {}\n  prod: {azure: {resourceGroup: rg-wlid-lab-prod}}\n"
    plan = plan_source(load_text(text, "spec.yaml"))
    by_env = {e.name: {w.name: w.namespace for w in e.workloads} for e in plan.environments}
    assert by_env == {
        "dev": {"sample-workload-identity": "team-a", "sample-workload-identity-key-vault": "team-a"},
        "prod": {"sample-workload-identity": "team-b", "sample-workload-identity-key-vault": "team-b"},
    }
    files = {a.path: a.text for a in render_plan(plan)}
    assert (
        "name: sample-workload-identity\n  namespace: team-a"
        in files["k8s/overlays/dev/team-a/resources.yaml"]
    )
    assert (
        "name: sample-workload-identity\n  namespace: team-b"
        in files["k8s/overlays/prod/team-b/resources.yaml"]
    )


# -- validated once, not once per environment ----------------------------------------------------
@pytest.mark.parametrize("name", sorted(p.stem for p in (ROOT / "specs").glob("*.yaml")))
def test_each_environment_gets_the_spec_the_whole_spec_resolved_for_it_would_give(name: str):
    """Only the parts that use references are validated per environment; the result is the same as
    resolving and validating the whole spec for each environment."""
    source = load_file(str(ROOT / "specs" / f"{name}.yaml"))
    specs = parse_environments(source)
    assert list(specs) == environment_names(source.data)
    for env, spec in specs.items():
        data, unknown = interpolate(source.data, env, environment_vars(source.data, env))
        assert not unknown
        assert spec == Spec.model_validate(data), env


def test_parts_without_references_are_shared_by_the_environments():
    specs = parse_environments(load_file(str(MULTI)))
    dev, prod = specs["dev"], specs["prod"]
    assert dev.workloads[1] is prod.workloads[1]  # shop-report: no ${...}
    assert dev.serviceAccounts[0] is prod.serviceAccounts[0]
    assert dev.environments is prod.environments and dev.metadata is prod.metadata
    assert dev.workloads[0] is not prod.workloads[0]  # shop-api: its image tag differs
    assert dev.workloads[0].containers[0].image.endswith(":1.8.0-rc.1")
    assert prod.workloads[0].containers[0].image.endswith(":1.7.3")
    assert dev.azure.resourceGroup == "rg-shop-dev" and prod.azure.resourceGroup == "rg-shop-prod"


def test_problems_are_reported_once_per_place_and_environment_they_are_found():
    """A problem in a part every environment shares is reported once; one in a part that differs is
    reported for each environment where it occurs, each at its line."""
    text = MULTI.read_text("utf-8")
    text = text.replace('    schedule: "0 3 * * *"\n', '    schedule: "0 3 * * *"\n    replicas: -1\n')
    text = text.replace("        image: ghcr.io/example/shop-report:2.1.0", "        image: ''")
    text = text.replace("  name: aks-shop-${env}", "  name: aks_shop-${vars.logLevel}_")
    with pytest.raises(SpecError) as raised:
        plan_source(load_text(text, "spec.yaml"))
    found = sorted((p.mark.line, p.format().split(": ", 1)[1]) for p in raised.value.problems)
    lines = text.splitlines()
    replicas = lines.index("    replicas: -1") + 1
    image = lines.index("        image: ''") + 1
    cluster = lines.index("  name: aks_shop-${vars.logLevel}_") + 1
    assert [line for line, _ in found] == sorted([cluster, cluster, replicas, image])
    messages = [message for _, message in found]
    assert sum("'aks_shop-debug_' is not a valid AKS cluster name" in m for m in messages) == 1
    assert sum("'aks_shop-info_' is not a valid AKS cluster name" in m for m in messages) == 1
    assert sum("workloads[1].replicas" in m for m in messages) == 1
    assert sum("workloads[1].containers[0].image" in m for m in messages) == 1


def test_an_unknown_variable_is_reported_in_each_environment_that_lacks_it():
    text = MULTI.read_text("utf-8").replace("      logLevel: debug\n", "")
    with pytest.raises(SpecError) as raised:
        plan_source(load_text(text, "spec.yaml"))
    (problem,) = raised.value.problems
    assert problem.message == "unknown variable ${vars.logLevel} in environment 'dev'"
    assert problem.mark.line == text.splitlines().index("          LOG_LEVEL: ${vars.logLevel}") + 1


# -- environments complete the spec ----------------------------------------------------------------
PER_SUBSCRIPTION = """\
apiVersion: wlid/v1
kind: WorkloadIdentitySpec
metadata:
  name: persub
azure:
  resourceGroup: rg-app-${env}
  location: westeurope
identities:
  - name: app
serviceAccounts:
  - name: app
    identity: app
environments:
  dev:
    azure: {subscriptionId: 44444444-4444-4444-4444-444444444444}
    cluster: {name: aks-dev}
  prod:
    azure: {subscriptionId: 66666666-6666-6666-6666-666666666666}
    cluster: {name: aks-prod, resourceGroup: rg-aks}
"""


def _schema_errors(text: str) -> list[str]:
    import jsonschema

    schema = json.loads((ROOT / "schema" / "wlid-v1.schema.json").read_text("utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    return sorted(
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(yaml.safe_load(text))
    )


def _problems(text: str) -> list[str]:
    with pytest.raises(SpecError) as raised:
        plan_source(load_text(text, "wlid.yaml"))
    return [p.format() for p in raised.value.problems]


def test_keys_required_at_the_top_may_be_given_by_every_environment_instead():
    plan = plan_source(load_text(PER_SUBSCRIPTION, "wlid.yaml"))
    envs = {e.name: e for e in plan.environments}
    assert envs["dev"].subscription_id == "44444444-4444-4444-4444-444444444444"
    assert envs["prod"].subscription_id == "66666666-6666-6666-6666-666666666666"
    assert (envs["dev"].cluster_name, envs["dev"].cluster_resource_group) == ("aks-dev", "rg-app-dev")
    assert (envs["prod"].cluster_name, envs["prod"].cluster_resource_group) == ("aks-prod", "rg-aks")
    assert envs["prod"].cluster_subscription_id == envs["prod"].subscription_id
    assert _schema_errors(PER_SUBSCRIPTION) == []


def test_a_whole_block_may_come_from_the_environments():
    text = PER_SUBSCRIPTION.replace("azure:\n  resourceGroup: rg-app-${env}\n  location: westeurope\n", "")
    text = text.replace(
        "subscriptionId: 44444444-4444-4444-4444-444444444444}",
        "subscriptionId: 44444444-4444-4444-4444-444444444444, resourceGroup: rg-dev, location: westeurope}",
    )
    text = text.replace(
        "subscriptionId: 66666666-6666-6666-6666-666666666666}",
        "subscriptionId: 66666666-6666-6666-6666-666666666666, resourceGroup: rg-prod, location: northeurope}",
    )
    assert "\nazure:" not in text and "\ncluster:" not in text
    plan = plan_source(load_text(text, "wlid.yaml"))
    assert [(e.resource_group, e.location) for e in plan.environments] == [
        ("rg-dev", "westeurope"),
        ("rg-prod", "northeurope"),
    ]
    assert _schema_errors(text) == []


def test_an_environment_that_lacks_a_required_key_is_named_at_its_line():
    text = PER_SUBSCRIPTION.replace("    azure: {subscriptionId: 66666666-6666-6666-6666-666666666666}\n", "")
    line = text.splitlines().index("  prod:") + 1
    assert _problems(text) == [
        f"wlid.yaml:{line}:3: environments.prod: azure.subscriptionId is set neither in this environment nor "
        "at the top level (hint: set it under environments.prod.azure, or once under azure for every "
        "environment)"
    ]
    assert _schema_errors(text) == ["environments/prod: 'azure' is a required property"]


def test_a_key_no_environment_gives_is_reported_once_at_the_top():
    text = PER_SUBSCRIPTION.replace("    cluster: {name: aks-dev}\n", "").replace(
        "    cluster: {name: aks-prod, resourceGroup: rg-aks}\n", "    cluster: {resourceGroup: rg-aks}\n"
    )
    assert _problems(text) == [
        "wlid.yaml:1:1: required key 'cluster' is missing (hint: add cluster: {name: ...}, or set it under "
        "environments.<name>.cluster in every environment)"
    ]
    assert _schema_errors(text) == [
        "environments/dev: 'cluster' is a required property",
        "environments/prod/cluster: 'name' is a required property",
    ]
    without_environments = text.split("environments:\n")[0]
    assert _schema_errors(without_environments) == [
        ": 'cluster' is a required property",
        "azure: 'subscriptionId' is a required property",
    ]


def test_without_environments_the_top_level_must_set_them():
    text = PER_SUBSCRIPTION.split("environments:\n")[0].replace("  location: westeurope\n", "")
    assert sorted(_problems(text)) == [
        "wlid.yaml:1:1: required key 'cluster' is missing (hint: add cluster: {name: ...})",
        "wlid.yaml:6:3: azure: required key 'location' is missing",
        "wlid.yaml:6:3: azure: required key 'subscriptionId' is missing",
    ]
    assert _schema_errors(text) == [
        ": 'cluster' is a required property",
        "azure: 'location' is a required property",
        "azure: 'subscriptionId' is a required property",
    ]


def test_a_part_of_another_type_is_validated_as_strictly_as_the_spec_does():
    """Top-level values that are neither a model nor a list of models (fields other parts of wlid may
    add) are validated on their own with the strictness of the spec: no number taken for a string."""
    from pydantic import ValidationError

    from wlid_render.spec.parse import _checker

    check = _checker(dict[str, str])
    assert check({"team": "shop"}) == {"team": "shop"}
    with pytest.raises(ValidationError):
        check({"replicas": 2})
