"""The Bicep emitter: syntax (tree-sitter-bicep), the same deployment as the ARM template, escaping."""

from __future__ import annotations

import dataclasses
import itertools
import json
import posixpath
import re
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import jinja2
import pytest
from bicep_plans import PLANS, RICH_SPEC, lab_plan, plan_from
from conftest import LAB_SPEC, ROOT
from hypothesis import given, settings
from hypothesis import strategies as st

from wlid_render.emit import arm_expr
from wlid_render.emit import arm_roles as arm_emit
from wlid_render.emit.arm import emit_arm
from wlid_render.emit.artifact import Artifact
from wlid_render.emit.bicep import Symbols, default_templates, emit_bicep
from wlid_render.emit.bicep_escape import (
    BicepText,
    UnescapedValueError,
    bicep_ident,
    bicep_json,
    bicep_key,
    bicep_string,
    bicep_value,
    escaped_body,
)
from wlid_render.errors import SpecError
from wlid_render.plan.deployments import plan_deployments
from wlid_render.plan.model import IdentityPlan, ParamRef, Plan, RoleDeployment
from wlid_render.validate.arm_expressions import literals as arm_literals
from wlid_render.validate.arm_expressions import plain as arm_plain
from wlid_render.validate.arm_names import deployment_name_key
from wlid_render.validate.arm_template import arm_scope
from wlid_render.validate.bicep_file import Decl, bicep_name_key, declarations, scope_of
from wlid_render.validate.bicep_syntax import (
    Node,
    NotALiteral,
    bicepparam_as_bicep,
    call_parts,
    decode_string,
    first_syntax_problem,
    literal,
    named,
    parse,
    properties,
)
from wlid_render.validate.keys import Scope

pytest.importorskip("tree_sitter")
pytest.importorskip("tree_sitter_bicep")


@pytest.fixture(params=sorted(PLANS))
def plan(request: pytest.FixtureRequest) -> Plan:
    return PLANS[request.param]()


# -- tree-sitter helpers: wlid_render.validate.bicep_syntax (imported above) --------------------------
def syntax_text(artifact: Artifact) -> str:
    return bicepparam_as_bicep(artifact.text) if artifact.path.endswith(".bicepparam") else artifact.text


# -- ARM helpers -----------------------------------------------------------------------------------
DEPLOYMENT = "Microsoft.Resources/deployments"
IDENTITY = "Microsoft.ManagedIdentity/userAssignedIdentities"
FIC = f"{IDENTITY}/federatedIdentityCredentials"
ROLE = "Microsoft.Authorization/roleAssignments"
MAIN = "azure/main.bicep"


