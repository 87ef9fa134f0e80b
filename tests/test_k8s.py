"""The Kubernetes emitter's files: layout, kustomizations, overlay patches, annotation and label placement, the
objects of each workload kind (schemas and kubectl: test_k8s_builds.py; random specs: test_k8s_properties.py)."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
import yaml
from k8s_trees import (
    CLIENT_ID,
    DEV_API_CLIENT_ID,
    DEV_TENANT,
    KIND_FILES,
    MULTI_SPEC,
    PATCHES,
    PROD_TENANT,
    TENANT_ID,
    TOKEN_EXPIRATION,
    USE,
    base_object,
    base_objects,
    by_path,
    check_kustomizations,
    is_object_file,
    plan_of_data,
    pod_templates,
)

from wlid_render.emit.k8s import emit_kubernetes
from wlid_render.errors import SpecError
from wlid_render.plan.model import Plan

LAB_FILES = [
    "k8s/base/default/kustomization.yaml",
    "k8s/base/default/pods.yaml",
    "k8s/base/default/serviceaccounts.yaml",
    "k8s/base/kustomization.yaml",
    "k8s/overlays/default/default/kustomization.yaml",
    "k8s/overlays/default/default/serviceaccounts.yaml",
    "k8s/overlays/default/kustomization.yaml",
]

MULTI_FILES = [
    "k8s/base/kustomization.yaml",
    "k8s/base/shop/cronjobs.yaml",
    "k8s/base/shop/deployments.yaml",
    "k8s/base/shop/jobs.yaml",
    "k8s/base/shop/kustomization.yaml",
    "k8s/base/shop/namespace.yaml",
    "k8s/base/shop/pods.yaml",
    "k8s/base/shop/serviceaccounts.yaml",
    "k8s/base/shop/statefulsets.yaml",
    "k8s/overlays/dev/kustomization.yaml",
    "k8s/overlays/dev/shop/kustomization.yaml",
    "k8s/overlays/dev/shop/serviceaccounts.yaml",
    "k8s/overlays/prod/kustomization.yaml",
    "k8s/overlays/prod/shop/kustomization.yaml",
    "k8s/overlays/prod/shop/serviceaccounts.yaml",
]


def all_objects(tree: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(path, object) for every document of the tree, the patches of each overlay included."""
    return [
        (path, obj) for path, value in tree.items() for obj in (value if isinstance(value, list) else [value])
    ]


def document_texts(text: str) -> list[str]:
    """The text of each document of a multi-document YAML file, in file order."""
    return re.split(r"(?m)^---\n", text)


def patch_index(docs: list[dict[str, Any]], namespace: str, name: str) -> int:
    """The position of the one document that patches ServiceAccount namespace/name."""
    found = [
        i
        for i, doc in enumerate(docs)
        if doc["kind"] == "ServiceAccount"
        and (doc["metadata"].get("namespace"), doc["metadata"]["name"]) == (namespace, name)
    ]
    assert len(found) == 1, (namespace, name, found)
    return found[0]


def account_patch(tree: dict[str, Any], env: str, namespace: str, name: str) -> dict[str, Any]:
    """The document of an overlay's patch file that patches ServiceAccount namespace/name."""
    docs = tree[f"k8s/overlays/{env}/{namespace}/{PATCHES}"]
    return docs[patch_index(docs, namespace, name)]


def account_patch_text(
    tree: dict[str, Any], texts: dict[str, str], env: str, namespace: str, name: str
) -> str:
    """The text of that document, as written."""
    path = f"k8s/overlays/{env}/{namespace}/{PATCHES}"
    docs = document_texts(texts[path])
    assert len(docs) == len(tree[path])
    return docs[patch_index(tree[path], namespace, name)]


@pytest.fixture(scope="module")
def multi_texts(multi_plan: Plan) -> dict[str, str]:
    return {a.path: a.text for a in emit_kubernetes(multi_plan)}


# -- the lab spec ---------------------------------------------------------------------------------
def test_lab_file_list(lab: dict[str, Any]) -> None:
    assert list(lab) == LAB_FILES


def test_lab_base_service_account_has_no_client_id(lab: dict[str, Any]) -> None:
    account = base_object(lab, "ServiceAccount", "default", "workload-identity-sa")
    assert account["kind"] == "ServiceAccount"
    assert account["metadata"]["name"] == "workload-identity-sa"
    assert account["metadata"]["namespace"] == "default"
    assert CLIENT_ID not in account["metadata"].get("annotations", {})
    assert USE not in account["metadata"].get("labels", {})


