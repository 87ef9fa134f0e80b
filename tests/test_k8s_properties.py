"""The Kubernetes emitter on random specs and its determinism: well-formed YAML, exactly the objects of
the plan in each overlay, names that YAML readers could take for other types."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import write_tree
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from k8s_schemas import schema_errors
from k8s_trees import (
    MULTI_SPEC,
    PATCHES,
    base_object,
    by_path,
    check_kustomizations,
    expected_objects,
    is_kustomization,
    kustomize,
    needs_kubectl,
    plan_of,
    plan_of_data,
)
from overlay_build import build_overlay

from wlid_render.emit.k8s import emit_kubernetes
from wlid_render.plan.model import Plan


def is_patch_file(path: str) -> bool:
    return path.startswith("k8s/overlays/") and path.endswith(f"/{PATCHES}")


# -- determinism and properties -------------------------------------------------------------------
def test_two_emissions_are_equal(multi_plan: Plan) -> None:
    first = emit_kubernetes(multi_plan)
    second = emit_kubernetes(plan_of(MULTI_SPEC))
    assert first == second
    assert [a.data for a in first] == [a.data for a in second]


def ambiguous_spec() -> dict[str, Any]:
    data = yaml.safe_load(MULTI_SPEC)
    data["serviceAccounts"] = [{"name": "true", "namespace": "0123", "identity": "api-identity"}]
    data["workloads"] = [
        {
            "name": "1e3",
            "kind": "Deployment",
            "serviceAccount": "true",
            "labels": {"tier": "no"},
            "containers": [{"name": "on", "image": "busybox", "env": {"PORT": "8080"}}],
        }
    ]
    return data


def test_ambiguous_names_stay_strings() -> None:
    tree = by_path(emit_kubernetes(plan_of_data(ambiguous_spec())))
    assert tree["k8s/base/kustomization.yaml"]["resources"] == ["0123"]
    assert tree["k8s/overlays/dev/kustomization.yaml"]["resources"] == ["0123"]
    assert base_object(tree, "Namespace", "", "0123")["metadata"]["name"] == "0123"
    account = base_object(tree, "ServiceAccount", "0123", "true")["metadata"]
    assert (account["name"], account["namespace"]) == ("true", "0123")
    deployment = base_object(tree, "Deployment", "0123", "1e3")
    assert deployment["metadata"]["name"] == "1e3"
    assert deployment["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"] == "1e3"
    pod = deployment["spec"]["template"]
    assert pod["metadata"]["labels"]["tier"] == "no"
    assert pod["spec"]["serviceAccountName"] == "true"
    assert pod["spec"]["containers"][0]["name"] == "on"
    assert pod["spec"]["containers"][0]["env"] == [{"name": "PORT", "value": "8080"}]
    assert schema_errors(deployment) == []


@pytest.mark.kubectl
@needs_kubectl
def test_kustomize_reads_ambiguous_names_as_strings(tmp_path: Path) -> None:
    write_tree(emit_kubernetes(plan_of_data(ambiguous_spec())), tmp_path)
    for env in ("dev", "prod"):
        objects = kustomize(tmp_path / "k8s" / "overlays" / env)
        assert {(o["kind"], o["metadata"]["name"]) for o in objects} == {
            ("Namespace", "0123"),
            ("ServiceAccount", "true"),
            ("Deployment", "1e3"),
        }
        for obj in objects:
            assert schema_errors(obj) == [], obj["kind"]


def test_emitter_does_not_change_the_plan(multi_plan: Plan) -> None:
    before = repr(multi_plan)
    emit_kubernetes(multi_plan)
    assert repr(multi_plan) == before


# Valid DNS-1123 labels that a YAML reader could take for a number, a boolean or a date.
AMBIGUOUS_NAMES = ["true", "no", "on", "y", "123", "0123", "0x1f", "1e3", "0o17", "2001-12-14", "1-2"]
DNS_LABEL = st.one_of(
    st.sampled_from(AMBIGUOUS_NAMES),
    st.from_regex(r"[a-z0-9]([a-z0-9-]{0,18}[a-z0-9])?", fullmatch=True),
)
KINDS = ["Pod", "Deployment", "StatefulSet", "Job", "CronJob"]


LIMITS = [None, ["dev"], ["prod"], ["dev", "prod"]]


@st.composite
def random_specs(draw: st.DrawFn, limits: bool = False) -> dict[str, Any]:
    """Random names; with `limits`, ServiceAccounts and workloads limited to some environments and
    values that differ per environment, so that overlays hold resources and patches of their own."""
    accounts = draw(
        st.lists(st.tuples(DNS_LABEL, DNS_LABEL), min_size=1, max_size=4, unique=True)
    )  # (namespace, name)
    only_in = {account: draw(st.sampled_from(LIMITS)) if limits else None for account in accounts}
    workloads = []
    for i in range(draw(st.integers(min_value=0, max_value=5))):
        namespace, account = draw(st.sampled_from(accounts))
        kind = draw(st.sampled_from(KINDS))
        tag = "${env}" if limits and draw(st.booleans()) else "1"
        workload: dict[str, Any] = {
            "name": draw(DNS_LABEL),
            "kind": kind,
            "serviceAccount": account,
            "namespace": namespace,
            "containers": [{"name": draw(DNS_LABEL), "image": f"registry.example/app{i}:{tag}"}],
        }
        if only_in[(namespace, account)] is not None:
            workload["environments"] = only_in[(namespace, account)]
        if kind == "CronJob":
            workload["schedule"] = "*/5 * * * *"
        if kind in ("Deployment", "StatefulSet"):
            workload["replicas"] = draw(st.integers(min_value=0, max_value=5))
        workloads.append(workload)
    # Federated credential names join namespace and name with '-'; keep the generated names apart.
    account_names = {f"{ns}-{name}" for ns, name in accounts}
    workload_keys = {(w["kind"], w["namespace"], w["name"]) for w in workloads}
    assume(len(account_names) == len(accounts) and len(workload_keys) == len(workloads))
    service_accounts = []
    for ns, name in accounts:
        account: dict[str, Any] = {"name": name, "namespace": ns, "identity": "prop-identity"}
        if only_in[(ns, name)] is not None:
            account["environments"] = only_in[(ns, name)]
        service_accounts.append(account)
    return {
        "apiVersion": "wlid/v1",
        "kind": "WorkloadIdentitySpec",
        "metadata": {"name": "prop"},
        "azure": {
            "subscriptionId": "44444444-4444-4444-4444-444444444444",
            "resourceGroup": "rg-prop",
            "location": "eastus",
        },
        "cluster": {"name": "aks-prop"},
        "identities": [{"name": "prop-identity"}],
        "serviceAccounts": service_accounts,
        "workloads": workloads,
        # each environment its own identity: their ServiceAccounts (and so credentials) differ
        "environments": {"dev": {}, "prod": {"azure": {"resourceGroup": "rg-prop-prod"}}},
    }


def _random_names_give_well_formed_yaml(data: dict[str, Any]) -> None:
    plan = plan_of_data(data)
    artifacts = emit_kubernetes(plan)
    assert artifacts == emit_kubernetes(plan)
    names = {a["name"] for a in data["serviceAccounts"]} | {w["name"] for w in data["workloads"]}
    names |= {a["namespace"] for a in data["serviceAccounts"]}
    tree = by_path(artifacts)
    check_kustomizations(tree)
    objects = 0
    for artifact in artifacts:
        docs = list(yaml.safe_load_all(artifact.text))
        if is_patch_file(artifact.path):
            namespace = artifact.path.split("/")[3]
            base = tree[f"k8s/base/{namespace}/serviceaccounts.yaml"]
            account_order = [(d["metadata"]["namespace"], d["metadata"]["name"]) for d in base]
            patched = [(d["metadata"]["namespace"], d["metadata"]["name"]) for d in docs]
            assert patched == account_order, artifact.path
        elif is_kustomization(artifact.path):
            assert len(docs) == 1, artifact.path
        for obj in docs:
            assert isinstance(obj, dict), artifact.path
            if artifact.path.endswith("/kustomization.yaml"):
                assert list(obj)[:2] == ["apiVersion", "kind"]
                continue
            assert list(obj)[:3] == ["apiVersion", "kind", "metadata"], artifact.path
            assert isinstance(obj["metadata"]["name"], str)
            assert obj["metadata"]["name"] in names
            if "namespace" in obj["metadata"]:
                assert isinstance(obj["metadata"]["namespace"], str)
            objects += 1
    expected = (
        len(plan.namespaces) + len(plan.service_accounts) * (1 + len(plan.environments)) + len(plan.workloads)
    )
    assert objects == expected


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_specs())
def test_random_names_give_well_formed_yaml(data: dict[str, Any]) -> None:
    _random_names_give_well_formed_yaml(data)


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_specs())
def test_random_names_give_well_formed_yaml_thoroughly(data: dict[str, Any]) -> None:
    _random_names_give_well_formed_yaml(data)


def _the_overlays_hold_exactly_the_objects_of_the_plan(data: dict[str, Any]) -> None:
    plan = plan_of_data(data)
    tree = by_path(emit_kubernetes(plan))
    check_kustomizations(tree)
    texts = {a.path: a.text for a in emit_kubernetes(plan)}
    total = 0
    for env in plan.environments:
        built = build_overlay(texts, env.name)
        assert built == expected_objects(plan, env.name), env.name
        workloads = [w for w in env.workloads if not w.existing]
        assert len(built) == len(env.namespaces) + len(env.service_accounts) + len(workloads)
        total += len(built)
        folders = {key[3] if key[1] == "Namespace" else key[2] for key in built}
        assert tree[f"k8s/overlays/{env.name}/kustomization.yaml"]["resources"] == sorted(folders)
    planned = sum(
        len(e.namespaces) + len(e.service_accounts) + len([w for w in e.workloads if not w.existing])
        for e in plan.environments
    )
    assert total == planned


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_specs(limits=True))
def test_the_overlays_hold_exactly_the_objects_of_the_plan(data: dict[str, Any]) -> None:
    _the_overlays_hold_exactly_the_objects_of_the_plan(data)


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_specs(limits=True))
def test_the_overlays_hold_exactly_the_objects_of_the_plan_thoroughly(data: dict[str, Any]) -> None:
    _the_overlays_hold_exactly_the_objects_of_the_plan(data)
