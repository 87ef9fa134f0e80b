"""Tests of the Kubernetes emitter: file layout, annotation placement, schemas, kustomize, determinism."""

from __future__ import annotations

import copy
import dataclasses
import importlib.util
import json
import posixpath
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import LAB_SPEC, ROOT, write_tree
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from k8s_schemas import schema_errors, validator_for
from overlay_build import build_overlay, load_documents, object_key

from wlid_render.emit.artifact import Artifact
from wlid_render.emit.k8s import _env_objects, emit_kubernetes
from wlid_render.errors import SpecError
from wlid_render.plan.model import Plan
from wlid_render.plan.source import plan_source
from wlid_render.spec.load import load_text

USE = "azure.workload.identity/use"
CLIENT_ID = "azure.workload.identity/client-id"
TENANT_ID = "azure.workload.identity/tenant-id"
TOKEN_EXPIRATION = "azure.workload.identity/service-account-token-expiration"

DEV_TENANT = "aaaaaaaa-0000-4000-8000-00000000000a"
PROD_TENANT = "bbbbbbbb-0000-4000-8000-00000000000b"
DEV_API_CLIENT_ID = "0FB3C0DE-1234-4ABC-9DEF-0123456789AB"  # written upper-case; the plan lower-cases it

MULTI_SPEC = f"""\
apiVersion: wlid/v1
kind: WorkloadIdentitySpec
metadata:
  name: shop
azure:
  subscriptionId: 22222222-2222-2222-2222-222222222222
  resourceGroup: rg-shop
  location: westeurope
cluster:
  name: aks-shop
identities:
  - name: api-identity
  - name: batch-identity
serviceAccounts:
  - name: api
    namespace: shop
    identity: api-identity
    tokenExpiration: 7200
  - name: batch
    namespace: shop
    identity: batch-identity
workloads:
  - name: web
    kind: Deployment
    serviceAccount: api
    replicas: 3
    labels:
      tier: frontend
    annotations:
      prometheus.io/scrape: "true"
    containers:
      - name: web
        image: ghcr.io/example/web:1.2.3
        args: ["--port", "8080"]
        env:
          LOG_LEVEL: debug
          FEATURE_FLAG: "on"
        ports:
          - 8080
          - containerPort: 9090
            name: metrics
            protocol: TCP
        resources:
          requests:
            cpu: 100m
            memory: 128Mi
          limits:
            memory: 256Mi
  - name: db
    kind: StatefulSet
    serviceAccount: api
    replicas: 1
    containers:
      - name: db
        image: ghcr.io/example/db:16
        ports: [5432]
  - name: migrate
    kind: Job
    serviceAccount: batch
    containers:
      - name: migrate
        image: ghcr.io/example/migrate:1
        command: ["/migrate"]
        args: ["--once"]
  - name: nightly
    kind: CronJob
    serviceAccount: batch
    schedule: "0 2 * * *"
    nodeSelector:
      kubernetes.io/os: linux
    containers:
      - name: report
        image: ghcr.io/example/report:1
        resources:
          limits:
            cpu: 1
  - name: debug
    kind: Pod
    serviceAccount: api
    containers:
      - name: shell
        image: busybox
        command: ["sleep", "infinity"]
environments:
  dev:
    azure:
      tenantId: {DEV_TENANT}
    clientIds:
      api-identity: {DEV_API_CLIENT_ID}
  prod:
    azure:
      tenantId: {PROD_TENANT}
      subscriptionId: 33333333-3333-3333-3333-333333333333
"""

PATCHES = "serviceaccounts.yaml"  # the ServiceAccount patch file of every namespace of an overlay
OTHER_PATCHES = "patches.yaml"  # other values that differ in one environment
RESOURCES = "resources.yaml"  # objects only one environment has
# The files of a base namespace folder, in the order its kustomization lists them.
KIND_FILES = {
    "Namespace": "namespace.yaml",
    "ServiceAccount": "serviceaccounts.yaml",
    "Deployment": "deployments.yaml",
    "StatefulSet": "statefulsets.yaml",
    "Job": "jobs.yaml",
    "CronJob": "cronjobs.yaml",
    "Pod": "pods.yaml",
}

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


# -- helpers --------------------------------------------------------------------------------------
def plan_of(text: str) -> Plan:
    return plan_source(load_text(text, "spec.yaml"))


def plan_of_data(data: dict[str, Any]) -> Plan:
    return plan_of(yaml.safe_dump(data, sort_keys=False))


def is_patch_file(path: str) -> bool:
    return path.startswith("k8s/overlays/") and path.endswith(f"/{PATCHES}")


def is_kustomization(path: str) -> bool:
    return path.endswith("/kustomization.yaml")


def by_path(artifacts: list[Artifact]) -> dict[str, Any]:
    """Path -> a kustomization's mapping, or the list of documents of any other file."""
    out: dict[str, Any] = {}
    for artifact in artifacts:
        docs = list(yaml.safe_load_all(artifact.text))
        assert docs and all(isinstance(d, dict) for d in docs), artifact.path
        if is_kustomization(artifact.path):
            assert len(docs) == 1, artifact.path
            out[artifact.path] = docs[0]
        else:
            out[artifact.path] = docs
    return out


def base_object(tree: dict[str, Any], kind: str, namespace: str, name: str) -> dict[str, Any]:
    """The base object kind namespace/name, from the file of its kind in its namespace folder."""
    folder = name if kind == "Namespace" else namespace
    docs = tree[f"k8s/base/{folder}/{KIND_FILES[kind]}"]
    found = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(found) == 1, (kind, namespace, name, found)
    return found[0]


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