def test_lab_overlay_patch_carries_placeholder(lab: dict[str, Any], lab_plan: Plan) -> None:
    path = f"k8s/overlays/default/default/{PATCHES}"
    assert len(lab[path]) == 1  # one ServiceAccount, one document
    patch = account_patch(lab, "default", "default", "workload-identity-sa")
    assert patch["metadata"]["annotations"][CLIENT_ID] == "${WLID_CLIENT_ID_MYIDENTITY}"
    texts = {a.path: a.text for a in emit_kubernetes(lab_plan)}
    assert "---" not in texts[path]
    text = account_patch_text(lab, texts, "default", "default", "workload-identity-sa")
    assert "${WLID_CLIENT_ID_MYIDENTITY}" in text
    assert lab["k8s/overlays/default/kustomization.yaml"]["resources"] == ["default"]
    kustomization = lab["k8s/overlays/default/default/kustomization.yaml"]
    assert kustomization["resources"] == ["../../../base/default"]
    assert kustomization["patches"] == [{"path": PATCHES}]


def test_lab_pods_use_workload_identity(lab: dict[str, Any]) -> None:
    pods = [obj for _, obj in all_objects(lab) if obj.get("kind") == "Pod"]
    assert len(pods) == 2
    for pod in pods:
        assert pod["metadata"]["labels"][USE] == "true"
        assert pod["spec"]["serviceAccountName"] == "workload-identity-sa"


def test_lab_label_is_a_quoted_string(lab_plan: Plan) -> None:
    for artifact in emit_kubernetes(lab_plan):
        if artifact.path.endswith("/pods.yaml"):
            assert artifact.text.count("azure.workload.identity/use: 'true'") == 2


def test_lab_key_vault_pod(lab: dict[str, Any]) -> None:
    pod = base_object(lab, "Pod", "default", "sample-workload-identity-key-vault")
    container = pod["spec"]["containers"][0]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["KEYVAULT_URL"] == "https://kv-wlid-lab.vault.azure.net/"
    assert env["SECRET_NAME"] == "my-secret"
    assert [e["name"] for e in container["env"]] == ["KEYVAULT_URL", "SECRET_NAME"]
    assert pod["spec"]["nodeSelector"] == {"kubernetes.io/os": "linux"}
    assert "restartPolicy" not in pod["spec"]


def test_lab_first_pod_command(lab: dict[str, Any]) -> None:
    pod = base_object(lab, "Pod", "default", "sample-workload-identity")
    assert pod["spec"]["containers"][0]["command"] == ["sh", "-c", "sleep 3600"]
    assert list(pod["spec"]["containers"][0]) == ["name", "image", "command"]


def test_lab_has_no_default_namespace_object(lab: dict[str, Any]) -> None:
    assert not [obj for _, obj in all_objects(lab) if obj.get("kind") == "Namespace"]


def test_base_kustomization_lists_every_namespace_folder(lab: dict[str, Any], multi: dict[str, Any]) -> None:
    for tree, namespaces in ((lab, ["default"]), (multi, ["shop"])):
        kustomization = tree["k8s/base/kustomization.yaml"]
        assert list(kustomization) == ["apiVersion", "kind", "resources"]
        assert kustomization["apiVersion"] == "kustomize.config.k8s.io/v1beta1"
        assert kustomization["kind"] == "Kustomization"
        assert kustomization["resources"] == namespaces
        folders = sorted({p.split("/")[2] for p in tree if is_object_file(p)})
        assert folders == namespaces


def test_namespace_kustomization_lists_its_files_in_kind_order(multi: dict[str, Any]) -> None:
    kustomization = multi["k8s/base/shop/kustomization.yaml"]
    assert list(kustomization) == ["apiVersion", "kind", "resources"]
    assert kustomization["resources"] == [
        "namespace.yaml",
        "serviceaccounts.yaml",
        "deployments.yaml",
        "statefulsets.yaml",
        "jobs.yaml",
        "cronjobs.yaml",
        "pods.yaml",
    ]


@pytest.mark.parametrize("spec", ["lab", "multi"])
def test_every_kustomization_lists_exactly_its_files(spec: str, request: pytest.FixtureRequest) -> None:
    check_kustomizations(request.getfixturevalue(spec))


