"""Large estates are split into several top-level deployments, each within ARM's limits, stably."""

from __future__ import annotations

import json

import pytest
from conftest import SPECS
from generate import spec_text
from hypothesis import given, settings
from hypothesis import strategies as st

from wlid_render.emit.arm import emit_arm
from wlid_render.emit.bicep import emit_bicep
from wlid_render.plan.deployments import RESOURCE_BUDGET, bucket, plan_deployments, weight
from wlid_render.plan.model import FederatedCredential, IdentityPlan, Parameter
from wlid_render.plan.source import plan_source
from wlid_render.spec.load import load_file, load_text
from wlid_render.validate.arm_schema import parameters_errors, template_errors

ARM_TEMPLATE_LIMIT = 4 * 1024 * 1024
PARAMS = (
    Parameter("location", "string", "", (("dev", "westeurope"),)),
    Parameter("clusterName", "string", "", (("dev", "aks"),)),
    Parameter("clusterResourceGroup", "string", "", (("dev", "rg"),)),
    Parameter("clusterSubscriptionId", "string", "", (("dev", "sub"),)),
    Parameter("enableWorkloadIdentity", "bool", "", (("dev", True),)),
)


def _identity(name: str, fics: int = 20) -> IdentityPlan:
    credentials = tuple(FederatedCredential(f"fic-{n}", "ns", f"sa-{n}") for n in range(fics))
    return IdentityPlan(name, f"wlid-id-{name}", f"WLID_{name}", credentials, ())


def _resources(template):
    for resource in template["resources"]:
        yield resource
        if resource["type"] == "Microsoft.Resources/deployments":
            yield from _resources(resource["properties"]["template"])


@pytest.fixture(scope="module")
def big():
    plan = plan_source(load_text(spec_text(1000), "n1000.yaml"))
    return plan, {a.path: a.text for a in [*emit_arm(plan), *emit_bicep(plan)]}


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_small_specs_keep_one_deployment(spec):
    plan = plan_source(load_file(str(spec)))
    assert [d.stem for d in plan.deployments] == ["main"]
    assert plan.deployments[0].identities == plan.identities
    assert plan.deployments[0].parameters == plan.parameters


def test_a_thousand_workloads_are_split_and_every_identity_is_deployed_once(big):
    plan, _files = big
    stems = [d.stem for d in plan.deployments]
    assert stems[0] == "main" and len(stems) >= 3
    assert not plan.deployments[0].identities
    deployed = [i.name for d in plan.deployments for i in d.identities]
    assert sorted(deployed) == sorted(i.name for i in plan.identities)
    for d in plan.deployments[1:]:
        assert d.name == f"wlid-{plan.name}.{d.stem}" and len(d.name) <= 64
        assert sum(weight(i) for i in d.identities) <= RESOURCE_BUDGET


@pytest.mark.slow  # the official ARM schema on every template of 1,000 workloads: seconds
def test_every_split_template_is_valid_and_within_the_limits(big):
    plan, files = big
    for d in plan.deployments:
        text = files[d.template_path()]
        doc = json.loads(text)
        assert len(text.encode()) < ARM_TEMPLATE_LIMIT
        assert len(list(_resources(doc))) <= RESOURCE_BUDGET
        assert len(doc["parameters"]) <= 256 and len(doc.get("outputs", {})) <= 64
        assert template_errors(doc) == []
        for env in plan.environments:
            params = json.loads(files[d.parameters_path(env.name)])
            assert parameters_errors(params) == []
            assert set(params["parameters"]) == set(doc["parameters"]), (d.stem, env.name)
            bicepparam = files[d.parameters_path(env.name, bicep=True)]
            assert f"using '../{d.stem}.bicep'" in bicepparam
        assert d.template_path(bicep=True) in files
        outputs = doc.get("outputs", {})
        if d.identities:
            assert set(outputs["identities"]["value"]) == {i.name for i in d.identities}
            assert all("dependsOn" not in r for r in doc["resources"])  # main runs first
        else:
            assert "identities" not in outputs


def test_groups_are_stable_when_an_identity_is_added():
    identities = tuple(_identity(f"id-{n:03d}") for n in range(100))
    before = plan_deployments("s", identities, PARAMS, True)
    after = plan_deployments("s", (*identities, _identity("id-new")), PARAMS, True)
    where = {i.name: d.stem for d in before for i in d.identities}
    where_after = {i.name: d.stem for d in after for i in d.identities}
    assert len(before) == len(after)  # the number of groups did not change ...
    assert {n: where_after[n] for n in where} == where  # ... so nobody moved


@settings(max_examples=50, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=20), min_size=1, max_size=50, unique=True), st.integers(1, 10))
def test_doubling_the_groups_splits_each_group_in_two(names, power):
    groups = 2**power
    for name in names:
        assert bucket(name, 2 * groups) in (bucket(name, groups), bucket(name, groups) + groups)


def test_the_number_of_groups_is_the_smallest_that_fits():
    identities = tuple(_identity(f"id-{n:03d}") for n in range(200))  # 22 resources each
    deployments = plan_deployments("s", identities, PARAMS, True)
    groups = deployments[1:]
    assert all(sum(weight(i) for i in d.identities) <= RESOURCE_BUDGET for d in groups)
    count = int(groups[-1].stem.rsplit("-", 1)[1]) + 1
    assert count & (count - 1) == 0  # a power of two
    half = [sum(weight(i) for i in identities if bucket(i.name, count // 2) == g) for g in range(count // 2)]
    assert max(half) > RESOURCE_BUDGET  # half as many groups would overflow one


def test_main_keeps_only_the_cluster_parameters_when_split():
    identities = tuple(_identity(f"id-{n:03d}") for n in range(100))
    main, *groups = plan_deployments("s", identities, PARAMS, True)
    assert main.cluster_update and not main.identities and not main.outputs_identities
    assert [p.name for p in main.parameters] == [
        "clusterName",
        "clusterResourceGroup",
        "clusterSubscriptionId",
        "enableWorkloadIdentity",
    ]
    for group in groups:
        assert not group.cluster_update
        assert "enableWorkloadIdentity" not in [p.name for p in group.parameters]
