"""The Kubernetes emitter against the real tools: the strict Kubernetes schemas and `kubectl kustomize`
of every overlay (objects, placeholders, namespaces of some environments only)."""

from __future__ import annotations

import copy
import dataclasses
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import write_tree
from k8s_schemas import schema_errors, validator_for
from k8s_trees import (
    CLIENT_ID,
    MULTI_SPEC,
    OTHER_PATCHES,
    PATCHES,
    RESOURCES,
    TENANT_ID,
    TOKEN_EXPIRATION,
    USE,
    base_object,
    base_objects,
    by_path,
    check_kustomizations,
    expected_objects,
    is_object_file,
    kustomize,
    needs_kubectl,
    plan_of,
    plan_of_data,
    pod_templates,
)
from overlay_build import build_overlay, load_documents, object_key

from wlid_render.emit.k8s import emit_kubernetes
from wlid_render.plan.model import Plan


# -- schemas --------------------------------------------------------------------------------------
@pytest.mark.parametrize("spec", ["lab", "multi"])
def test_objects_match_kubernetes_schemas(spec: str, request: pytest.FixtureRequest) -> None:
    tree: dict[str, Any] = request.getfixturevalue(spec)
    objects = base_objects(tree)
    for path, obj in objects:
        assert schema_errors(obj) == [], (path, obj["metadata"]["name"])
    assert len(objects) == sum(len(docs) for path, docs in tree.items() if is_object_file(path)) > 0


def test_schema_validation_rejects_broken_objects(multi: dict[str, Any]) -> None:
    deployment = copy.deepcopy(base_object(multi, "Deployment", "shop", "web"))
    assert schema_errors(deployment) == []
    del deployment["spec"]["selector"]
    assert any("selector" in e for e in schema_errors(deployment))

    pod = copy.deepcopy(base_object(multi, "Pod", "shop", "debug"))
    pod["spec"]["containers"] = "shell"
    assert any(e.startswith("spec.containers") for e in schema_errors(pod))

    account = copy.deepcopy(base_object(multi, "ServiceAccount", "shop", "api"))
    account["metadata"]["annotations"][TOKEN_EXPIRATION] = 7200
    assert schema_errors(account) != []

    job = copy.deepcopy(base_object(multi, "Job", "shop", "migrate"))
    job["spec"]["template"]["spec"]["restartPolicyy"] = "Never"
    assert schema_errors(job) != []


def test_validators_are_compiled_once(multi: dict[str, Any]) -> None:
    obj = base_object(multi, "CronJob", "shop", "nightly")
    first = validator_for(obj["apiVersion"], obj["kind"])
    assert validator_for(obj["apiVersion"], obj["kind"]) is first


