"""The Bicep emitter: syntax (tree-sitter-bicep), files, the cluster module, symbols, template guard rails
(the same deployment as the ARM template: test_bicep_arm_parity.py; escaping: test_bicep_escape.py)."""

from __future__ import annotations

import dataclasses
import re
import shutil
from pathlib import Path

import jinja2
import pytest
from bicep_plans import RICH_SPEC, lab_plan, plan_from
from conftest import LAB_SPEC, ROOT

from wlid_render.emit.artifact import Artifact
from wlid_render.emit.bicep import Symbols, default_templates, emit_bicep
from wlid_render.emit.bicep_escape import (
    UnescapedValueError,
)
from wlid_render.errors import SpecError
from wlid_render.plan.deployments import plan_deployments
from wlid_render.plan.model import Plan
from wlid_render.validate.bicep_file import declarations
from wlid_render.validate.bicep_syntax import (
    bicepparam_as_bicep,
    first_syntax_problem,
    named,
    parse,
    properties,
)

pytest.importorskip("tree_sitter")
pytest.importorskip("tree_sitter_bicep")
from bicep_pairs import MAIN, emitted


# -- tree-sitter helpers: wlid_render.validate.bicep_syntax (imported above) --------------------------
def syntax_text(artifact: Artifact) -> str:
    return bicepparam_as_bicep(artifact.text) if artifact.path.endswith(".bicepparam") else artifact.text


# -- syntax ----------------------------------------------------------------------------------------
def test_every_file_parses_without_errors(bicep_plan: Plan) -> None:
    artifacts = emit_bicep(bicep_plan)
    assert {Path(a.path).suffix for a in artifacts} == {".bicep", ".bicepparam"}
    for artifact in artifacts:
        assert first_syntax_problem(syntax_text(artifact)) is None, artifact.path


@pytest.mark.parametrize(
    ("snippet", "line"),
    [
        ("param a string\nresource x 'A/b@1' = {\n  name: 'a\n}\n", 2),  # unterminated string
        ("targetScope = 'resourceGroup'\n\nmodule m 'm.bicep' = {\n  name: 'm'\n  params: {\n", 3),
        ("var a = 'ok'\nvar b = ('x', \n", 2),
        ("var a = 1\nvar b = {\n  x: 1\n  y: 'a' 'b'\n}\n", 4),
        ("param location = 'eastus'\n", 1),  # .bicepparam syntax in a .bicep file
    ],
)
def test_the_syntax_check_reports_broken_bicep(snippet: str, line: int) -> None:
    problem = first_syntax_problem(snippet)
    assert problem is not None
    assert problem.describe().startswith(f"line {line}:"), problem


def test_bicepparam_check_still_rejects_broken_values() -> None:
    assert first_syntax_problem(bicepparam_as_bicep("using '../main.bicep'\n\nparam a = 'x'\n")) is None
    problem = first_syntax_problem(bicepparam_as_bicep("using '../main.bicep'\n\nparam a = 'x\nparam b = \n"))
    assert problem is not None and problem.describe().startswith("line 5: MISSING"), problem


# -- layout ----------------------------------------------------------------------------------------
def test_paths_and_files(bicep_plan: Plan) -> None:
    artifacts = emit_bicep(bicep_plan)
    paths = [a.path for a in artifacts]
    assert paths == sorted(paths)
    expected = {"azure/main.bicep"}
    expected |= {f"azure/params/{e.name}.bicepparam" for e in bicep_plan.environments}
    expected |= {f"azure/modules/{i.deployment_name}.bicep" for i in bicep_plan.identities}
    expected |= {f"azure/modules/{d.name}.bicep" for i in bicep_plan.identities for d in i.role_deployments}
    if bicep_plan.enables_workload_identity:
        expected.add("azure/modules/cluster-workload-identity.bicep")
    assert set(paths) == expected
    for artifact in artifacts:
        text = artifact.text
        assert text.endswith("\n") and not text.endswith("\n\n"), artifact.path
        assert "\r" not in text and "\t" not in text, artifact.path
        assert not re.search(r"[ \t]+$", text, re.MULTILINE), artifact.path
        assert "\n\n\n" not in text, artifact.path


def test_deterministic(bicep_plan: Plan) -> None:
    first = [(a.path, a.data) for a in emit_bicep(bicep_plan)]
    assert first == [(a.path, a.data) for a in emit_bicep(bicep_plan)]
    assert first == [(a.path, a.data) for a in emit_bicep(bicep_plan, ROOT / "templates")]


def test_default_templates_are_the_repository_copy() -> None:
    directory = default_templates()
    assert (directory / "bicep" / "main.bicep.j2").is_file()
    assert directory.resolve() == (ROOT / "templates").resolve() or directory.name == "templates"