def arm_resources(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for resource in resources:
        out.append(resource)
        if resource["type"] == DEPLOYMENT:
            out.extend(arm_resources(resource["properties"]["template"]["resources"]))
    return out


def arm_guid_scope(name: str) -> tuple[Any, ...]:
    body = name[len("[guid(") :]
    if body.startswith("resourceGroup().id"):
        return ("resourceGroup",)
    if body.startswith("subscription().id"):
        return ("subscription",)
    # a target named per environment: resourceId('T', parameters('x')) or split(parameters('x'), '/')[i]...
    if param := re.match(r"resourceId\('([^']+)', (?:split\()?parameters\('(\w+)'\)", body):
        resource_type, ref = param[1], ParamRef(param[2])
        segments = arm_expr.name_segments(resource_type, ref)
        assert body.startswith(f"{arm_expr.call('resourceId', arm_expr.lit(resource_type), *segments)}, ")
        return ("resource", resource_type, ref)
    inner = re.match(r"resourceId\(((?:'(?:[^']|'')*'(?:, )?)+)\)", body)
    assert inner, name
    resource_type, *names = arm_literals(inner[1])
    return ("resource", resource_type, "/".join(names))


# -- emitted sets ----------------------------------------------------------------------------------
@dataclasses.dataclass
class Pair:
    arm: dict[str, Artifact]
    bicep: dict[str, Artifact]

    @property
    def template(self) -> dict[str, Any]:
        return json.loads(self.arm["azure/main.json"].text)

    @property
    def main(self) -> list[Decl]:
        return self.decls(MAIN)

    def decls(self, path: str) -> list[Decl]:
        """The declarations of a Bicep file, by its path in the tree (azure/...)."""
        return declarations(parse(self.bicep[path].text))

    def modules(self, path: str) -> list[Module]:
        """The modules a Bicep file declares, each with the tree path of its file."""
        out = []
        for decl in self.decls(path):
            if decl.kind == "module":
                target = posixpath.normpath(posixpath.join(posixpath.dirname(path), decl.type_or_path))
                out.append(Module(decl, properties(decl.body), target))
        return out

    def identity_modules(self) -> list[IdentityModule]:
        """The identity modules of main.bicep with their nested deployments in main.json, in order."""
        deployments = {
            deployment_name_key(r["name"]): r for r in self.template["resources"] if r["type"] == DEPLOYMENT
        }
        out = []
        for module in self.modules(MAIN):
            if module.decl.symbol != "clusterWorkloadIdentity":
                out.append(IdentityModule(module, self.decls(module.path), deployments[module.name]))
        return out


@dataclasses.dataclass
class Module:
    decl: Decl
    props: dict[str, Node]
    path: str  # the module file, relative to the tree; read from the declaring file's folder

    @property
    def name(self) -> str:
        """The deployment name, as `deployment_name_key` reads the ARM side's (a literal, or the
        format() that an interpolated name compiles to)."""
        return bicep_name_key(self.props["name"], set())

    @property
    def params(self) -> dict[str, str]:
        return {k: v.text.decode() for k, v in properties(self.props["params"]).items()}

    @property
    def depends(self) -> list[str]:
        return [n.text.decode() for n in named(self.props["dependsOn"])] if "dependsOn" in self.props else []


@dataclasses.dataclass
class IdentityModule:
    module: Module
    decls: list[Decl]  # of the module file
    arm: dict[str, Any]  # the nested deployment of main.json

    @property
    def template(self) -> dict[str, Any]:
        return self.arm["properties"]["template"]

    @property
    def identity(self) -> Decl:
        (identity,) = [
            d for d in self.decls if d.kind == "resource" and d.type_or_path.startswith(IDENTITY + "@")
        ]
        return identity

    @property
    def identity_name(self) -> str:
        return decode_string(properties(self.identity.body)["name"])


def identity_of(plan: Plan, deployment_name: str) -> IdentityPlan:
    (identity,) = [i for i in plan.identities if i.deployment_name == deployment_name]
    return identity


def role_deployment_of(plan: Plan, name: str) -> RoleDeployment:
    """The role deployment named `name` (as `deployment_name_key` reads it) in the templates."""
    (deployment,) = [
        d
        for i in plan.identities
        for d in i.role_deployments
        if deployment_name_key(arm_emit.deployment_name_value(d)) == name
    ]
    return deployment


def emitted(plan: Plan) -> Pair:
    return Pair({a.path: a for a in emit_arm(plan)}, {a.path: a for a in emit_bicep(plan)})


# -- syntax ----------------------------------------------------------------------------------------
def test_every_file_parses_without_errors(plan: Plan) -> None:
    artifacts = emit_bicep(plan)
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
def test_paths_and_files(plan: Plan) -> None:
    artifacts = emit_bicep(plan)
    paths = [a.path for a in artifacts]
    assert paths == sorted(paths)
    expected = {"azure/main.bicep"}
    expected |= {f"azure/params/{e.name}.bicepparam" for e in plan.environments}
    expected |= {f"azure/modules/{i.deployment_name}.bicep" for i in plan.identities}
    expected |= {f"azure/modules/{d.name}.bicep" for i in plan.identities for d in i.role_deployments}
    if plan.enables_workload_identity:
        expected.add("azure/modules/cluster-workload-identity.bicep")
    assert set(paths) == expected
    for artifact in artifacts:
        text = artifact.text
        assert text.endswith("\n") and not text.endswith("\n\n"), artifact.path
        assert "\r" not in text and "\t" not in text, artifact.path
        assert not re.search(r"[ \t]+$", text, re.MULTILINE), artifact.path
        assert "\n\n\n" not in text, artifact.path


def test_deterministic(plan: Plan) -> None:
    first = [(a.path, a.data) for a in emit_bicep(plan)]
    assert first == [(a.path, a.data) for a in emit_bicep(plan)]
    assert first == [(a.path, a.data) for a in emit_bicep(plan, ROOT / "templates")]


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


# -- the same deployment as the ARM template -------------------------------------------------------
def bicep_files(pair: Pair) -> dict[str, list[Decl]]:
    return {path: declarations(parse(a.text)) for path, a in pair.bicep.items() if path.endswith(".bicep")}


def test_same_resource_types_and_api_versions(plan: Plan) -> None:
    pair = emitted(plan)
    arm = arm_resources(pair.template["resources"])
    bicep = [
        tuple(d.type_or_path.rsplit("@", 1))
        for decls in bicep_files(pair).values()
        for d in decls
        if d.kind == "resource" and not d.existing
    ]
    arm_declared = [(r["type"], r["apiVersion"]) for r in arm if r["type"] != DEPLOYMENT]
    assert Counter(bicep) == Counter(arm_declared)
    assert set(bicep) == {(t, v) for t, v in arm_declared}
    # Bicep writes each module as a deployment and picks that resource's API version itself.
    modules = [d for decls in bicep_files(pair).values() for d in decls if d.kind == "module"]
    assert len(modules) == sum(r["type"] == DEPLOYMENT for r in arm)


def test_same_parameters(plan: Plan) -> None:
    pair = emitted(plan)
    arm = pair.template["parameters"]
    params = [d for d in pair.main if d.kind == "param"]
    assert [d.symbol for d in params] == list(arm)
    for decl in params:
        spec = arm[decl.symbol]
        assert decl.type_or_path == spec["type"]
        (description,) = decl.decorators
        function, args = call_parts(named(description)[0])
        assert function == "description"
        assert [decode_string(a) for a in args] == [spec["metadata"]["description"]]
        has_default = decl.body.type != "primitive_type" and decl.body.type != "type"
        assert has_default == ("defaultValue" in spec), decl.symbol
        if has_default:
            assert literal(decl.body) == spec["defaultValue"]


def test_same_identities_and_outputs(plan: Plan) -> None:
    pair = emitted(plan)
    modules = pair.identity_modules()
    assert [m.module.name for m in modules] == [i.deployment_name for i in plan.identities]
    assert [m.identity_name for m in modules] == [i.name for i in plan.identities]
    by_identity = {}
    for m in modules:
        (arm,) = [r for r in m.template["resources"] if r["type"] == IDENTITY]
        assert m.identity_name == arm["name"]
        assert m.identity.type_or_path == f"{IDENTITY}@{arm['apiVersion']}"
        props = properties(m.identity.body)
        assert props["location"].text == b"location" and arm["location"] == "[parameters('location')]"
        assert props["properties"].text == b"{}" and arm["properties"] == {}
        # the module's parameters and outputs are those of the nested template: location, issuer, and
        # the parameters it hands down (per-environment targets, conditions of its credentials)
        params = [d for d in m.decls if d.kind == "param"]
        handed_down = identity_of(plan, m.module.name).template_parameters()
        assert (
            [d.symbol for d in params]
            == list(m.template["parameters"])
            == ["location", "issuer", *handed_down]
        )
        assert [d.type_or_path for d in params] == [p["type"] for p in m.template["parameters"].values()]
        types = {p.name: p.type for p in plan.parameters}
        assert [d.type_or_path for d in params[2:]] == [types[n] for n in handed_down]
        outputs = [d for d in m.decls if d.kind == "output"]
        keys = ["clientId", "principalId", "tenantId"]
        assert [d.symbol for d in outputs] == list(m.template["outputs"]) == keys
        for decl in outputs:
            spec = m.template["outputs"][decl.symbol]
            assert decl.type_or_path == spec["type"] == "string"
            assert decl.body.text.decode() == f"{m.identity.symbol}.properties.{decl.symbol}"
            identity_ref = f"[reference(resourceId('{IDENTITY}', '{arm['name']}'), '{arm['apiVersion']}')"
            assert spec["value"] == f"{identity_ref}.{decl.symbol}]"
        by_identity[m.identity_name] = m
    outputs = {d.symbol: d for d in pair.main if d.kind == "output"}
    assert list(outputs) == list(pair.template["outputs"])
    assert outputs["identities"].type_or_path == "object"
    assert outputs["oidcIssuerUrl"].type_or_path == "string"
    values = properties(outputs["identities"].body)
    arm_values = pair.template["outputs"]["identities"]["value"]
    assert list(values) == list(arm_values) == [i.name for i in plan.identities]
    for name, value in values.items():
        m = by_identity[name]
        fields = {k: v.text.decode() for k, v in properties(value).items()}
        condition = identity_of(plan, m.module.name).condition
        deployment = f"[reference(resourceId('{DEPLOYMENT}', '{m.module.name}'), '{m.arm['apiVersion']}')"
        if condition is None:
            assert fields == {
                k: f"{m.module.decl.symbol}.outputs.{k}" for k in ("clientId", "principalId", "tenantId")
            }
            assert arm_values[name] == {k: f"{deployment}.outputs.{k}.value]" for k in fields}
            continue
        # an identity of some environments only: its outputs are empty where it is not deployed, read
        # with Bicep's safe dereference (a plain `.outputs` of a conditional module is BCP318) and as
        # `bicep build` compiles it
        assert fields == {
            k: f"{m.module.decl.symbol}.?outputs.{k} ?? ''" for k in ("clientId", "principalId", "tenantId")
        }
        assert arm_values[name] == {
            k: f"[coalesce(tryGet(if(parameters('{condition}'), {deployment[1:]}, null()), 'outputs', '{k}', "
            "'value'), '')]"
            for k in fields
        }


def bicep_fics(decls: list[Decl]) -> dict[str, dict[str, Any]]:
    """FIC symbol -> identity name, FIC name, subject, audiences, dependencies; in declaration order."""
    identity_names = {
        d.symbol: decode_string(properties(d.body)["name"])
        for d in decls
        if d.kind == "resource" and d.type_or_path.startswith(IDENTITY + "@")
    }
    out = {}
    for decl in decls:
        if decl.kind != "resource" or not decl.type_or_path.startswith(FIC + "@"):
            continue
        props = properties(decl.body)
        fic = properties(props["properties"])
        depends = [n.text.decode() for n in named(props["dependsOn"])] if "dependsOn" in props else []
        condition = named(decl.body)[0].text.decode() if decl.body.type == "if_statement" else None
        out[decl.symbol] = {
            "identity": identity_names[props["parent"].text.decode()],
            "name": decode_string(props["name"]),
            "subject": decode_string(fic["subject"]),
            "audiences": [decode_string(n) for n in named(fic["audiences"])],
            "issuer": fic["issuer"].text.decode(),
            "depends": depends,
            "condition": condition,
        }
    return out


def test_same_federated_credentials_and_ordering(plan: Plan) -> None:
    pair = emitted(plan)
    # every credential lives in the nested deployment (the module) of its identity
    assert not [r for r in pair.template["resources"] if r["type"] == FIC] and not bicep_fics(pair.main)
    everywhere = [r for r in arm_resources(pair.template["resources"]) if r["type"] == FIC]
    checked = 0
    for m in pair.identity_modules():
        arm = [r for r in m.template["resources"] if r["type"] == FIC]
        bicep = bicep_fics(m.decls)
        symbols = {(f["identity"], f["name"]): s for s, f in bicep.items()}
        arm_keys = []
        for resource in arm:
            _, identity, name = arm_literals(resource["name"])
            assert identity == m.identity_name
            arm_keys.append((identity, name))
            fic = bicep[symbols[(identity, name)]]
            assert fic["subject"] == arm_plain(resource["properties"]["subject"])
            assert fic["audiences"] == resource["properties"]["audiences"] == ["api://AzureADTokenExchange"]
            assert resource["dependsOn"][0] == f"[resourceId('{IDENTITY}', '{identity}')]"
            assert not any("extensionResourceId" in d for d in resource["dependsOn"])  # the module waits
            previous = [arm_literals(d)[1:] for d in resource["dependsOn"] if FIC in d]
            expected = [symbols[(p[0], p[1])] for p in previous]
            assert fic["depends"] == expected
            assert fic["issuer"] == "issuer" and resource["properties"]["issuer"] == "[parameters('issuer')]"
            # a ServiceAccount of some environments only: the credential has a bool parameter as condition
            (planned,) = [f for f in identity_of(plan, m.module.name).credentials if f.name == name]
            if planned.condition is None:
                assert fic["condition"] is None and "condition" not in resource
            else:
                assert fic["condition"] == f"({planned.condition})"
                assert resource["condition"] == f"[parameters('{planned.condition}')]"
        assert arm_keys == [(f["identity"], f["name"]) for f in bicep.values()]  # the same order
        assert len(bicep) == len(arm)
        checked += len(arm)
        # the cluster and the issuer, one level up: the identity module and its nested deployment
        waits_for_cluster = any("extensionResourceId" in d for d in m.arm.get("dependsOn", []))
        assert ("clusterWorkloadIdentity" in m.module.depends) == waits_for_cluster
        assert waits_for_cluster == plan.enables_workload_identity
        pinned = "oidcIssuerUrl" in m.arm["properties"]["parameters"]["issuer"]["value"]
        assert ("oidcIssuerUrl" in m.module.params["issuer"]) == pinned == plan.pins_issuer
    assert checked == len(everywhere) == sum(len(i.credentials) for i in plan.identities) > 0


def test_federated_credentials_of_one_identity_are_chained() -> None:
    pair = emitted(plan_from(RICH_SPEC))
    by_identity: dict[str, list[str]] = {}
    for m in pair.identity_modules():
        fics = bicep_fics(m.decls)
        symbols = list(fics)
        assert {f["identity"] for f in fics.values()} == {m.identity_name}
        by_identity[m.identity_name] = symbols
        for previous, current in itertools.pairwise(symbols):
            assert fics[current]["depends"] == [previous]
        assert fics[symbols[0]]["depends"] == []  # the module waits for the cluster, not the credential
    assert len(by_identity["api-reader"]) == 3


def nested_deployments(
    pair: Pair, path: str, resources: list[dict[str, Any]], plan: Plan, seen: list[str]
) -> None:
    """Modules of a Bicep file against the nested deployments of its template, recursively."""
    arm = {deployment_name_key(r["name"]): r for r in resources if r["type"] == DEPLOYMENT}
    modules = {m.name: m for m in pair.modules(path)}
    assert sorted(modules) == sorted(arm), path
    identities = {i.deployment_name: i for i in plan.identities}
    for name, module in modules.items():
        seen.append(name)
        scope = scope_of(module.props["scope"]) if "scope" in module.props else Scope("resourceGroup", ())
        assert scope == arm_scope(arm[name]), name
        assert module.path in pair.bicep, (path, module.decl.type_or_path)
        if name == f"wlid-cluster-{plan.name}":
            assert path == MAIN
            continue
        params = module.params
        if name in identities:
            assert path == MAIN and name == f"wlid-id-{identities[name].name}"
            assert module.path == f"azure/modules/{name}.bicep"
            handed_down = identities[name].template_parameters()
            expected = ["location", "issuer", *handed_down]
            assert list(params) == list(arm[name]["properties"]["parameters"]) == expected
            assert params["location"] == "location"
            assert arm[name]["properties"]["parameters"]["location"]["value"] == "[parameters('location')]"
            for handed in handed_down:  # passed on unchanged, under the same name
                assert params[handed] == handed
                assert arm[name]["properties"]["parameters"][handed]["value"] == f"[parameters('{handed}')]"
            condition = identities[name].condition
            assert (module.decl.body.type == "if_statement") == (condition is not None)
            if condition is None:
                assert "condition" not in arm[name]
            else:
                assert named(module.decl.body)[0].text.decode() == f"({condition})"
                assert arm[name]["condition"] == f"[parameters('{condition}')]"
            waits = ["clusterWorkloadIdentity"] if plan.enables_workload_identity else []
            assert module.depends == waits
            assert len(arm[name].get("dependsOn", [])) == len(waits)
            nested_deployments(
                pair, module.path, arm[name]["properties"]["template"]["resources"], plan, seen
            )
            continue
        # a role deployment: nested in the deployment of its identity, next to its file
        assert posixpath.dirname(module.path) == posixpath.dirname(path) == "azure/modules", name
        role = role_deployment_of(plan, name)
        assert module.decl.type_or_path == f"{role.name}.bicep"
        # at subscription scope the name carries a hash of the identities' resource group and its
        # location, as the deployment's location is that resource group's (as bicep build writes it)
        if role.at_subscription:
            assert name == (
                f"[format('{role.name_base()}-{{0}}',uniqueString(resourceGroup().id))]"
            )
            assert arm[name]["location"] == "[resourceGroup().location]"
        else:
            assert name == role.name and "location" not in arm[name]
        identity = [
            d
            for d in pair.decls(path)
            if d.kind == "resource" and f"{d.symbol}.properties.principalId" in params.values()
        ]
        identity_name = decode_string(properties(identity[0].body)["name"])
        assert path == f"azure/modules/wlid-id-{identity_name}.bicep"
        assert role.name.startswith(f"wlid-roles-{identity_name}-")
        handed_down = role.template_parameters()
        assert params == {
            "principalId": f"{identity[0].symbol}.properties.principalId",
            **{handed: handed for handed in handed_down},
        }
        for handed in handed_down:
            assert arm[name]["properties"]["parameters"][handed]["value"] == f"[parameters('{handed}')]"
        assert module.decl.body.type != "if_statement" and "condition" not in arm[name]
        principal = arm[name]["properties"]["parameters"]["principalId"]["value"]
        assert arm_literals(principal)[1] == identity_name
        assert arm[name]["dependsOn"] == [f"[resourceId('{IDENTITY}', '{identity_name}')]"]


def test_same_nested_deployments(plan: Plan) -> None:
    pair = emitted(plan)
    seen: list[str] = []
    nested_deployments(pair, MAIN, pair.template["resources"], plan, seen)
    arm = [
        deployment_name_key(r["name"])
        for r in arm_resources(pair.template["resources"])
        if r["type"] == DEPLOYMENT
    ]
    assert sorted(seen) == sorted(arm)
    roles = [d.name for i in plan.identities for d in i.role_deployments]
    assert len(arm) == len(roles) + len(plan.identities) + plan.enables_workload_identity
    top = [r["name"] for r in pair.template["resources"]]
    assert not set(roles) & set(top)  # every role deployment is nested in its identity's


def bicep_role_assignments(decls: list[Decl]) -> set[tuple[Any, ...]]:
    targets = {d.symbol: d for d in decls if d.kind == "resource" and d.existing}
    out = set()
    for decl in decls:
        if decl.kind != "resource" or decl.existing:
            continue
        props = properties(decl.body)
        function, (scope, principal, definition) = call_parts(props["name"])
        assert function == "guid" and principal.text == b"principalId"
        scope_text = scope.text.decode()
        if scope_text in ("resourceGroup().id", "subscription().id"):
            key: tuple[str, ...] = (scope_text.split("(")[0],)
            assert "scope" not in props
        else:
            symbol = scope_text.removesuffix(".id")
            assert props["scope"].text.decode() == symbol
            target = targets[symbol]
            target_name = properties(target.body)["name"]
            key = (
                "resource",
                target.type_or_path.rsplit("@", 1)[0],
                # a name per environment: the parameter that carries it
                ParamRef(target_name.text.decode())
                if target_name.type == "identifier"
                else decode_string(target_name),
            )
        function, (kind, role) = call_parts(definition)
        assert function == "subscriptionResourceId"
        assert decode_string(kind) == "Microsoft.Authorization/roleDefinitions"
        inner = properties(props["properties"])
        assert inner["roleDefinitionId"].text == definition.text
        assert inner["principalId"].text == b"principalId"
        assert decode_string(inner["principalType"]) == "ServicePrincipal"
        description = decode_string(inner["description"]) if "description" in inner else None
        out.add((key, decode_string(role), description))
    return out


def arm_role_assignments(template: dict[str, Any]) -> set[tuple[Any, ...]]:
    out = set()
    for resource in template["resources"]:
        scope = arm_guid_scope(resource["name"])
        role = arm_literals(resource["name"].split("subscriptionResourceId(")[1])[1]
        if scope[0] == "resource" and isinstance(scope[2], ParamRef):
            assert resource["scope"] == arm_expr.scope_path(scope[1], scope[2])
        elif scope[0] == "resource":
            assert resource["scope"] == arm_expr.relative_scope(scope[1], scope[2])
        description = resource["properties"].get("description")
        out.add((scope, role, arm_plain(description) if description is not None else None))
    return out


def test_same_role_assignments(plan: Plan) -> None:
    pair = emitted(plan)
    checked = 0
    for m in pair.identity_modules():
        arm = {deployment_name_key(r["name"]): r for r in m.template["resources"] if r["type"] == DEPLOYMENT}
        for module in pair.modules(m.module.path):
            inner = arm[module.name]["properties"]["template"]
            decls = pair.decls(module.path)
            (target_scope,) = [
                n for n in named(parse(pair.bicep[module.path].text)) if n.type == "target_scope_assignment"
            ]
            scope = decode_string(named(target_scope)[0])
            assert scope == (
                "subscription" if "subscriptionDeploymentTemplate" in inner["$schema"] else "resourceGroup"
            )
            handed_down = role_deployment_of(plan, module.name).template_parameters()
            assert (
                [d.symbol for d in decls if d.kind == "param"]
                == list(inner["parameters"])
                == ["principalId", *handed_down]
            )
            assert bicep_role_assignments(decls) == arm_role_assignments(inner)
            checked += len(inner["resources"])
    assert checked == sum(len(d.assignments) for i in plan.identities for d in i.role_deployments)


def test_nested_resource_type_is_declared_by_its_slash_joined_name() -> None:
    pair = emitted(plan_from(RICH_SPEC))
    existing = [
        d for decls in bicep_files(pair).values() for d in decls if d.existing and d.symbol != "cluster"
    ]
    names = {(d.type_or_path, decode_string(properties(d.body)["name"])) for d in existing}
    assert (
        "Microsoft.Storage/storageAccounts/blobServices/containers@2022-09-01",
        "stblob/default/uploads",
    ) in names
    assert ("Microsoft.KeyVault/vaults@2023-07-01", "kv-app") in names
    # one declaration per target, shared by the two roles on kv-app
    assert sum(n == "kv-app" for _, n in names) == 1


def test_parameter_files_match_arm(plan: Plan) -> None:
    pair = emitted(plan)
    arm_params = pair.template["parameters"]
    for env in plan.environments:
        text = pair.bicep[f"azure/params/{env.name}.bicepparam"].text
        root = parse(bicepparam_as_bicep(text))
        statements = named(root)
        assert statements[0].type == "using_statement"
        assert decode_string(named(statements[0])[0]) == "../main.bicep"
        assert text.startswith("using '../main.bicep'\n")
        values = {named(s)[0].text.decode(): literal(named(s)[-1]) for s in statements[1:]}
        assert len(statements) - 1 == len(values) == len(arm_params)
        arm_file = json.loads(pair.arm[f"azure/params/{env.name}.parameters.json"].text)["parameters"]
        expected = {
            k: arm_plain(v["value"]) if isinstance(v["value"], str) else v["value"]
            for k, v in arm_file.items()
        }
        assert values == expected
        assert list(values) == list(arm_params)


def test_rich_environments_differ() -> None:
    pair = emitted(plan_from(RICH_SPEC))
    dev = pair.bicep["azure/params/dev.bicepparam"].text
    prod = pair.bicep["azure/params/prod.bicepparam"].text
    assert "param oidcIssuerUrl = 'https://westeurope.oic.prod-aks.azure.com/" in dev
    assert "param oidcIssuerUrl = ''\n" in prod
    assert "param enableWorkloadIdentity = false\n" in prod
    assert "param location = 'northeurope'\n" in prod


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


# -- escaping --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "literal"),
    [
        ("it's", r"'it\'s'"),
        ("C:\\temp", r"'C:\\temp'"),
        ("ends with \\", r"'ends with \\'"),
        ("${x}", r"'\${x}'"),
        ("$x {y} $", "'$x {y} $'"),
        ("$${", r"'$\${'"),
        ("\\${", r"'\\\${'"),
        ("a\nb\r\tc", r"'a\nb\r\tc'"),
        ("bell\x07 nul\x00 del\x7f", r"'bell\u{07} nul\u{00} del\u{7F}'"),
        ("line\u2028sep", r"'line\u{2028}sep'"),
        ("''", r"'\'\''"),
        ("", "''"),
        ("é😀", "'é😀'"),
        # tree-sitter-bicep reads `//` and `/*` opening a string segment as a comment
        ("//x", r"'\u{2F}/x'"),
        ("/*x*/", r"'\u{2F}*x*/'"),
        ("a//b $//c \n//d", r"'a//b $\u{2F}/c \n\u{2F}/d'"),
        ("///", r"'\u{2F}\u{2F}/'"),
        ("https://host/", "'https://host/'"),
    ],
)
def test_bicep_string(text: str, literal: str) -> None:
    out = bicep_string(text)
    assert out == literal
    assert isinstance(out, BicepText)