@pytest.mark.kubectl
@needs_kubectl
@pytest.mark.parametrize("spec", ["lab_plan", "multi_plan"])
def test_kustomize_builds_every_overlay(spec: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    plan: Plan = request.getfixturevalue(spec)
    write_tree(emit_kubernetes(plan), tmp_path)
    base_objects = len(kustomize(tmp_path / "k8s" / "base"))
    assert base_objects == len(plan.namespaces) + len(plan.service_accounts) + len(plan.workloads)
    for env in plan.environments:
        objects = kustomize(tmp_path / "k8s" / "overlays" / env.name)
        assert len(objects) == base_objects
        client_ids = dict(env.client_ids)
        accounts = [o for o in objects if o["kind"] == "ServiceAccount"]
        assert len(accounts) == len(plan.service_accounts)
        for account in accounts:
            planned = next(
                a
                for a in plan.service_accounts
                if (a.namespace, a.name) == (account["metadata"]["namespace"], account["metadata"]["name"])
            )
            annotations = account["metadata"]["annotations"]
            assert annotations[CLIENT_ID] == client_ids[planned.identity]
            assert annotations.get(TENANT_ID) == env.tenant_id
            if planned.token_expiration is not None:
                assert annotations[TOKEN_EXPIRATION] == str(planned.token_expiration)
            assert account["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "wlid"
        templates = [t for o in objects for t in pod_templates(o)]
        assert len(templates) == len(plan.workloads)
        for template in templates:
            assert template["metadata"]["labels"][USE] == "true"
        for obj in objects:
            assert schema_errors(obj) == [], obj["metadata"]["name"]


@pytest.mark.kubectl
@needs_kubectl
def test_kustomize_keeps_the_placeholder_verbatim(lab_plan: Plan, tmp_path: Path) -> None:
    write_tree(emit_kubernetes(lab_plan), tmp_path)
    result = subprocess.run(
        ["kubectl", "kustomize", str(tmp_path / "k8s" / "overlays" / "default")],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "${WLID_CLIENT_ID_MYIDENTITY}" in result.stdout


# -- a namespace that only some environments have -------------------------------------------------
def env_only_spec() -> dict[str, Any]:
    """MULTI_SPEC plus a namespace `ops` that only prod has, and an image tag that differs in dev."""
    data = yaml.safe_load(MULTI_SPEC)
    data["serviceAccounts"].append(
        {"name": "runner", "namespace": "ops", "identity": "batch-identity", "environments": ["prod"]}
    )
    data["workloads"].append(
        {
            "name": "sweeper",
            "kind": "CronJob",
            "namespace": "ops",
            "serviceAccount": "runner",
            "schedule": "*/10 * * * *",
            "environments": ["prod"],
            "containers": [{"name": "sweep", "image": "ghcr.io/example/sweep:1"}],
        }
    )
    data["workloads"][0]["containers"][0]["image"] = "ghcr.io/example/web:${env}"
    return data


@pytest.fixture(scope="module")
def env_only_plan() -> Plan:
    return plan_of_data(env_only_spec())


def test_a_namespace_of_one_environment_lives_in_its_overlay_only(env_only_plan: Plan) -> None:
    tree = by_path(emit_kubernetes(env_only_plan))
    check_kustomizations(tree)
    assert not [p for p in tree if p.startswith("k8s/base/ops/")]
    assert not [p for p in tree if p.startswith("k8s/overlays/dev/ops/")]
    assert tree["k8s/base/kustomization.yaml"]["resources"] == ["shop"]
    assert tree["k8s/overlays/dev/kustomization.yaml"]["resources"] == ["shop"]
    assert tree["k8s/overlays/prod/kustomization.yaml"]["resources"] == ["ops", "shop"]
    ops = tree["k8s/overlays/prod/ops/kustomization.yaml"]
    assert ops["resources"] == [RESOURCES] and "patches" not in ops
    own = tree[f"k8s/overlays/prod/ops/{RESOURCES}"]
    assert [(d["kind"], d["metadata"]["name"]) for d in own] == [
        ("Namespace", "ops"),
        ("ServiceAccount", "runner"),
        ("CronJob", "sweeper"),
    ]
    assert own[1]["metadata"]["annotations"][CLIENT_ID] == "${WLID_CLIENT_ID_BATCH_IDENTITY}"
    assert sorted(p.rsplit("/", 1)[1] for p in tree if p.startswith("k8s/overlays/prod/ops/")) == [
        "kustomization.yaml",
        RESOURCES,
    ]


def test_values_that_differ_are_patched_in_their_namespace_folder(env_only_plan: Plan) -> None:
    tree = by_path(emit_kubernetes(env_only_plan))
    web = base_object(tree, "Deployment", "shop", "web")
    assert "image" not in web["spec"]["template"]["spec"]["containers"][0]
    for env in ("dev", "prod"):
        assert tree[f"k8s/overlays/{env}/shop/kustomization.yaml"]["patches"] == [
            {"path": PATCHES},
            {"path": OTHER_PATCHES},
        ]
        (patch,) = tree[f"k8s/overlays/{env}/shop/{OTHER_PATCHES}"]
        assert (patch["kind"], patch["metadata"]["name"]) == ("Deployment", "web")
        assert patch["spec"]["template"]["spec"]["containers"] == [
            {"name": "web", "image": f"ghcr.io/example/web:{env}"}
        ]


def test_total_objects_over_the_overlays_equal_the_plan(env_only_plan: Plan) -> None:
    texts = {a.path: a.text for a in emit_kubernetes(env_only_plan)}
    counts = {env.name: len(build_overlay(texts, env.name)) for env in env_only_plan.environments}
    assert counts == {"dev": 8, "prod": 11}  # prod adds Namespace ops, ServiceAccount runner, CronJob
    for env in env_only_plan.environments:
        assert build_overlay(texts, env.name) == expected_objects(env_only_plan, env.name)


@pytest.mark.kubectl
@needs_kubectl
@pytest.mark.parametrize("spec", ["multi_plan", "env_only_plan"])
def test_kubectl_builds_exactly_the_objects_of_each_environment(
    spec: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    plan: Plan = request.getfixturevalue(spec)
    write_tree(emit_kubernetes(plan), tmp_path)
    for env in plan.environments:
        got = kustomize(tmp_path / "k8s" / "overlays" / env.name)
        keys = [
            (o["apiVersion"], o["kind"], o["metadata"].get("namespace", "default"), o["metadata"]["name"])
            for o in got
        ]
        assert len(set(keys)) == len(keys)
        assert dict(zip(keys, got, strict=True)) == expected_objects(plan, env.name), env.name
        for namespace in {k[3] if k[1] == "Namespace" else k[2] for k in keys}:
            part = kustomize(tmp_path / "k8s" / "overlays" / env.name / namespace)
            assert part and all(o in got for o in part), (env.name, namespace)


def test_two_objects_in_the_same_place_are_refused(multi_plan: Plan) -> None:
    env = multi_plan.environments[0]
    twice = env._replace(service_accounts=(*env.service_accounts, env.service_accounts[0]))
    plan = dataclasses.replace(multi_plan, environments=(twice, *multi_plan.environments[1:]))
    with pytest.raises(
        ValueError, match=r"map to the same document 'api' of k8s/overlays/dev/shop/serviceaccounts.yaml"
    ):
        emit_kubernetes(plan)


# -- the benchmark's flat baseline ----------------------------------------------------------------
def test_the_benchmark_flat_baseline_holds_the_objects_of_dev(tmp_path: Path) -> None:
    """benchmarks/run.py compares kustomize of the overlays with one flat file of dev's objects."""
    import run as bench  # benchmarks/ is on the tests' path (pyproject.toml)
    from generate import spec_text

    plan = plan_of(spec_text(60))
    artifacts = emit_kubernetes(plan)
    write_tree(artifacts, tmp_path / "out")
    flat = bench.flat_kustomization(tmp_path / "out", "dev", tmp_path / "flat")
    objects = load_documents((flat / "all.yaml").read_text("utf-8"))
    built = build_overlay({a.path: a.text for a in artifacts}, "dev")
    assert len(objects) == len(built) == len(plan.namespaces) + 2 * 60
    assert {object_key(o): o for o in objects} == built
