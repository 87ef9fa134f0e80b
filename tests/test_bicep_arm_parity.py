"""The Bicep files deploy the same as the ARM template: resource types and API versions, parameters,
identities and outputs, federated credentials and their order, nested deployments, role assignments,
parameter files."""

from __future__ import annotations

import itertools
import json
import posixpath
import re
from collections import Counter
from typing import Any

import pytest
from bicep_plans import RICH_SPEC, plan_from

from wlid_render.emit import arm_expr
from wlid_render.emit import arm_roles as arm_emit
from wlid_render.plan.model import IdentityPlan, ParamRef, Plan, RoleDeployment
from wlid_render.validate.arm_expressions import literals as arm_literals
from wlid_render.validate.arm_expressions import plain as arm_plain
from wlid_render.validate.arm_names import deployment_name_key
from wlid_render.validate.arm_template import arm_scope
from wlid_render.validate.bicep_file import Decl, declarations, scope_of
from wlid_render.validate.bicep_syntax import (
    bicepparam_as_bicep,
    call_parts,
    decode_string,
    literal,
    named,
    parse,
    properties,
)
from wlid_render.validate.keys import Scope

pytest.importorskip("tree_sitter")
pytest.importorskip("tree_sitter_bicep")
from bicep_pairs import DEPLOYMENT, IDENTITY, MAIN, Pair, emitted

FIC = f"{IDENTITY}/federatedIdentityCredentials"


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


# -- the same deployment as the ARM template -------------------------------------------------------
def bicep_files(pair: Pair) -> dict[str, list[Decl]]:
    return {path: declarations(parse(a.text)) for path, a in pair.bicep.items() if path.endswith(".bicep")}


def test_same_resource_types_and_api_versions(bicep_plan: Plan) -> None:
    pair = emitted(bicep_plan)
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


def test_same_parameters(bicep_plan: Plan) -> None:
    pair = emitted(bicep_plan)
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


def test_same_identities_and_outputs(bicep_plan: Plan) -> None:
    pair = emitted(bicep_plan)
    modules = pair.identity_modules()
    assert [m.module.name for m in modules] == [i.deployment_name for i in bicep_plan.identities]
    assert [m.identity_name for m in modules] == [i.name for i in bicep_plan.identities]
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
        handed_down = identity_of(bicep_plan, m.module.name).template_parameters()
        assert (
            [d.symbol for d in params]
            == list(m.template["parameters"])
            == ["location", "issuer", *handed_down]
        )
        assert [d.type_or_path for d in params] == [p["type"] for p in m.template["parameters"].values()]
        types = {p.name: p.type for p in bicep_plan.parameters}
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
    assert list(values) == list(arm_values) == [i.name for i in bicep_plan.identities]
    for name, value in values.items():
        m = by_identity[name]
        fields = {k: v.text.decode() for k, v in properties(value).items()}
        condition = identity_of(bicep_plan, m.module.name).condition
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


def test_same_federated_credentials_and_ordering(bicep_plan: Plan) -> None:
    pair = emitted(bicep_plan)
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
            (planned,) = [f for f in identity_of(bicep_plan, m.module.name).credentials if f.name == name]
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
        assert waits_for_cluster == bicep_plan.enables_workload_identity
        pinned = "oidcIssuerUrl" in m.arm["properties"]["parameters"]["issuer"]["value"]
        assert ("oidcIssuerUrl" in m.module.params["issuer"]) == pinned == bicep_plan.pins_issuer
    assert checked == len(everywhere) == sum(len(i.credentials) for i in bicep_plan.identities) > 0


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


def test_same_nested_deployments(bicep_plan: Plan) -> None:
    pair = emitted(bicep_plan)
    seen: list[str] = []
    nested_deployments(pair, MAIN, pair.template["resources"], bicep_plan, seen)
    arm = [
        deployment_name_key(r["name"])
        for r in arm_resources(pair.template["resources"])
        if r["type"] == DEPLOYMENT
    ]
    assert sorted(seen) == sorted(arm)
    roles = [d.name for i in bicep_plan.identities for d in i.role_deployments]
    assert len(arm) == len(roles) + len(bicep_plan.identities) + bicep_plan.enables_workload_identity
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


def test_same_role_assignments(bicep_plan: Plan) -> None:
    pair = emitted(bicep_plan)
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
            handed_down = role_deployment_of(bicep_plan, module.name).template_parameters()
            assert (
                [d.symbol for d in decls if d.kind == "param"]
                == list(inner["parameters"])
                == ["principalId", *handed_down]
            )
            assert bicep_role_assignments(decls) == arm_role_assignments(inner)
            checked += len(inner["resources"])
    assert checked == sum(len(d.assignments) for i in bicep_plan.identities for d in i.role_deployments)


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


def test_parameter_files_match_arm(bicep_plan: Plan) -> None:
    pair = emitted(bicep_plan)
    arm_params = pair.template["parameters"]
    for env in bicep_plan.environments:
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