def test_each_base_file_holds_one_kind_of_one_namespace_sorted_by_name(multi: dict[str, Any]) -> None:
    for path, docs in multi.items():
        if not is_object_file(path):
            continue
        folder, file_name = path.split("/")[2:]
        assert {KIND_FILES[d["kind"]] for d in docs} == {file_name}, path
        for doc in docs:
            meta = doc["metadata"]
            assert (meta["name"] if doc["kind"] == "Namespace" else meta["namespace"]) == folder, path
        names = [d["metadata"]["name"] for d in docs]
        assert names == sorted(names), path
    assert [d["metadata"]["name"] for d in multi["k8s/base/shop/serviceaccounts.yaml"]] == ["api", "batch"]


# -- the multi-environment spec -------------------------------------------------------------------
def test_multi_file_list(multi: dict[str, Any]) -> None:
    assert list(multi) == MULTI_FILES


def test_common_layout_of_every_object(multi: dict[str, Any]) -> None:
    for path, obj in base_objects(multi):
        assert list(obj)[:3] == ["apiVersion", "kind", "metadata"], path
        meta = obj["metadata"]
        expected_order = ["name", "labels", "annotations"]
        if obj["kind"] != "Namespace":
            expected_order.insert(1, "namespace")
        assert [k for k in expected_order if k in meta] == list(meta), path
        assert meta["labels"]["app.kubernetes.io/managed-by"] == "wlid"
        assert meta["labels"]["app.kubernetes.io/part-of"] == "shop"


def test_namespace_object(multi: dict[str, Any]) -> None:
    (namespace,) = multi["k8s/base/shop/namespace.yaml"]
    assert namespace["apiVersion"] == "v1"
    assert namespace["kind"] == "Namespace"
    assert namespace["metadata"]["name"] == "shop"
    assert "namespace" not in namespace["metadata"]


def test_tenant_differing_per_environment_goes_to_overlays(multi: dict[str, Any]) -> None:
    for name in ("api", "batch"):
        base = base_object(multi, "ServiceAccount", "shop", name)
        assert TENANT_ID not in base["metadata"].get("annotations", {})
        dev = account_patch(multi, "dev", "shop", name)
        prod = account_patch(multi, "prod", "shop", name)
        assert dev["metadata"]["annotations"][TENANT_ID] == DEV_TENANT
        assert prod["metadata"]["annotations"][TENANT_ID] == PROD_TENANT


def test_client_ids_only_in_overlays(multi: dict[str, Any], multi_texts: dict[str, str]) -> None:
    for name in ("api", "batch"):
        base = base_object(multi, "ServiceAccount", "shop", name)
        assert CLIENT_ID not in base["metadata"].get("annotations", {})

    def client_id(env: str, name: str) -> str:
        return account_patch(multi, env, "shop", name)["metadata"]["annotations"][CLIENT_ID]

    assert client_id("dev", "api") == DEV_API_CLIENT_ID.lower()
    assert client_id("dev", "batch") == "${WLID_CLIENT_ID_BATCH_IDENTITY}"
    assert client_id("prod", "api") == "${WLID_CLIENT_ID_API_IDENTITY}"
    assert client_id("prod", "batch") == "${WLID_CLIENT_ID_BATCH_IDENTITY}"
    prod_api = account_patch_text(multi, multi_texts, "prod", "shop", "api")
    prod_batch = account_patch_text(multi, multi_texts, "prod", "shop", "batch")
    assert "${WLID_CLIENT_ID_API_IDENTITY}" in prod_api
    assert "${WLID_CLIENT_ID_BATCH_IDENTITY}" not in prod_api
    assert "${WLID_CLIENT_ID_BATCH_IDENTITY}" in prod_batch
    assert "${WLID_CLIENT_ID_API_IDENTITY}" not in prod_batch


def test_token_expiration_in_base_as_string(multi: dict[str, Any]) -> None:
    api = base_object(multi, "ServiceAccount", "shop", "api")
    assert api["metadata"]["annotations"][TOKEN_EXPIRATION] == "7200"
    batch = base_object(multi, "ServiceAccount", "shop", "batch")
    assert TOKEN_EXPIRATION not in batch["metadata"].get("annotations", {})
    for env in ("dev", "prod"):
        for name in ("api", "batch"):
            patch = account_patch(multi, env, "shop", name)
            assert TOKEN_EXPIRATION not in patch["metadata"]["annotations"]


def test_service_accounts_never_carry_the_use_label(multi: dict[str, Any]) -> None:
    accounts = [obj for _, obj in all_objects(multi) if obj.get("kind") == "ServiceAccount"]
    assert len(accounts) == 6
    for account in accounts:
        assert USE not in account["metadata"].get("labels", {})