ISSUER_READ = "cluster.properties.?oidcIssuerProfile.?issuerURL ?? fail('The OIDC issuer of AKS cluster ${clusterName} is off,"


def test_lab_main_bicep_reads_the_issuer_from_the_cluster() -> None:
    files = {a.path: a.text for a in emit_bicep(lab_plan())}
    text = files[MAIN]
    assert "targetScope = 'resourceGroup'\n" in text
    assert (
        "resource cluster 'Microsoft.ContainerService/managedClusters@2026-05-01' existing = {\n"
        "  name: clusterName\n"
        "  scope: resourceGroup(clusterSubscriptionId, clusterResourceGroup)\n}"
    ) in text
    # the issuer is read from the cluster; a cluster whose issuer is off fails the deployment with
    # the one-time command that turns it on
    assert f"    issuer: {ISSUER_READ}" in text
    assert "--enable-oidc-issuer --enable-workload-identity (this restarts the API server)" in text
    assert f"output oidcIssuerUrl string = {ISSUER_READ}" in text
    module = "module clusterWorkloadIdentity 'modules/cluster-workload-identity.bicep'"
    assert f"{module} = if (enableWorkloadIdentity) {{\n  name: 'wlid-cluster-lab'\n" in text
    assert "oidcIssuerUrl string =" in text and "param oidcIssuerUrl" not in text
    # the identity module takes the issuer as a parameter and gives it to its credential
    identity = (
        "module identity_myIdentity 'modules/wlid-id-myIdentity.bicep' = {\n  name: 'wlid-id-myIdentity'\n"
    )
    assert identity in text
    inner = files["azure/modules/wlid-id-myIdentity.bicep"]
    assert "param issuer string\n" in inner and inner.count("    issuer: issuer\n") == 1
    assert "oidcIssuer" not in inner and "cluster" not in inner


def test_pinned_issuer_falls_back_to_the_cluster() -> None:
    plan = plan_from(RICH_SPEC)
    files = {a.path: a.text for a in emit_bicep(plan)}
    text = files[MAIN]
    pinned = f"empty(oidcIssuerUrl) ? ({ISSUER_READ}"
    assert text.count(f"issuer: {pinned}") == len(plan.identities) == 2  # one per identity module
    assert text.count(") : oidcIssuerUrl\n") == 3  # and the output
    assert f"output oidcIssuerUrl string = {pinned}" in text
    modules = [files[f"azure/modules/{i.deployment_name}.bicep"] for i in plan.identities]
    assert sum(m.count("    issuer: issuer\n") for m in modules) == 4  # every credential reads it
    assert all("oidcIssuerUrl" not in m for m in modules)


def test_cluster_module_writes_the_cluster_only_while_a_flag_is_off() -> None:
    pair = emitted(lab_plan())
    decls = pair.decls("azure/modules/cluster-workload-identity.bicep")
    params = [d.symbol for d in decls if d.kind == "param"]
    inner = pair.template["resources"][0]["properties"]["template"]
    assert (
        params
        == list(inner["parameters"])
        == [
            "clusterName",
            "oidcIssuerEnabled",
            "workloadIdentityEnabled",
            "current",
        ]
    )
    assert [d.symbol for d in decls if d.kind == "var"] == list(inner["variables"])
    (cluster,) = [d for d in decls if d.kind == "resource"]
    assert cluster.type_or_path == "Microsoft.ContainerService/managedClusters@2026-05-01"
    assert cluster.body.type == "if_statement" and named(cluster.body)[0].text == b"(needsWrite)"
    props = properties(cluster.body)
    assert {k: v.text.decode() for k, v in props.items() if k != "properties"} == {
        "name": "clusterName",
        "location": "current.location",
        "extendedLocation": "current.?extendedLocation",
        "tags": "current.?tags",
        "sku": "current.?sku",
        "kind": "current.?kind",
        "identity": "current.?identity",
    }
    merged = re.sub(r"\s+", " ", props["properties"].text.decode())
    assert merged == (
        "empty(refusal) ? union(current.properties, { oidcIssuerProfile: { enabled: true } "
        "securityProfile: { workloadIdentity: { enabled: true } } }) : fail(refusal)"
    )
    assert [d.symbol for d in decls if d.kind == "output"] == list(inner.get("outputs", {})) == []


