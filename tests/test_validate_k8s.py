"""Tests of `wlid validate`'s Kubernetes checks: overlay builder, vendored schemas, K8S001-K8S004."""

from __future__ import annotations

import copy
import functools
import importlib.util
import json
import re
import shutil
import subprocess
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from referencing import Registry, Resource

from wlid_render.formats import KUBERNETES_VERSIONS as SUPPORTED_VERSIONS
from wlid_render.validate import k8s
from wlid_render.validate.finding import Finding
from wlid_render.validate.k8s import (
    check_kubernetes,
    schema_document,
    validator_for,
)
from wlid_render.validate.overlays import BuiltObject, build_overlays, merge
from wlid_render.validate.tree import RenderedTree

OUT = Path(__file__).parents[1] / "out"
EXAMPLES = ["lab", "platform"]
CLIENT_ID = "azure.workload.identity/client-id"
TENANT_ID = "azure.workload.identity/tenant-id"
TOKEN_EXPIRATION = "azure.workload.identity/service-account-token-expiration"

DEPLOYMENT = "k8s/base/orders/deployments.yaml"  # orders-api, the one Deployment of namespace orders
STATEFULSET = "k8s/base/orders/statefulsets.yaml"  # orders-worker
ACCOUNTS = "k8s/base/orders/serviceaccounts.yaml"  # orders-api (document 0), orders-worker (1)
API_ACCOUNT = "ServiceAccount orders/orders-api"
DEV_PATCHES = "k8s/overlays/dev/orders/serviceaccounts.yaml"
LAB_PATCHES = "k8s/overlays/default/default/serviceaccounts.yaml"
# Every ServiceAccount of the platform example: (label, namespace, name, document index), where the
# index is its position both in its base file and in each overlay's patch file of its namespace.
PATCHED_ACCOUNTS = [
    ("ServiceAccount orders/orders-api", "orders", "orders-api", 0),
    ("ServiceAccount orders/orders-worker", "orders", "orders-worker", 1),
    ("ServiceAccount reporting/reporting", "reporting", "reporting", 0),
]
LAB_POD = "k8s/base/default/pods.yaml"  # sample-workload-identity (0), ...-key-vault (1)

needs_kubectl = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH")


# -- helpers --------------------------------------------------------------------------------------
def copy_example(name: str, tmp_path: Path) -> Path:
    target = tmp_path / name
    shutil.copytree(OUT / name, target)
    return target


def run(root: Path, version: str = "1.32", use_kubectl: bool = False) -> list[Finding]:
    """Builder findings followed by check findings, as `wlid validate` would report them."""
    tree = RenderedTree(root)
    overlays, findings = build_overlays(tree)
    return findings + check_kubernetes(tree, overlays, version=version, use_kubectl=use_kubectl)