def test_overlay_patch_shape(multi: dict[str, Any]) -> None:
    patch = account_patch(multi, "dev", "shop", "api")
    assert list(patch) == ["apiVersion", "kind", "metadata"]
    assert patch["apiVersion"] == "v1"
    assert patch["kind"] == "ServiceAccount"
    assert list(patch["metadata"]) == ["name", "namespace", "annotations"]
    assert patch["metadata"]["name"] == "api"
    assert patch["metadata"]["namespace"] == "shop"
    assert list(patch["metadata"]["annotations"]) == [CLIENT_ID, TENANT_ID]


def test_overlay_patch_file_has_one_document_per_service_account(
    multi: dict[str, Any], multi_texts: dict[str, str]
) -> None:
    for env in ("dev", "prod"):
        path = f"k8s/overlays/{env}/shop/{PATCHES}"
        docs = multi[path]
        assert [(d["metadata"]["namespace"], d["metadata"]["name"]) for d in docs] == [
            ("shop", "api"),
            ("shop", "batch"),
        ]
        for doc in docs:
            assert list(doc) == ["apiVersion", "kind", "metadata"]
            assert (doc["apiVersion"], doc["kind"]) == ("v1", "ServiceAccount")
        text = multi_texts[path]
        assert text.count("\n---\n") == len(docs) - 1
        assert not text.startswith("---") and not text.endswith("---\n")


def test_overlay_patch_documents_follow_base_file_order() -> None:
    """Per namespace, the patches are in the order of the base file's documents: by name."""
    data = yaml.safe_load(MULTI_SPEC)
    data["serviceAccounts"] = [
        {"name": "b-c", "namespace": "a", "identity": "api-identity"},
        {"name": "c", "namespace": "a-b", "identity": "batch-identity"},
        {"name": "a", "namespace": "a", "identity": "batch-identity"},
    ]
    data["workloads"] = []
    tree = by_path(emit_kubernetes(plan_of_data(data)))
    for namespace, names in (("a", ["a", "b-c"]), ("a-b", ["c"])):
        base = tree[f"k8s/base/{namespace}/serviceaccounts.yaml"]
        expected = [(d["metadata"]["namespace"], d["metadata"]["name"]) for d in base]
        assert expected == [(namespace, name) for name in names]
        for env in ("dev", "prod"):
            docs = tree[f"k8s/overlays/{env}/{namespace}/{PATCHES}"]
            assert [(d["metadata"]["namespace"], d["metadata"]["name"]) for d in docs] == expected


def test_overlays_hold_no_per_service_account_patch_files(multi: dict[str, Any]) -> None:
    overlay_files = [p for p in multi if p.startswith("k8s/overlays/")]
    assert all(p.endswith(("/kustomization.yaml", f"/{PATCHES}")) for p in overlay_files)


def test_overlay_kustomizations(multi: dict[str, Any]) -> None:
    for env in ("dev", "prod"):
        top = multi[f"k8s/overlays/{env}/kustomization.yaml"]
        assert list(top) == ["apiVersion", "kind", "resources"]
        assert top["resources"] == ["shop"]
        kustomization = multi[f"k8s/overlays/{env}/shop/kustomization.yaml"]
        assert list(kustomization) == ["apiVersion", "kind", "resources", "patches"]
        assert kustomization["resources"] == ["../../../base/shop"]
        assert kustomization["patches"] == [{"path": PATCHES}]


def _with_tenants(top: str | None, per_env: dict[str, str | None]) -> Plan:
    data = yaml.safe_load(MULTI_SPEC)
    data = copy.deepcopy(data)
    if top is not None:
        data["azure"]["tenantId"] = top
    for env, tenant in per_env.items():
        azure = data["environments"][env]["azure"]
        azure.pop("tenantId", None)
        if tenant is not None:
            azure["tenantId"] = tenant
    return plan_of_data(data)


def test_same_tenant_everywhere_goes_to_base() -> None:
    tree = by_path(emit_kubernetes(_with_tenants(DEV_TENANT, {"dev": None, "prod": None})))
    assert (
        base_object(tree, "ServiceAccount", "shop", "api")["metadata"]["annotations"][TENANT_ID] == DEV_TENANT
    )
    for env in ("dev", "prod"):
        for name in ("api", "batch"):
            patch = account_patch(tree, env, "shop", name)
            assert TENANT_ID not in patch["metadata"]["annotations"]