def test_cluster_module_call_mirrors_the_arm_parameters() -> None:
    pair = emitted(lab_plan())
    (module,) = [d for d in pair.main if d.kind == "module" and d.symbol == "clusterWorkloadIdentity"]
    assert module.body.type == "if_statement"
    assert named(module.body)[0].text == b"(enableWorkloadIdentity)"
    params = {k: v.text.decode() for k, v in properties(properties(module.body)["params"]).items()}
    assert {k: v for k, v in params.items() if k != "current"} == {
        "clusterName": "clusterName",
        "oidcIssuerEnabled": "cluster.properties.?oidcIssuerProfile.?enabled ?? false",
        "workloadIdentityEnabled": "cluster.properties.?securityProfile.?workloadIdentity.?enabled ?? false",
    }
    current = {
        k: v.text.decode()
        for k, v in properties(properties(properties(module.body)["params"])["current"]).items()
    }
    assert current == {
        "location": "cluster.location",
        "extendedLocation": "cluster.?extendedLocation",
        "kind": "cluster.?kind",
        "sku": "cluster.?sku",
        "tags": "cluster.?tags",
        "identity": "cluster.?identity",
        "properties": "cluster.properties",
    }
    arm = pair.template["resources"][0]["properties"]["parameters"]
    assert list(params) == list(arm) and list(current) == list(arm["current"]["value"])


# -- symbols ---------------------------------------------------------------------------------------
def test_symbols_are_sanitised_and_unique() -> None:
    symbols = Symbols(("location", "identity_x"))
    assert symbols.new("identity", "x") == "identity_x_2"
    assert symbols.new("identity", "my-id") == "identity_my_id"
    assert symbols.new("identity", "my_id") == "identity_my_id_2"
    assert symbols.new("identity", "MY.ID") == "identity_MY_ID_3"  # case-insensitive
    assert symbols.new("fic", "my-id", "1") == "fic_my_id_1"


def test_colliding_names_get_distinct_symbols() -> None:
    plan = lab_plan()
    (identity,) = plan.identities
    twins = tuple(
        identity._replace(name=name, deployment_name=f"wlid-id-{name}", role_deployments=())
        for name in ("my-id", "my_id")
    )
    deployments = plan_deployments(plan.name, twins, plan.parameters, plan.enables_workload_identity)
    plan = dataclasses.replace(plan, identities=twins, deployments=deployments)
    files = {a.path: a for a in emit_bicep(plan)}
    main = files[MAIN]
    assert first_syntax_problem(main.text) is None
    decls = [d for d in declarations(parse(main.text)) if d.kind in ("resource", "module") and not d.existing]
    symbols = [d.symbol for d in decls]
    assert symbols == ["clusterWorkloadIdentity", "identity_my_id", "identity_my_id_2"]
    assert len({s.lower() for s in symbols}) == len(symbols)
    for name in ("my-id", "my_id"):
        module = files[f"azure/modules/wlid-id-{name}.bicep"]
        assert first_syntax_problem(module.text) is None
        inner = [d for d in declarations(parse(module.text)) if d.kind in ("param", "resource", "module")]
        assert [d.symbol for d in inner] == ["location", "issuer", "identity_my_id", "fic_1"]


def test_role_deployment_in_another_subscription_needs_a_resource_group() -> None:
    text = (
        LAB_SPEC
        .read_text("utf-8")
        .replace(
            "keyVault: kv-wlid-lab",
            "keyVault: {name: kv-wlid-lab, subscriptionId: 44444444-4444-4444-4444-444444444444}",
        )
    )
    with pytest.raises(SpecError, match="a subscriptionId needs a resourceGroup too"):
        plan_from(text)


# -- template guard rails --------------------------------------------------------------------------
def copy_templates(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "templates" / "bicep", tmp_path / "bicep")
    return tmp_path


@pytest.mark.parametrize(
    "expression",
    ["{{ identities[0].name }}", "{{ 'literal' }}", "{{ 1 }}", "{{ identities[0].name | upper }}"],
)
def test_a_value_without_a_bicep_filter_fails(tmp_path: Path, expression: str) -> None:
    directory = copy_templates(tmp_path)
    main = directory / "bicep" / "main.bicep.j2"
    main.write_text(main.read_text("utf-8") + f"// {expression}\n", "utf-8")
    with pytest.raises(UnescapedValueError, match="without a Bicep filter"):
        emit_bicep(lab_plan(), directory)


def test_a_filtered_value_in_a_throwaway_template_renders(tmp_path: Path) -> None:
    directory = copy_templates(tmp_path)
    main = directory / "bicep" / "main.bicep.j2"
    main.write_text(main.read_text("utf-8") + "// {{ identities[0].name | bicep_string }}\n", "utf-8")
    text = {a.path: a.text for a in emit_bicep(lab_plan(), directory)}["azure/main.bicep"]
    assert text.endswith("// 'myIdentity'\n")


def test_an_undefined_name_fails(tmp_path: Path) -> None:
    directory = copy_templates(tmp_path)
    (directory / "bicep" / "params.bicepparam.j2").write_text("using {{ nowhere | bicep_string }}\n", "utf-8")
    with pytest.raises(jinja2.UndefinedError, match="nowhere"):
        emit_bicep(lab_plan(), directory)


