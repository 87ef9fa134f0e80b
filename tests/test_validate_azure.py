"""The Azure-side rules of issue 14: each fires on a planted fault (and on trees rendered before the
fix, where that applies) and not on the committed examples.

ARM007/ARM008 the cluster step, ARM009 subscription-scope deployment names, PARAM005 parameter-file
escaping, BICEP004 unsafe reads of conditional modules, BICEP005 subscription-scope module locations,
WI016 identities shared by environments, AZ001 tags.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT

from wlid_render.validate.finding import Finding
from wlid_render.validate.run import Options, validate_tree

OFFLINE = Options(use_kubectl=False)
NEW_RULES = {
    "ARM007",
    "ARM008",
    "ARM009",
    "PARAM005",
    "PARAM006",
    "BICEP004",
    "BICEP005",
    "BICEP006",
    "WI016",
    "AZ001",
}
CLUSTER = "Microsoft.ContainerService/managedClusters"


def copy(tmp_path: Path, name: str) -> Path:
    out = tmp_path / name
    shutil.copytree(ROOT / "out" / name, out)
    return out


def findings(out: Path, rule: str) -> list[Finding]:
    return [f for f in validate_tree(out, OFFLINE) if f.rule == rule]


def edit_json(path: Path, change: Any) -> None:
    doc = json.loads(path.read_text("utf-8"))
    change(doc)
    path.write_text(json.dumps(doc, indent=2) + "\n", "utf-8")


def edit_text(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert text.count(old) == 1, (path, old)
    path.write_text(text.replace(old, new), "utf-8")


def cluster_step(doc: dict[str, Any]) -> dict[str, Any]:
    (step,) = [r for r in doc["resources"] if str(r["name"]).startswith("wlid-cluster-")]
    return step


def cluster_resource(doc: dict[str, Any]) -> dict[str, Any]:
    (resource,) = cluster_step(doc)["properties"]["template"]["resources"]
    assert resource["type"] == CLUSTER
    return resource


def subscription_deployment(doc: dict[str, Any]) -> dict[str, Any]:
    reporting = next(r for r in doc["resources"] if r["name"] == "wlid-id-reporting")
    inner = reporting["properties"]["template"]["resources"]
    (deployment,) = [r for r in inner if "location" in r and r["type"] == "Microsoft.Resources/deployments"]
    return deployment


@pytest.mark.parametrize("name", sorted(p.name for p in (ROOT / "out").iterdir()))
def test_the_examples_break_none_of_the_new_rules(name: str) -> None:
    assert [f.format() for f in validate_tree(ROOT / "out" / name, OFFLINE) if f.rule in NEW_RULES] == []


# -- the cluster step --------------------------------------------------------------------------------
def test_arm007_a_cluster_written_without_a_condition_on_its_flags(tmp_path: Path) -> None:
    out = copy(tmp_path, "lab")
    assert findings(out, "ARM007") == []
    edit_json(out / "azure/main.json", lambda doc: cluster_resource(doc).pop("condition"))
    (finding,) = findings(out, "ARM007")
    assert finding.file.endswith("azure/main.json") and "on every deployment" in finding.message


def test_arm007_a_condition_that_does_not_read_the_flags(tmp_path: Path) -> None:
    out = copy(tmp_path, "lab")

    def unrelated(doc: dict[str, Any]) -> None:  # a condition, but not on the cluster's current flags
        inner = cluster_step(doc)["properties"]["template"]
        inner["variables"]["needsWrite"] = "[not(empty(parameters('clusterName')))]"

    edit_json(out / "azure/main.json", unrelated)
    assert len(findings(out, "ARM007")) == 1


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda r: r.__setitem__("apiVersion", "2024-09-01"), "with API 2024-09-01, older than 2026-05-01"),
        (lambda r: r.pop("extendedLocation"), "without extendedLocation"),
    ],
    ids=["older-api", "no-extended-location"],
)
def test_arm008_a_cluster_written_back_with_less_than_was_read(
    tmp_path: Path, change: Any, words: str
) -> None:
    out = copy(tmp_path, "lab")
    assert findings(out, "ARM008") == []
    edit_json(out / "azure/main.json", lambda doc: change(cluster_resource(doc)))
    (finding,) = findings(out, "ARM008")
    assert words in finding.message


def test_trees_rendered_before_the_redesign_are_caught(tmp_path: Path) -> None:
    """The cluster step as wlid wrote it before: a PUT of the read-back cluster on every deployment,
    with API 2024-09-01 and no extendedLocation."""
    out = copy(tmp_path, "lab")

    def old_step(doc: dict[str, Any]) -> None:
        resource = cluster_resource(doc)
        for key in ("condition", "extendedLocation", "kind"):
            resource.pop(key)
        resource["apiVersion"] = "2024-09-01"

    edit_json(out / "azure/main.json", old_step)
    assert len(findings(out, "ARM007")) == 1
    assert len(findings(out, "ARM008")) == 2


def test_whatif_sees_no_cluster_write_where_the_opt_in_is_off() -> None:
    """What-if (like a deployment) does not evaluate a nested deployment whose condition is false. In
    every environment that does not opt in, each cluster write of the templates sits below a
    deployment whose condition is a bare parameter that is false in its parameters file: what-if can
    evaluate that, and shows no change of the cluster. Where no environment opts in, nothing writes
    the cluster at all."""
    checked = 0
    for out in sorted((ROOT / "out").iterdir()):
        for template in sorted((out / "azure").glob("*.json")):
            doc = json.loads(template.read_text("utf-8"))
            writes = list(_cluster_writes(doc, ()))
            middle = "" if template.stem == "main" else f".{template.stem}"
            for params_file in sorted((out / "azure/params").glob(f"*{middle}.parameters.json")):
                if middle == "" and params_file.name.count(".") > 2:
                    continue  # a group's parameters file
                values = {k: v["value"] for k, v in json.loads(params_file.read_text())["parameters"].items()}
                if values.get("enableWorkloadIdentity") is True:
                    continue
                for conditions in writes:
                    assert any(
                        c.startswith("[parameters('") and values.get(c[len("[parameters('") : -3]) is False
                        for c in conditions
                    ), (params_file, conditions)
                    checked += 1
    assert checked >= 2  # platform staging and prod


def _cluster_writes(template: dict[str, Any], above: tuple[str, ...]):  # type: ignore[no-untyped-def]
    """The conditions above each managed cluster a template (or a nested one) writes."""
    for resource in template.get("resources", []):
        conditions = (*above, resource["condition"]) if "condition" in resource else above
        if resource["type"] == CLUSTER:
            yield conditions
        elif resource["type"] == "Microsoft.Resources/deployments":
            yield from _cluster_writes(resource["properties"]["template"], conditions)


def test_specs_without_the_opt_in_write_no_cluster() -> None:
    doc = json.loads((ROOT / "out/existing-app/azure/main.json").read_text("utf-8"))
    assert list(_cluster_writes(doc, ())) == []
    assert "enableWorkloadIdentity" not in doc["parameters"]
    bicep = (ROOT / "out/existing-app/azure/main.bicep").read_text("utf-8")
    assert f"resource cluster '{CLUSTER}@2026-05-01' existing = {{" in bicep
    assert "module clusterWorkloadIdentity" not in bicep


# -- names and locations at subscription scope -------------------------------------------------------
def test_arm009_a_subscription_scope_deployment_with_a_fixed_name(tmp_path: Path) -> None:
    out = copy(tmp_path, "platform")
    assert findings(out, "ARM009") == []
    edit_json(
        out / "azure/main.json", lambda doc: subscription_deployment(doc).__setitem__("name", "wlid-roles-x")
    )
    (finding,) = findings(out, "ARM009")
    assert "InvalidDeploymentLocation" in finding.message and finding.file.endswith("main.json")


def test_bicep005_a_subscription_scope_deployment_located_unlike_bicep_build(tmp_path: Path) -> None:
    out = copy(tmp_path, "platform")
    assert findings(out, "BICEP005") == []

    def relocate(doc: dict[str, Any]) -> None:
        subscription_deployment(doc)["location"] = "[parameters('location')]"

    edit_json(out / "azure/main.json", relocate)
    (finding,) = findings(out, "BICEP005")
    assert finding.file.endswith("azure/modules/wlid-id-reporting.bicep")
    assert "bicep build gives it the location resourceGroup().location" in finding.message
    assert "[parameters('location')]" in finding.message
    assert len(findings(out, "ARM009")) == 1  # its name no longer follows its location either


def test_bicep006_a_location_expression_the_linter_warns_about(tmp_path: Path) -> None:
    """The Bicep linter's no-loc-expr-outside-params: resourceGroup().location only as a parameter's
    default value (which is why the placement hash reads resourceGroup().id)."""
    out = copy(tmp_path, "platform")
    module = out / "azure/modules/wlid-id-reporting.bicep"
    edit_text(
        module,
        "${uniqueString(resourceGroup().id)}",
        "${uniqueString(resourceGroup().id, resourceGroup().location)}",
    )
    (finding,) = findings(out, "BICEP006")
    assert finding.severity == "warning" and finding.file.endswith("wlid-id-reporting.bicep")
    assert "no-loc-expr-outside-params" in finding.message
    edit_text(
        module, "param issuer string\n", "param issuer string\nparam here string = resourceGroup().location\n"
    )
    assert len(findings(out, "BICEP006")) == 1  # a parameter's default value is where it belongs


# -- parameters files --------------------------------------------------------------------------------
def test_param005_the_template_escape_in_a_parameters_file(tmp_path: Path) -> None:
    out = copy(tmp_path, "platform")
    path = out / "azure/params/dev.parameters.json"
    edit_json(path, lambda doc: doc["parameters"]["tag_environment"].__setitem__("value", "[[dev]"))
    (finding,) = findings(out, "PARAM005")
    assert finding.file.endswith("dev.parameters.json") and "'[[dev]'" in finding.message
    # the .bicepparam twin says dev: the two files no longer carry the same value
    assert any("tag_environment" in f.message for f in findings(out, "BICEP003"))


def test_a_value_starting_with_a_bracket_is_the_same_in_both_parameter_files(tmp_path: Path) -> None:
    """ARM takes parameter-file values as they are, as `bicep build-params` writes them: '[dev]' is
    '[dev]' in both files, with no escape."""
    out = copy(tmp_path, "platform")
    edit_json(
        out / "azure/params/dev.parameters.json",
        lambda doc: doc["parameters"]["tag_environment"].__setitem__("value", "[dev]"),
    )
    edit_text(
        out / "azure/params/dev.bicepparam",
        "param tag_environment = 'dev'",
        "param tag_environment = '[dev]'",
    )
    assert findings(out, "PARAM005") == [] and findings(out, "BICEP003") == []


def test_param006_metadata_that_arm_refuses(tmp_path: Path) -> None:
    """The deployment parameters schema allows a parameter's metadata; ARM refuses the file with
    InvalidRequestContent (Azure/azure-cli#12009). The schema check passes, PARAM006 does not."""
    out = copy(tmp_path, "lab")
    path = out / "azure/params/default.parameters.json"
    edit_json(path, lambda doc: doc["parameters"]["location"].__setitem__("metadata", {"note": "x"}))
    (finding,) = findings(out, "PARAM006")
    assert finding.file.endswith("default.parameters.json")
    assert (
        "Could not find member 'metadata' on object of type 'DeploymentParameterDefinition'"
        in finding.message
    )
    assert findings(out, "PARAM001") == []


# -- Bicep the compiler accepts quietly ----------------------------------------------------------------
def test_bicep004_a_conditional_module_read_without_safe_dereference(tmp_path: Path) -> None:
    out = copy(tmp_path, "multi-env")
    assert findings(out, "BICEP004") == []
    edit_text(
        out / "azure/main.bicep",
        "clientId: identity_shop_reporting.?outputs.clientId ?? ''",
        "clientId: include_shop_reporting ? identity_shop_reporting.outputs.clientId : ''",
    )
    (finding,) = findings(out, "BICEP004")
    text = (out / "azure/main.bicep").read_text("utf-8").split("\n")
    assert "identity_shop_reporting.outputs.clientId" in text[finding.line - 1]  # type: ignore[operator]
    assert "BCP318" in finding.message


def test_bicep004_a_conditional_resource_read_without_safe_dereference(tmp_path: Path) -> None:
    """As the compiler's baselines show: `.properties` of a conditional resource is BCP318, `.id` is not."""
    out = copy(tmp_path, "lab")
    module = out / "azure/modules/cluster-workload-identity.bicep"
    text = module.read_text("utf-8")
    module.write_text(text + "\noutput clusterId string = managedCluster.id\n", "utf-8")
    assert findings(out, "BICEP004") == []
    module.write_text(text + "\noutput fqdn string = managedCluster.properties.fqdn\n", "utf-8")
    (finding,) = findings(out, "BICEP004")
    assert finding.message.startswith("managedCluster.properties: resource 'managedCluster' has a condition")


# -- identities shared by environments ------------------------------------------------------------------
def retarget(out: Path, env: str, like: str) -> None:
    """Make `env` deploy where `like` does, in azure/targets.json."""
    edit_json(
        out / "azure/targets.json",
        lambda doc: doc["environments"].__setitem__(env, doc["environments"][like]),
    )


def test_wi016_needs_the_targets_file(tmp_path: Path) -> None:
    """A tree rendered before azure/targets.json existed says nowhere where environments deploy."""
    out = copy(tmp_path, "platform")
    retarget(out, "prod", like="staging")
    assert findings(out, "WI016")
    (out / "azure/targets.json").unlink()
    assert findings(out, "WI016") == []


def test_wi016_environments_that_deploy_one_identity_differently(tmp_path: Path) -> None:
    out = copy(tmp_path, "platform")
    assert findings(out, "WI016") == []
    retarget(out, "prod", like="staging")
    found = findings(out, "WI016")
    assert {f.file.rsplit("/", 1)[-1] for f in found} == {"staging.parameters.json"}
    by_identity = {f.message.split(" identity ", 1)[1].split(" ", 1)[0]: f.message for f in found}
    assert set(by_identity) == {"orders-api", "reporting"}
    message = by_identity["orders-api"]
    assert "region northeurope in prod, westeurope in staging" in message
    assert "cluster aks-platform-prod in prod, aks-platform-staging in staging" in message
    assert "tags differ" in message and "InvalidResourceLocation" in message


def test_wi016_environments_that_deploy_the_same_identity_are_fine(tmp_path: Path) -> None:
    """A second environment with the same target and the same values is the same identity."""
    out = copy(tmp_path, "platform")
    params = out / "azure/params"
    shutil.copy(params / "staging.parameters.json", params / "qa.parameters.json")
    shutil.copy(params / "staging.bicepparam", params / "qa.bicepparam")
    retarget(out, "qa", like="staging")
    assert findings(out, "WI016") == []
    edit_json(
        params / "qa.parameters.json",
        lambda doc: doc["parameters"]["tag_environment"].__setitem__("value", "qa"),
    )
    found = findings(out, "WI016")
    assert len(found) == 2  # both identities carry the environment tag
    assert all(f.message.endswith("give one environment its own resource group") for f in found)
    assert all("tags differ between qa and staging" in f.message for f in found)


def test_wi016_credentials_of_some_environments(tmp_path: Path) -> None:
    """multi-env: shop-reporting exists in prod only, its credential too; deployed to one resource
    group, dev and prod would disagree about the identities they share."""
    out = copy(tmp_path, "multi-env")
    retarget(out, "prod", like="dev")
    messages = [f.message for f in findings(out, "WI016")]
    assert messages and all("both deploy identity shop-api" in m for m in messages)


# -- tags ---------------------------------------------------------------------------------------------
def orders_identity(doc: dict[str, Any]) -> dict[str, Any]:
    deployment = next(r for r in doc["resources"] if r["name"] == "wlid-id-orders-api")
    return deployment["properties"]["template"]["resources"][0]


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda tags: tags.__setitem__("cost/center", "1"), "contains /"),
        (lambda tags: tags.__setitem__("Owner", "x"), "are one tag"),
        (lambda tags: tags.__setitem__("n" * 513, "x"), "has 513 characters; Azure allows 512"),
        (lambda tags: tags.__setitem__("long", "v" * 257), "value of 257 characters; Azure allows 256"),
        (lambda tags: tags.update({f"t{i}": "x" for i in range(48)}), "carries 51 tags; Azure allows 50"),
    ],
    ids=["forbidden-character", "case-duplicate", "long-name", "long-value", "too-many"],
)
def test_az001_tags_beyond_azures_limits(tmp_path: Path, change: Any, words: str) -> None:
    out = copy(tmp_path, "platform")
    assert findings(out, "AZ001") == []
    edit_json(out / "azure/main.json", lambda doc: change(orders_identity(doc)["tags"]))
    found = findings(out, "AZ001")
    assert len(found) == 1 and words in found[0].message, [f.format() for f in found]


def test_az001_a_value_set_per_environment(tmp_path: Path) -> None:
    out = copy(tmp_path, "platform")
    edit_json(
        out / "azure/params/prod.parameters.json",
        lambda doc: doc["parameters"]["tag_environment"].__setitem__("value", "p" * 300),
    )
    found = findings(out, "AZ001")
    assert {f.file.rsplit("/", 1)[-1] for f in found} == {"prod.parameters.json"}
    assert all("in environment prod has a value of 300 characters" in f.message for f in found)