def is_object_file(path: str) -> bool:
    """A file of Kubernetes objects of the base (not a kustomization, not an overlay patch)."""
    return path.startswith("k8s/base/") and not is_kustomization(path)


def base_objects(tree: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(path, object) for every object of the base."""
    return [(path, obj) for path, docs in tree.items() if is_object_file(path) for obj in docs]


def check_kustomizations(tree: dict[str, Any]) -> None:
    """Every kustomization of the base and the overlays lists exactly the files and folders next to it.

    The base and each overlay list their namespace folders, sorted; a base namespace folder lists its
    files in kind order; an overlay namespace folder lists the base folder of its namespace (when
    there is one) and its own files.
    """
    for path in tree:
        if not (is_kustomization(path) and path.startswith(("k8s/base/", "k8s/overlays/"))):
            continue
        folder = posixpath.dirname(path)
        doc = tree[path]
        assert list(doc)[:2] == ["apiVersion", "kind"], path
        assert set(doc) <= {"apiVersion", "kind", "resources", "patches"}, path
        children = sorted({p[len(folder) + 1 :].split("/")[0] for p in tree if p.startswith(f"{folder}/")})
        children.remove("kustomization.yaml")
        resources = doc.get("resources", [])
        patches = [entry["path"] for entry in doc.get("patches", [])]
        local = [r for r in resources if not r.startswith("../")]
        assert sorted(local + patches) == children, path
        assert len(set(local + patches)) == len(local + patches), path
        parts = folder.split("/")
        if parts[1] == "base" and len(parts) == 2:
            assert resources == children and all(f"{folder}/{c}/kustomization.yaml" in tree for c in children)
        elif parts[1] == "base":
            assert len(parts) == 3 and resources == [f for f in KIND_FILES.values() if f in children], path
            assert "patches" not in doc, path
        elif len(parts) == 3:  # k8s/overlays/<env>
            assert resources == children and all(f"{folder}/{c}/kustomization.yaml" in tree for c in children)
        else:  # k8s/overlays/<env>/<ns>
            assert len(parts) == 4, path
            namespace = parts[3]
            shared = f"k8s/base/{namespace}/kustomization.yaml" in tree
            expected = [f"../../../base/{namespace}"] if shared else []
            expected += [RESOURCES] if RESOURCES in children else []
            assert resources == expected and resources, path
            assert patches == [f for f in (PATCHES, OTHER_PATCHES) if f in children], path
            assert shared or not patches, path  # patches only patch the base


def pod_templates(obj: dict[str, Any]) -> list[dict[str, Any]]:
    """The pod metadata+spec of an object: the pod itself or its controller's template."""
    kind = obj["kind"]
    if kind == "Pod":
        return [obj]
    if kind == "CronJob":
        return [obj["spec"]["jobTemplate"]["spec"]["template"]]
    if kind in ("Deployment", "StatefulSet", "Job"):
        return [obj["spec"]["template"]]
    return []


@pytest.fixture(scope="module")
def lab_plan() -> Plan:
    return plan_of(LAB_SPEC.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def lab(lab_plan: Plan) -> dict[str, Any]:
    return by_path(emit_kubernetes(lab_plan))


@pytest.fixture(scope="module")
def multi_plan() -> Plan:
    return plan_of(MULTI_SPEC)


@pytest.fixture(scope="module")
def multi(multi_plan: Plan) -> dict[str, Any]:
    return by_path(emit_kubernetes(multi_plan))


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


# -- kustomize ------------------------------------------------------------------------------------
needs_kubectl = pytest.mark.skipif(
    shutil.which("kubectl") is None, reason="kubectl (with kustomize v5) is not on PATH"
)


def kustomize(folder: Path) -> list[dict[str, Any]]:
    result = subprocess.run(
        ["kubectl", "kustomize", str(folder)], capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, f"kubectl kustomize {folder} failed:\n{result.stderr}"
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


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


def expected_objects(plan: Plan, env_name: str) -> dict[tuple[str, str, str, str], dict[str, Any]]:
    """The objects the plan gives one environment, client IDs included, keyed like overlay_build."""
    env = next(e for e in plan.environments if e.name == env_name)
    client_ids = dict(env.client_ids)
    identities = {(a.namespace, a.name): a.identity for a in env.service_accounts}
    out = {}
    for obj in _env_objects(plan, env).values():
        obj = json.loads(json.dumps(obj))
        meta = obj["metadata"]
        if obj["kind"] == "ServiceAccount":
            identity = identities[(meta["namespace"], meta["name"])]
            meta.setdefault("annotations", {})[CLIENT_ID] = client_ids[identity]
        out[(obj["apiVersion"], obj["kind"], meta.get("namespace") or "default", meta["name"])] = obj
    return out


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
    spec = importlib.util.spec_from_file_location("generate", ROOT / "benchmarks" / "generate.py")
    assert spec and spec.loader
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    run_spec = importlib.util.spec_from_file_location("bench_run", ROOT / "benchmarks" / "run.py")
    assert run_spec and run_spec.loader
    bench = importlib.util.module_from_spec(run_spec)
    run_spec.loader.exec_module(bench)
    plan = plan_of(generate.spec_text(60))
    artifacts = emit_kubernetes(plan)
    write_tree(artifacts, tmp_path / "out")
    flat = bench.flat_kustomization(tmp_path / "out", "dev", tmp_path / "flat")
    objects = load_documents((flat / "all.yaml").read_text("utf-8"))
    built = build_overlay({a.path: a.text for a in artifacts}, "dev")
    assert len(objects) == len(built) == len(plan.namespaces) + 2 * 60
    assert {object_key(o): o for o in objects} == built