def test_tenant_of_one_environment_only_goes_to_that_overlay() -> None:
    tree = by_path(emit_kubernetes(_with_tenants(None, {"dev": DEV_TENANT, "prod": None})))
    batch = base_object(tree, "ServiceAccount", "shop", "batch")
    assert TENANT_ID not in batch["metadata"].get("annotations", {})
    dev = account_patch(tree, "dev", "shop", "batch")["metadata"]["annotations"]
    prod = account_patch(tree, "prod", "shop", "batch")["metadata"]["annotations"]
    assert dev[TENANT_ID] == DEV_TENANT
    assert TENANT_ID not in prod


def test_no_tenant_anywhere() -> None:
    tree = by_path(emit_kubernetes(_with_tenants(None, {"dev": None, "prod": None})))
    accounts = [(path, obj) for path, obj in all_objects(tree) if obj.get("kind") == "ServiceAccount"]
    assert len(accounts) == 6
    for path, obj in accounts:
        assert TENANT_ID not in obj["metadata"].get("annotations", {}), path


def test_workload_kinds_and_api_versions(multi: dict[str, Any]) -> None:
    kinds = {
        "deployments.yaml": ("apps/v1", "Deployment", "web"),
        "statefulsets.yaml": ("apps/v1", "StatefulSet", "db"),
        "jobs.yaml": ("batch/v1", "Job", "migrate"),
        "cronjobs.yaml": ("batch/v1", "CronJob", "nightly"),
        "pods.yaml": ("v1", "Pod", "debug"),
    }
    for file_name, (api_version, kind, name) in kinds.items():
        (obj,) = multi[f"k8s/base/shop/{file_name}"]
        assert (obj["apiVersion"], obj["kind"], obj["metadata"]["name"]) == (api_version, kind, name)
        assert obj["metadata"]["namespace"] == "shop"


def test_pod_templates_carry_label_and_service_account(multi: dict[str, Any]) -> None:
    expected_sa = {"web": "api", "db": "api", "migrate": "batch", "nightly": "batch", "debug": "api"}
    seen = set()
    for _, obj in all_objects(multi):
        for template in pod_templates(obj):
            name = obj["metadata"]["name"]
            labels = template["metadata"]["labels"]
            assert labels[USE] == "true"
            assert labels["app.kubernetes.io/name"] == name
            assert labels["app.kubernetes.io/managed-by"] == "wlid"
            assert labels["app.kubernetes.io/part-of"] == "shop"
            assert template["spec"]["serviceAccountName"] == expected_sa[name]
            assert list(template["spec"])[:2] == ["serviceAccountName", "containers"]
            seen.add(name)
    assert seen == set(expected_sa)


def test_controllers_do_not_carry_the_use_label(multi: dict[str, Any]) -> None:
    for kind, name in (
        ("Deployment", "web"),
        ("StatefulSet", "db"),
        ("Job", "migrate"),
        ("CronJob", "nightly"),
    ):
        labels = base_object(multi, kind, "shop", name)["metadata"]["labels"]
        assert USE not in labels
        assert labels["app.kubernetes.io/name"] == name


def test_deployment(multi: dict[str, Any]) -> None:
    web = base_object(multi, "Deployment", "shop", "web")
    assert web["metadata"]["labels"]["tier"] == "frontend"
    # the pod annotations go to the template; the object's own only keep Flux substitution away
    assert web["metadata"]["annotations"] == {"kustomize.toolkit.fluxcd.io/substitute": "disabled"}
    spec = web["spec"]
    assert list(spec) == ["replicas", "selector", "template"]
    assert spec["replicas"] == 3
    selector = spec["selector"]["matchLabels"]
    assert selector == {"app.kubernetes.io/name": "web", "app.kubernetes.io/part-of": "shop"}
    template_labels = spec["template"]["metadata"]["labels"]
    assert selector.items() <= template_labels.items()
    assert template_labels["tier"] == "frontend"
    assert spec["template"]["metadata"]["annotations"] == {"prometheus.io/scrape": "true"}
    assert "restartPolicy" not in spec["template"]["spec"]
    container = spec["template"]["spec"]["containers"][0]
    assert list(container) == ["name", "image", "args", "env", "ports", "resources"]
    assert container["args"] == ["--port", "8080"]
    assert container["env"] == [
        {"name": "LOG_LEVEL", "value": "debug"},
        {"name": "FEATURE_FLAG", "value": "on"},
    ]
    assert container["ports"] == [
        {"containerPort": 8080},
        {"containerPort": 9090, "name": "metrics", "protocol": "TCP"},
    ]
    assert container["resources"] == {
        "requests": {"cpu": "100m", "memory": "128Mi"},
        "limits": {"memory": "256Mi"},
    }


