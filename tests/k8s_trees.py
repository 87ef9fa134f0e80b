"""The Kubernetes emitter's test specs (the lab, a multi-environment shop) and readers of the files it emits."""

from __future__ import annotations

import json
import posixpath
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from wlid_render.emit.artifact import Artifact
from wlid_render.emit.k8s import _env_objects
from wlid_render.errors import Problem, SpecError
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


# -- helpers --------------------------------------------------------------------------------------
def plan_of(text: str) -> Plan:
    return plan_source(load_text(text, "spec.yaml"))


def problems_of(text: str) -> list[Problem]:
    """The problems planning a spec raises (it must raise)."""
    with pytest.raises(SpecError) as caught:
        plan_of(text)
    return list(caught.value.problems)


def line(text: str, fragment: str) -> int:
    """The line of the one line of `text` holding `fragment`."""
    (found,) = [n for n, content in enumerate(text.split("\n"), start=1) if fragment in content]
    return found


def plan_of_data(data: dict[str, Any]) -> Plan:
    return plan_of(yaml.safe_dump(data, sort_keys=False))


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