def _bicep_string_fast_path_agrees_with_the_escape_of_every_character(text: str) -> None:
    assert bicep_string(text) == "'" + escaped_body(text) + "'"


@settings(max_examples=100, deadline=None)
@given(st.text(st.sampled_from("ab/*${}# \\'\n\u2028") | st.characters(blacklist_categories=("Cs",))))
def test_bicep_string_fast_path_agrees_with_the_escape_of_every_character(text: str) -> None:
    _bicep_string_fast_path_agrees_with_the_escape_of_every_character(text)


@pytest.mark.slow
@settings(max_examples=500, deadline=None)
@given(st.text(st.sampled_from("ab/*${}# \\'\n\u2028") | st.characters(blacklist_categories=("Cs",))))
def test_bicep_string_fast_path_agrees_with_the_escape_of_every_character_thoroughly(text: str) -> None:
    _bicep_string_fast_path_agrees_with_the_escape_of_every_character(text)


def test_bicep_string_rejects_non_text() -> None:
    with pytest.raises(TypeError):
        bicep_string(1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="surrogate"):
        bicep_string("\ud800")


@pytest.mark.parametrize("name", ["a", "_x", "identity_my_id_2", "A9"])
def test_bicep_ident_accepts(name: str) -> None:
    assert bicep_ident(name) == name and isinstance(bicep_ident(name), BicepText)