def test_statefulset(multi: dict[str, Any]) -> None:
    spec = base_object(multi, "StatefulSet", "shop", "db")["spec"]
    assert spec["replicas"] == 1
    assert spec["serviceName"] == "db"
    assert spec["selector"]["matchLabels"] == {
        "app.kubernetes.io/name": "db",
        "app.kubernetes.io/part-of": "shop",
    }
    assert spec["selector"]["matchLabels"].items() <= spec["template"]["metadata"]["labels"].items()
    assert spec["template"]["spec"]["containers"][0]["ports"] == [{"containerPort": 5432}]
    assert "restartPolicy" not in spec["template"]["spec"]


def test_job(multi: dict[str, Any]) -> None:
    spec = base_object(multi, "Job", "shop", "migrate")["spec"]
    assert list(spec) == ["template"]
    pod = spec["template"]["spec"]
    assert pod["restartPolicy"] == "OnFailure"
    assert list(pod) == ["serviceAccountName", "containers", "restartPolicy"]
    assert pod["containers"][0] == {
        "name": "migrate",
        "image": "ghcr.io/example/migrate:1",
        "command": ["/migrate"],
        "args": ["--once"],
    }


def test_cronjob(multi: dict[str, Any]) -> None:
    spec = base_object(multi, "CronJob", "shop", "nightly")["spec"]
    assert list(spec) == ["schedule", "jobTemplate"]
    assert spec["schedule"] == "0 2 * * *"
    pod = spec["jobTemplate"]["spec"]["template"]["spec"]
    assert list(pod) == ["serviceAccountName", "containers", "nodeSelector", "restartPolicy"]
    assert pod["restartPolicy"] == "OnFailure"
    assert pod["nodeSelector"] == {"kubernetes.io/os": "linux"}
    assert pod["containers"][0]["resources"] == {"limits": {"cpu": 1}}


def test_pod_without_replicas_or_restart_policy(multi: dict[str, Any]) -> None:
    pod = base_object(multi, "Pod", "shop", "debug")
    assert list(pod) == ["apiVersion", "kind", "metadata", "spec"]
    assert list(pod["spec"]) == ["serviceAccountName", "containers"]
    assert pod["metadata"]["labels"][USE] == "true"


def test_user_labels_cannot_break_selectors() -> None:
    data = yaml.safe_load(MULTI_SPEC)
    data["workloads"][0]["labels"] = {"app.kubernetes.io/name": "other", "app.kubernetes.io/part-of": "x"}
    with pytest.raises(SpecError) as raised:
        plan_of_data(data)
    messages = [p.message for p in raised.value.problems]
    assert messages == [
        "app.kubernetes.io/name is set by wlid on every workload",
        "app.kubernetes.io/part-of is set by wlid on every workload",
    ]


def test_output_is_sorted_and_newline_terminated(multi_plan: Plan) -> None:
    artifacts = emit_kubernetes(multi_plan)
    paths = [a.path for a in artifacts]
    assert paths == sorted(paths)
    assert len(set(paths)) == len(paths)
    for artifact in artifacts:
        assert artifact.text.endswith("\n")
        assert not artifact.text.endswith("\n\n")
        assert "\r" not in artifact.text


def test_names_that_join_alike_get_distinct_places() -> None:
    data = yaml.safe_load(MULTI_SPEC)
    data["serviceAccounts"] = [
        {"name": "b-c", "namespace": "a", "identity": "api-identity"},
        {"name": "c", "namespace": "a-b", "identity": "batch-identity"},
    ]
    data["workloads"] = []
    tree = by_path(emit_kubernetes(plan_of_data(data)))
    assert base_object(tree, "ServiceAccount", "a", "b-c") != base_object(tree, "ServiceAccount", "a-b", "c")
    assert tree["k8s/base/kustomization.yaml"]["resources"] == ["a", "a-b"]
    for env in ("dev", "prod"):
        for namespace, name in (("a", "b-c"), ("a-b", "c")):
            assert len(tree[f"k8s/overlays/{env}/{namespace}/{PATCHES}"]) == 1
            account_patch(tree, env, namespace, name)