def edit(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text("utf-8")
    assert text.count(old) == 1, f"{old!r} in {rel}"
    path.write_text(text.replace(old, new), "utf-8")


def split_documents(text: str) -> list[str]:
    """The documents of a YAML file as written, each with its final newline; joined by `---` lines."""
    return re.split(r"(?m)^---\n", text)


def edit_document(root: Path, rel: str, index: int, old: str, new: str) -> None:
    """Replace text in one document of a multi-document file; `old` must occur once in that document."""
    path = root / rel
    docs = split_documents(path.read_text("utf-8"))
    assert docs[index].count(old) == 1, f"{old!r} in document {index} of {rel}"
    docs[index] = docs[index].replace(old, new)
    path.write_text("---\n".join(docs), "utf-8")


def document_lines(root: Path, rel: str, index: int) -> range:
    """The 1-based line numbers of one document of a multi-document file (its `---` excluded)."""
    docs = split_documents((root / rel).read_text("utf-8"))
    start = sum(doc.count("\n") + 1 for doc in docs[:index]) + 1
    return range(start, start + docs[index].count("\n"))


def line_number(root: Path, rel: str, needle: str) -> int:
    lines = (root / rel).read_text("utf-8").splitlines()
    matches = [i + 1 for i, line in enumerate(lines) if needle in line]
    assert len(matches) == 1, f"{needle!r} in {rel}: {matches}"
    return matches[0]


def only(findings: list[Finding], rule: str) -> Finding:
    picked = [f for f in findings if f.rule == rule]
    assert len(picked) == 1, [f.format() for f in findings]
    return picked[0]


def kustomize(folder: Path) -> list[dict[str, Any]]:
    result = subprocess.run(
        ["kubectl", "kustomize", str(folder)], capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def patch_file(env: str, namespace: str) -> str:
    """The ServiceAccount patch file of one namespace of an overlay."""
    return f"k8s/overlays/{env}/{namespace}/serviceaccounts.yaml"


def by_label(objects: list[BuiltObject], label: str) -> BuiltObject:
    (found,) = [o for o in objects if o.label == label]
    return found


def canonical(objects: list[dict[str, Any]]) -> list[str]:
    return sorted(json.dumps(obj, sort_keys=True) for obj in objects)


def newest_by_default(versions: Sequence[str]) -> list[Any]:
    """The versions as parameters: the newest in the default run, every other one marked slow."""
    return [pytest.param(v, marks=[] if v == versions[-1] else [pytest.mark.slow]) for v in versions]


# -- example trees --------------------------------------------------------------------------------
@pytest.mark.parametrize("version", ["1.30", "1.32", "1.34"])
@pytest.mark.parametrize("example", EXAMPLES)
def test_example_trees_have_no_schema_findings(example: str, version: str) -> None:
    tree = RenderedTree(OUT / example)
    overlays, findings = build_overlays(tree)
    assert findings == []
    assert overlays and all(overlays.values())
    assert check_kubernetes(tree, overlays, version=version, use_kubectl=False) == []


@pytest.mark.kubectl
@needs_kubectl
@pytest.mark.parametrize("version", newest_by_default(["1.30", "1.32", "1.34"]))  # kubectl: the same build
@pytest.mark.parametrize("example", EXAMPLES)
def test_example_trees_have_no_findings_with_kubectl(example: str, version: str) -> None:
    assert run(OUT / example, version, use_kubectl=True) == []


def test_example_overlays_and_objects() -> None:
    lab, _ = build_overlays(RenderedTree(OUT / "lab"))
    platform, _ = build_overlays(RenderedTree(OUT / "platform"))
    assert list(lab) == ["default"]
    assert list(platform) == ["dev", "prod", "staging"]
    base = OUT / "platform/k8s/base"
    expected = []  # every document of the base, in resource order: namespace folders, then their files
    for namespace in yaml.safe_load((base / "kustomization.yaml").read_text("utf-8"))["resources"]:
        folder = base / namespace
        for name in yaml.safe_load((folder / "kustomization.yaml").read_text("utf-8"))["resources"]:
            docs = list(yaml.safe_load_all((folder / name).read_text("utf-8")))
            expected += [(f"k8s/base/{namespace}/{name}", index) for index in range(len(docs))]
    assert expected[0] == ("k8s/base/orders/namespace.yaml", 0) and len(expected) == 9
    for objects in platform.values():
        assert [(o.source, o.index) for o in objects] == expected


# -- the overlay builder --------------------------------------------------------------------------
def test_overlay_patch_adds_client_id_and_keeps_base_annotations() -> None:
    tree = RenderedTree(OUT / "platform")
    overlays, _ = build_overlays(tree)
    account = by_label(overlays["dev"], API_ACCOUNT)
    assert (account.source, account.index) == (ACCOUNTS, 0)
    assert account.patches == ((DEV_PATCHES, 0),)
    assert account.obj["metadata"]["annotations"] == {
        TENANT_ID: "22222222-2222-2222-2222-222222222222",
        TOKEN_EXPIRATION: "7200",
        CLIENT_ID: "55555555-5555-5555-5555-555555555555",
    }
    assert account.obj["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "wlid"
    prod = by_label(overlays["prod"], API_ACCOUNT)
    assert prod.obj["metadata"]["annotations"][CLIENT_ID] == "${WLID_CLIENT_ID_ORDERS_API}"
    # the parsed base document is left alone
    assert CLIENT_ID not in tree.yaml_documents(ACCOUNTS)[0]["metadata"]["annotations"]
    deployment = next(o for o in overlays["dev"] if o.source == DEPLOYMENT)
    assert deployment.patches == ()


@pytest.mark.parametrize("env", ["dev", "prod", "staging"])
def test_each_document_of_a_patch_file_patches_its_own_account(env: str) -> None:
    tree = RenderedTree(OUT / "platform")
    overlays, findings = build_overlays(tree)
    assert findings == []
    accounts = {o.label: o for o in overlays[env] if o.obj["kind"] == "ServiceAccount"}
    assert sorted(accounts) == sorted(label for label, *_ in PATCHED_ACCOUNTS)
    assert [len(tree.yaml_documents(patch_file(env, ns))) for ns in ("orders", "reporting")] == [2, 1]
    for label, namespace, name, index in PATCHED_ACCOUNTS:
        rel = patch_file(env, namespace)
        patch = tree.yaml_documents(rel)[index]
        assert (patch["metadata"]["namespace"], patch["metadata"]["name"]) == (namespace, name)
        account = accounts[label]
        assert (account.source, account.index) == (f"k8s/base/{namespace}/serviceaccounts.yaml", index)
        assert account.patches == ((rel, index),)
        expected = patch["metadata"]["annotations"][CLIENT_ID]
        assert account.obj["metadata"]["annotations"][CLIENT_ID] == expected


@pytest.mark.kubectl
@needs_kubectl
@pytest.mark.parametrize("example", EXAMPLES)
def test_builder_equals_kubectl_kustomize(example: str) -> None:
    overlays, findings = build_overlays(RenderedTree(OUT / example))
    assert findings == []
    for name, objects in overlays.items():
        expected = kustomize(OUT / example / "k8s" / "overlays" / name)
        assert canonical([o.obj for o in objects]) == canonical(expected), name


def test_merge_semantics() -> None:
    base = {"a": {"b": 1, "c": [1, 2], "d": "x"}, "e": 1}
    patch = {"a": {"c": [3], "d": None, "f": {"g": None, "h": 2}}, "e": "two"}
    before = copy.deepcopy((base, patch))
    assert merge(base, patch) == {"a": {"b": 1, "c": [3], "f": {"h": 2}}, "e": "two"}
    assert (base, patch) == before


def test_builds_are_deterministic() -> None:
    first, _ = build_overlays(RenderedTree(OUT / "platform"))
    second, _ = build_overlays(RenderedTree(OUT / "platform"))
    assert first == second
    assert [(o.source, o.obj["kind"]) for o in first["prod"]] == [
        (o.source, o.obj["kind"]) for o in second["prod"]
    ]


# -- K8S003 ---------------------------------------------------------------------------------------
def test_missing_resource_file(tmp_path: Path) -> None:
    root = copy_example("platform", tmp_path)
    (root / DEPLOYMENT).unlink()
    finding = only(run(root), "K8S003")  # once, although three overlays use the base
    kustomization = "k8s/base/orders/kustomization.yaml"
    assert finding.file == (root / kustomization).as_posix()
    assert finding.line == line_number(root, kustomization, "deployments.yaml")
    assert f"{DEPLOYMENT} does not exist" in finding.message
    overlays, _ = build_overlays(RenderedTree(root))
    assert all(len(objects) == 8 for objects in overlays.values())


@pytest.mark.parametrize("account", range(len(PATCHED_ACCOUNTS)))
def test_patch_matching_no_object(tmp_path: Path, account: int) -> None:
    root = copy_example("platform", tmp_path)
    label, namespace, name, index = PATCHED_ACCOUNTS[account]
    rel = patch_file("dev", namespace)
    edit_document(root, rel, index, f"  name: {name}\n", f"  name: {name}-typo\n")
    finding = only(run(root), "K8S003")
    assert finding.file == (root / rel).as_posix()
    assert finding.line == line_number(root, rel, f"name: {name}-typo")
    assert finding.line in document_lines(root, rel, index)
    assert "matches no object" in finding.message
    assert f"ServiceAccount {namespace}/{name}-typo" in finding.message
    # the other documents still patch their own accounts
    overlays, _ = build_overlays(RenderedTree(root))
    patched = {o.label: o.patches for o in overlays["dev"] if o.patches}
    assert patched == {
        other: ((patch_file("dev", ns), i),) for other, ns, _, i in PATCHED_ACCOUNTS if other != label
    }
    assert label not in patched


def test_patch_in_another_namespace_matches_nothing(tmp_path: Path) -> None:
    root = copy_example("platform", tmp_path)
    edit_document(root, DEV_PATCHES, 1, "namespace: orders", "namespace: default")
    finding = only(run(root), "K8S003")
    assert "matches no object" in finding.message
    assert "ServiceAccount orders-worker with apiVersion v1" in finding.message
    assert finding.line == line_number(root, DEV_PATCHES, "name: orders-worker")


@pytest.mark.parametrize(
    "extra",
    [
        "patchesJson6902:\n- path: p.yaml\n",
        "components:\n- ../../components/x\n",
        "configMapGenerator:\n- name: settings\n",
        "namePrefix: dev-\n",
    ],
)
def test_unsupported_kustomization_fields(tmp_path: Path, extra: str) -> None:
    root = copy_example("platform", tmp_path)
    rel = "k8s/overlays/staging/kustomization.yaml"
    with (root / rel).open("a", encoding="utf-8") as handle:
        handle.write(extra)
    finding = only(run(root), "K8S003")
    field = extra.split(":", 1)[0]
    assert finding.file == (root / rel).as_posix()
    assert finding.line == line_number(root, rel, f"{field}:") + (0 if extra.count("\n") == 1 else 1)
    assert finding.message.startswith(f"{field} is not supported")


def test_unparseable_yaml_and_non_objects(tmp_path: Path) -> None:
    root = copy_example("platform", tmp_path)
    (root / DEPLOYMENT).write_text("apiVersion: apps/v1\nkind: [Deployment\n", "utf-8")
    (root / STATEFULSET).write_text("just: a map\n", "utf-8")
    findings = [f for f in run(root) if f.rule == "K8S003"]
    assert [f.file for f in findings] == [(root / DEPLOYMENT).as_posix(), (root / STATEFULSET).as_posix()]
    assert "is not valid YAML" in findings[0].message
    assert "is not a Kubernetes object" in findings[1].message


def test_patch_entries_other_than_path_are_reported(tmp_path: Path) -> None:
    root = copy_example("lab", tmp_path)
    rel = "k8s/overlays/default/default/kustomization.yaml"
    edit(root, rel, "- path: serviceaccounts.yaml", "- target: {kind: Pod}\n  path: serviceaccounts.yaml")
    finding = only(run(root), "K8S003")
    assert "only patches entries of the form" in finding.message
    assert finding.line == line_number(root, rel, "target:")


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("../dev", "../dev includes itself"),
        ("../../../../etc", "../../../../etc is outside the rendered tree"),
        ("https://github.com/example/repo//base", "remote resource"),
        ("../prod/kustomization.yaml", "is not a Kubernetes object"),
    ],
)
def test_bad_resource_entries(tmp_path: Path, entry: str, message: str) -> None:
    root = copy_example("platform", tmp_path)
    rel = "k8s/overlays/dev/kustomization.yaml"
    edit(root, rel, "- reporting\n", f"- reporting\n- {entry}\n")
    findings = run(root)
    assert [f.rule for f in findings] == ["K8S003"]
    assert message in findings[0].message
    overlays, _ = build_overlays(RenderedTree(root))
    assert len(overlays["dev"]) == 9


@pytest.mark.parametrize("account", range(len(PATCHED_ACCOUNTS)))
def test_patch_directives_are_refused(tmp_path: Path, account: int) -> None:
    root = copy_example("platform", tmp_path)
    _, namespace, name, index = PATCHED_ACCOUNTS[account]
    rel = patch_file("dev", namespace)
    edit_document(root, rel, index, f"  name: {name}\n", f"  name: {name}\n  $patch: delete\n")
    finding = only(run(root), "K8S003")
    assert (finding.file, finding.line) == ((root / rel).as_posix(), line_number(root, rel, "$patch"))
    assert finding.line in document_lines(root, rel, index)
    assert "patch directive $patch is not supported" in finding.message


def test_document_of_a_patch_file_that_is_not_a_patch(tmp_path: Path) -> None:
    root = copy_example("platform", tmp_path)
    edit_document(root, DEV_PATCHES, 1, "kind: ServiceAccount\n", "")
    finding = only(run(root), "K8S003")
    assert finding.file == (root / DEV_PATCHES).as_posix()
    assert finding.line == document_lines(root, DEV_PATCHES, 1)[0]
    assert "a patch needs apiVersion, kind and metadata.name" in finding.message


def test_overlay_folder_without_kustomization(tmp_path: Path) -> None:
    root = copy_example("lab", tmp_path)
    (root / "k8s/overlays/extra").mkdir()
    (root / "k8s/overlays/extra/notes.txt").write_text("x\n", "utf-8")
    overlays, findings = build_overlays(RenderedTree(root))
    assert overlays["extra"] == []
    assert [f.message for f in findings] == ["overlay extra has no kustomization.yaml"]


# -- K8S001 ---------------------------------------------------------------------------------------
def test_unknown_field_in_a_pod(tmp_path: Path) -> None:
    root = copy_example("lab", tmp_path)
    edit_document(root, LAB_POD, 0, "  serviceAccountName:", "  hostNetwrk: true\n  serviceAccountName:")
    finding = only(run(root), "K8S001")
    assert finding.file == (root / LAB_POD).as_posix()
    assert finding.line == line_number(root, LAB_POD, "hostNetwrk")
    assert finding.severity == "error"
    assert finding.message == (
        "Pod default/sample-workload-identity: spec: Additional properties are not allowed "
        "('hostNetwrk' was unexpected) (overlay default, Kubernetes 1.32)"
    )


def test_replicas_as_a_string_is_reported_once_for_all_overlays(tmp_path: Path) -> None:
    root = copy_example("platform", tmp_path)
    edit(root, DEPLOYMENT, "replicas: 3", 'replicas: "3"')
    finding = only(run(root, "1.34"), "K8S001")
    assert finding.file == (root / DEPLOYMENT).as_posix()
    assert finding.line == line_number(root, DEPLOYMENT, "replicas:")
    assert finding.message.startswith(
        "Deployment orders/orders-api: spec.replicas: '3' is not of type 'integer'"
    )
    assert finding.message.endswith("(overlays dev, prod, staging, Kubernetes 1.34)")


def test_missing_containers(tmp_path: Path) -> None:
    root = copy_example("platform", tmp_path)
    edit(
        root,
        STATEFULSET,
        "      containers:\n      - name: worker\n        image: ghcr.io/example/orders-worker:1.4.2\n",
        "",
    )
    finding = only(run(root), "K8S001")
    assert finding.file == (root / STATEFULSET).as_posix()
    # the line of the pod spec that lacks the field (its first key)
    assert finding.line == line_number(root, STATEFULSET, "serviceAccountName:")
    assert "spec.template.spec: 'containers' is a required property" in finding.message


@pytest.mark.parametrize("account", range(len(PATCHED_ACCOUNTS)))
def test_value_set_by_a_patch_points_at_the_patch(tmp_path: Path, account: int) -> None:
    root = copy_example("platform", tmp_path)
    label, namespace, _, index = PATCHED_ACCOUNTS[account]
    rel = patch_file("dev", namespace)
    # the old value stays on the line as a comment: `client-id: 5555 # 55555555-...`
    edit_document(root, rel, index, "client-id: ", "client-id: 5555 # ")
    finding = only(run(root), "K8S001")
    assert finding.file == (root / rel).as_posix()
    assert finding.line == line_number(root, rel, "client-id: 5555 #")
    assert finding.line in document_lines(root, rel, index)
    assert finding.message == (
        f"{label}: metadata.annotations.azure.workload.identity/client-id: "
        "5555 is not of type 'string', 'null' (overlay dev, Kubernetes 1.32)"
    )


@pytest.mark.parametrize("account", range(len(PATCHED_ACCOUNTS)))
def test_unknown_field_added_by_a_patch_points_at_the_patch(tmp_path: Path, account: int) -> None:
    root = copy_example("platform", tmp_path)
    label, namespace, _, index = PATCHED_ACCOUNTS[account]
    rel = patch_file("prod", namespace)
    path = root / rel
    docs = split_documents(path.read_text("utf-8"))
    docs[index] += "automountServiceAccountTokn: false\n"
    path.write_text("---\n".join(docs), "utf-8")
    finding = only(run(root), "K8S001")
    assert (finding.file, finding.line) == (path.as_posix(), line_number(root, rel, "automount"))
    assert finding.line in document_lines(root, rel, index)
    assert finding.message.startswith(f"{label}: Additional properties are not allowed")
    assert "(overlay prod," in finding.message


def append_document(root: Path, rel: str, document: str) -> None:
    with (root / rel).open("a", encoding="utf-8") as handle:
        handle.write("---\n" + document)


def api_account_patch(client_id: str) -> str:
    return (
        "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: orders-api\n  namespace: orders\n"
        f"  annotations:\n    {CLIENT_ID}: {client_id}\n"
    )


def test_two_documents_patching_one_object_the_later_wins(tmp_path: Path) -> None:
    root = copy_example("platform", tmp_path)
    append_document(root, DEV_PATCHES, api_account_patch("7"))
    overlays, findings = build_overlays(RenderedTree(root))
    assert findings == []
    account = by_label(overlays["dev"], API_ACCOUNT)
    assert account.patches == ((DEV_PATCHES, 0), (DEV_PATCHES, 2))
    assert account.obj["metadata"]["annotations"][CLIENT_ID] == 7
    finding = only(run(root), "K8S001")
    # the document that set the value, not the first one that patches the same object
    assert (finding.file, finding.line) == (
        (root / DEV_PATCHES).as_posix(),
        line_number(root, DEV_PATCHES, "client-id: 7"),
    )
    assert finding.line in document_lines(root, DEV_PATCHES, 2)
    assert finding.message.startswith("ServiceAccount orders/orders-api: metadata.annotations.")


def test_a_later_document_can_fix_an_earlier_one(tmp_path: Path) -> None:
    root = copy_example("platform", tmp_path)
    edit_document(root, DEV_PATCHES, 0, "client-id: 55555555-5555-5555-5555-555555555555", "client-id: 7")
    append_document(root, DEV_PATCHES, api_account_patch("fixed"))
    assert run(root) == []


@pytest.mark.kubectl
@needs_kubectl
def test_two_documents_patching_one_object_agree_with_kubectl(tmp_path: Path) -> None:
    root = copy_example("platform", tmp_path)
    append_document(root, DEV_PATCHES, api_account_patch("second"))
    overlays, findings = build_overlays(RenderedTree(root))
    assert findings == []
    expected = kustomize(root / "k8s" / "overlays" / "dev")
    assert canonical([o.obj for o in overlays["dev"]]) == canonical(expected)
    account = by_label(overlays["dev"], API_ACCOUNT)
    assert account.obj["metadata"]["annotations"][CLIENT_ID] == "second"


@pytest.mark.parametrize(("before", "after"), [("", "---\n"), ("---\n---\n", "")])
def test_lines_in_a_patch_file_with_an_empty_document(tmp_path: Path, before: str, after: str) -> None:
    root = copy_example("lab", tmp_path)
    path = root / LAB_PATCHES
    text = path.read_text("utf-8").replace("client-id: ${WLID_CLIENT_ID_MYIDENTITY}", "client-id: 5")
    path.write_text(before + text + after, "utf-8")
    finding = only(run(root), "K8S001")
    assert (finding.file, finding.line) == (path.as_posix(), line_number(root, LAB_PATCHES, "client-id: 5"))


def test_base_error_in_a_patched_object_points_at_the_base(tmp_path: Path) -> None:
    root = copy_example("platform", tmp_path)
    edit_document(root, ACCOUNTS, 0, "  labels:\n", "  labels:\n    tier: 1\n")
    finding = only(run(root), "K8S001")
    assert (finding.file, finding.line) == ((root / ACCOUNTS).as_posix(), line_number(root, ACCOUNTS, "tier"))
    assert finding.line in document_lines(root, ACCOUNTS, 0)
    assert finding.message.startswith(f"{API_ACCOUNT}: ")
    assert finding.message.endswith("(overlays dev, prod, staging, Kubernetes 1.32)")


def test_line_in_a_multi_document_base_file(tmp_path: Path) -> None:
    root = copy_example("lab", tmp_path)
    edit_document(root, LAB_POD, 1, "  - name: oidc\n", "  - name: oidc\n    tty: maybe\n")
    overlays, findings = build_overlays(RenderedTree(root))
    assert findings == []
    accounts = "k8s/base/default/serviceaccounts.yaml"
    assert [(o.source, o.index) for o in overlays["default"]] == [(accounts, 0), (LAB_POD, 0), (LAB_POD, 1)]
    finding = only(run(root), "K8S001")
    assert (finding.file, finding.line) == (
        (root / LAB_POD).as_posix(),
        line_number(root, LAB_POD, "tty: maybe"),
    )
    assert finding.line in document_lines(root, LAB_POD, 1)
    assert finding.message.startswith("Pod default/sample-workload-identity-key-vault: ")
    assert "containers[0].tty: 'maybe' is not of type 'boolean'" in finding.message


# -- K8S004 ---------------------------------------------------------------------------------------
def test_unknown_kind_is_a_warning(tmp_path: Path) -> None:
    root = copy_example("platform", tmp_path)
    service = "apiVersion: v1\nkind: Service\nmetadata:\n  name: orders-api\n  namespace: orders\n"
    (root / "k8s/base/orders/services.yaml").write_text(service, "utf-8")
    edit(
        root,
        "k8s/base/orders/kustomization.yaml",
        "- namespace.yaml\n",
        "- namespace.yaml\n- services.yaml\n",
    )
    findings = run(root)
    finding = only(findings, "K8S004")
    assert finding.severity == "warning"
    assert finding.file.endswith("k8s/base/orders/services.yaml")
    assert finding.line == 2
    assert "no schema for kind Service" in finding.message
    assert "not checked" in finding.message
    assert [f.rule for f in findings] == ["K8S004"]


def test_kind_with_an_unknown_api_version_is_not_checked(tmp_path: Path) -> None:
    root = copy_example("platform", tmp_path)
    edit(root, DEPLOYMENT, "apiVersion: apps/v1", "apiVersion: apps/v1beta1")
    assert "no schema for kind Deployment (apps/v1beta1)" in only(run(root), "K8S004").message


# -- K8S002 ---------------------------------------------------------------------------------------
def break_overlay(root: Path) -> str:
    rel = "k8s/overlays/default/kustomization.yaml"
    edit(root, rel, "- default\n", "- default\n- missing.yaml\n")
    return rel


@pytest.mark.kubectl
@needs_kubectl
def test_kubectl_failure_is_reported(tmp_path: Path) -> None:
    root = copy_example("lab", tmp_path)
    rel = break_overlay(root)
    findings = run(root, use_kubectl=True)
    finding = only(findings, "K8S002")
    assert finding.file == (root / rel).as_posix()
    assert finding.severity == "error"
    assert "kubectl kustomize failed (overlay default" in finding.message
    assert "missing.yaml" in finding.message
    assert "missing.yaml does not exist" in only(findings, "K8S003").message


def test_kubectl_is_optional(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = copy_example("lab", tmp_path)
    break_overlay(root)
    assert [f.rule for f in run(root, use_kubectl=False)] == ["K8S003"]
    monkeypatch.setattr(k8s.shutil, "which", lambda name: None)
    assert not k8s.kubectl_available()
    assert [f.rule for f in run(root, use_kubectl=True)] == ["K8S003"]


# -- versions and validators ----------------------------------------------------------------------
@pytest.mark.parametrize("version", ["1.29", "1.35", "v1.32", "1.32.0", ""])
def test_unsupported_version(version: str) -> None:
    tree = RenderedTree(OUT / "lab")
    overlays, _ = build_overlays(tree)
    with pytest.raises(ValueError, match=r"supported: 1\.30, 1\.31, 1\.32, 1\.33, 1\.34"):
        check_kubernetes(tree, overlays, version=version, use_kubectl=False)


def test_validators_are_compiled_once() -> None:
    first = validator_for("1.33", "apps/v1", "Deployment")
    assert first is not None
    assert validator_for("1.33", "apps/v1", "Deployment") is first
    assert schema_document("1.33") is schema_document("1.33")
    assert validator_for("1.33", "v1", "Service") is None
    assert validator_for("1.33", "apps/v1", "Deployment") is first


@pytest.mark.parametrize("version", newest_by_default(SUPPORTED_VERSIONS))
def test_vendored_files_are_valid_draft_2020_12_with_the_expected_kinds(version: str) -> None:
    document = schema_document(version)
    jsonschema.Draft202012Validator.check_schema(document)
    kinds = {(api, kind) for api, names in document["kinds"].items() for kind in names}
    assert kinds == {
        ("v1", "Namespace"),
        ("v1", "ServiceAccount"),
        ("v1", "Pod"),
        ("v1", "ConfigMap"),
        ("apps/v1", "Deployment"),
        ("apps/v1", "StatefulSet"),
        ("batch/v1", "Job"),
        ("batch/v1", "CronJob"),
        ("rbac.authorization.k8s.io/v1", "ClusterRole"),
        ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
    }
    refs = set(_refs(document))
    assert all(ref.startswith("#/$defs/") for ref in refs)
    assert {ref.removeprefix("#/$defs/") for ref in refs} <= set(document["$defs"])


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [v for k, v in node.items() if k == "$ref"] + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for item in node for r in _refs(item)]
    return []


# -- cross-check against kubernetes-validate (test only) ------------------------------------------
@functools.cache
def upstream_validator(version: str, api_version: str, kind: str) -> jsonschema.protocols.Validator:
    if importlib.util.find_spec("kubernetes_validate") is None:
        pytest.skip("kubernetes-validate is not installed")
    folder = resources.files("kubernetes_validate") / "kubernetes-json-schema" / f"v{version}.0-local-strict"
    group, _, api = api_version.rpartition("/")
    stem = "-".join(part for part in (kind.lower(), group, api) if part)
    schema = json.loads((folder / f"{stem}.json").read_text("utf-8"))
    definitions = Resource.from_contents(json.loads((folder / "_definitions.json").read_text("utf-8")))
    registry = Registry().with_resources(
        [(schema["$id"], Resource.from_contents(schema)), (definitions.id(), definitions)]
    )
    return jsonschema.validators.validator_for(schema)(schema, registry=registry)


def error_set(validator: jsonschema.protocols.Validator, obj: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted((json.dumps(list(e.absolute_path)), e.message) for e in validator.iter_errors(obj))


def broken_variants(obj: dict[str, Any]) -> list[dict[str, Any]]:
    """A few mistakes per object, so that the comparison covers errors and not only passes."""
    out = []
    extra = copy.deepcopy(obj)
    extra["metadata"]["labelz"] = {}
    out.append(extra)
    typed = copy.deepcopy(obj)
    typed["metadata"]["annotations"] = {"a": 1}
    out.append(typed)
    spec = obj.get("spec")
    if isinstance(spec, dict):
        wrong = copy.deepcopy(obj)
        wrong["spec"]["replicas" if "replicas" in spec else "bogus"] = "3"
        out.append(wrong)
    return out


def emitted_objects() -> list[BuiltObject]:
    objects = []
    for example in EXAMPLES:
        overlays, _ = build_overlays(RenderedTree(OUT / example))
        objects += [o for built in overlays.values() for o in built]
    return objects


@pytest.mark.parametrize("version", newest_by_default(SUPPORTED_VERSIONS))
def test_vendored_schemas_agree_with_kubernetes_validate(version: str) -> None:
    compared = 0
    for built in emitted_objects():
        api_version, kind = built.obj["apiVersion"], built.obj["kind"]
        ours = validator_for(version, api_version, kind)
        theirs = upstream_validator(version, api_version, kind)
        assert ours is not None
        for obj in [built.obj, *broken_variants(built.obj)]:
            assert error_set(ours, obj) == error_set(theirs, obj), (version, built.label)
            compared += 1
        assert error_set(ours, built.obj) == []
    assert compared > 4 * 12