@pytest.mark.parametrize("name", ["", "9a", "a-b", "a b", "a.b", "é", "a\n", 3])
def test_bicep_ident_rejects(name: Any) -> None:
    with pytest.raises(ValueError, match="identifier"):
        bicep_ident(name)


def test_bicep_key() -> None:
    assert bicep_key("myIdentity") == "myIdentity" and isinstance(bicep_key("a"), BicepText)
    assert bicep_key("api-reader") == "'api-reader'"
    assert bicep_key("1a") == "'1a'"
    assert bicep_key("it's") == r"'it\'s'"


def test_bicep_json_and_value() -> None:
    assert (bicep_json(True), bicep_json(False), bicep_json(42), bicep_json(-1), bicep_json(None)) == (
        "true",
        "false",
        "42",
        "-1",
        "null",
    )
    for wrong in ("true", 1.5, [1], {"a": 1}):
        with pytest.raises(TypeError):
            bicep_json(wrong)  # type: ignore[arg-type]
    assert bicep_value("x'") == r"'x\''" and bicep_value(True) == "true"


ALPHABET = st.one_of(
    st.sampled_from(
        [
            *("'", "\\", "$", "{", "}", "${", "\n", "\r", "\t", "\x00", "\x7f", "\u2028"),
            *("'''", "#", "/", "*", "//", "/*"),
        ]
    ),
    st.characters(codec="utf-8"),
)


def _bicep_string_round_trips_through_the_parser(text: str) -> None:
    literal = bicep_string(text)
    source = f"var s = {literal}\n"
    assert first_syntax_problem(source) is None, source
    (decl,) = named(parse(source))
    assert decl.type == "variable_declaration"
    value = named(decl)[-1]
    assert value.type == "string"
    assert decode_string(value) == text


@settings(max_examples=60, deadline=None)
@given(st.lists(ALPHABET, max_size=30).map("".join))
def test_bicep_string_round_trips_through_the_parser(text: str) -> None:
    _bicep_string_round_trips_through_the_parser(text)


@pytest.mark.slow
@settings(max_examples=400, deadline=None)
@given(st.lists(ALPHABET, max_size=30).map("".join))
def test_bicep_string_round_trips_through_the_parser_thoroughly(text: str) -> None:
    _bicep_string_round_trips_through_the_parser(text)


def test_the_decoder_rejects_what_bicep_rejects() -> None:
    for source in (r"var s = 'a\x41'", r"var s = 'a\a'", "var s = 'a${b}'", "var s = '/*x*/'"):
        (decl,) = named(parse(source + "\n"))
        with pytest.raises(NotALiteral):
            decode_string(named(decl)[-1])


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


