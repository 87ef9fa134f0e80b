"""GitOps objects are validated, and `$` keys from the spec never become kustomize directives.

- GITOPS001: every object under OUT/gitops against its schema: Flux Kustomization and GitRepository
  and Argo CD Application against the JSON schemas of their CRDs (bundled from datreeio/CRDs-catalog),
  a ConfigMap against Kubernetes', metadata against ObjectMeta. GITOPS002: a kind without a schema.
- A map key of the spec that starts with `$` is refused at render; K8S007 finds one in a tree. With
  kubectl: such a key in a patch is a directive (`$patch: delete` drops what it stands in).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from conftest import ROOT

from wlid_render.errors import SpecError
from wlid_render.plan.source import plan_source
from wlid_render.spec.load import load_text
from wlid_render.validate.gitops import crd_validator
from wlid_render.validate.run import Options, validate_tree

OFFLINE = Options(use_kubectl=False)
needs_kubectl = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH")
BUNDLED = (
    ("kustomize.toolkit.fluxcd.io/v1", "Kustomization", "kustomize.toolkit.fluxcd.io/kustomization_v1.json"),
    ("source.toolkit.fluxcd.io/v1", "GitRepository", "source.toolkit.fluxcd.io/gitrepository_v1.json"),
    ("argoproj.io/v1alpha1", "Application", "argoproj.io/application_v1alpha1.json"),
)


def _copy(tmp_path: Path) -> Path:
    out = tmp_path / "multi-env"
    shutil.copytree(ROOT / "out" / "multi-env", out)
    return out


def _findings(out: Path, *rules: str) -> list[Any]:
    return [f for f in validate_tree(out, OFFLINE) if f.rule in rules]


def _edit(path: Path, index: int, change) -> None:  # type: ignore[no-untyped-def]
    docs = [d for d in yaml.safe_load_all(path.read_text("utf-8")) if d]
    change(docs[index])
    path.write_text(yaml.safe_dump_all(docs, sort_keys=False), "utf-8")


@pytest.mark.parametrize(("api_version", "kind", "file"), BUNDLED)
def test_bundled_schemas_are_draft_7_without_descriptions(api_version: str, kind: str, file: str):
    text = (resources.files("wlid_render.data") / "crd_schemas" / file).read_text("utf-8")
    schema = json.loads(text)
    jsonschema.Draft7Validator.check_schema(schema)
    assert '"description":"' not in text  # annotations dropped (a property so named would be a map)
    assert crd_validator(api_version, kind) is not None
    notice = (resources.files("wlid_render.data") / "crd_schemas" / "NOTICE.md").read_text("utf-8")
    assert file in notice and "datreeio/CRDs-catalog" in notice


@pytest.mark.parametrize("name", sorted(p.name for p in (ROOT / "out").iterdir()))
def test_example_gitops_objects_match_their_schemas(name: str):
    assert _findings(ROOT / "out" / name, "GITOPS001", "GITOPS002") == []


@pytest.mark.parametrize(
    ("file", "change", "field"),
    [
        ("flux/prod.yaml", lambda d: d["spec"].__setitem__("prune", "yes"), "spec.prune"),
        ("flux/prod.yaml", lambda d: d["spec"].__setitem__("substitute", {"A": "b"}), "spec"),
        ("flux/prod.yaml", lambda d: d["spec"].pop("sourceRef"), "spec"),
        ("flux/dev.yaml", lambda d: d["spec"]["sourceRef"].__setitem__("kind", "Git"), "spec.sourceRef.kind"),
        (
            "argocd/prod.yaml",
            lambda d: d["spec"]["source"].__setitem__("targetRevision", 1),
            "spec.source.targetRevision",
        ),
        (
            "argocd/dev.yaml",
            lambda d: d["spec"]["syncPolicy"]["automated"].__setitem__("selfHeal", "true"),
            "spec.syncPolicy.automated.selfHeal",
        ),
        ("argocd/dev.yaml", lambda d: d["spec"].pop("destination"), "spec"),
        ("argocd/dev.yaml", lambda d: d["metadata"].pop("name"), "metadata"),
        ("argocd/dev.yaml", lambda d: d["metadata"]["labels"].__setitem__("team", 7), "metadata.labels.team"),
    ],
)
def test_gitops001_finds_a_planted_fault(tmp_path: Path, file: str, change, field: str):  # type: ignore[no-untyped-def]
    out = _copy(tmp_path)
    _edit(out / "gitops" / file, 0, change)
    findings = _findings(out, "GITOPS001", "GITOPS002")
    assert findings, file
    assert all(f.rule == "GITOPS001" and f.severity == "error" for f in findings)
    assert all(f.file.endswith(f"gitops/{file}") for f in findings)
    assert any(
        f": {field}: " in f.message or f.message.endswith(f": {field}") or field in f.message
        for f in findings
    )
    assert all(f.line is not None for f in findings)


def test_a_hand_added_gitrepository_configmap_and_unknown_kind(tmp_path: Path):
    out = _copy(tmp_path)
    extra = [
        {
            "apiVersion": "source.toolkit.fluxcd.io/v1",
            "kind": "GitRepository",
            "metadata": {"name": "flux-system", "namespace": "flux-system"},
            "spec": {"interval": "1m", "ref": {"branch": "main"}},  # no url
        },
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "wlid-prod-identities", "namespace": "flux-system"},
            "data": {"WLID_CLIENT_ID_SHOP_API": 5},
        },
        {
            "apiVersion": "helm.toolkit.fluxcd.io/v2",
            "kind": "HelmRelease",
            "metadata": {"name": "x", "namespace": "flux-system"},
            "spec": {},
        },
    ]
    path = out / "gitops" / "flux" / "prod.yaml"
    path.write_text(path.read_text("utf-8") + "---\n" + yaml.safe_dump_all(extra, sort_keys=False), "utf-8")
    findings = _findings(out, "GITOPS001", "GITOPS002")
    by_rule = {(f.rule, f.message.split(":")[0]) for f in findings}
    assert by_rule == {
        ("GITOPS001", "GitRepository flux-system/flux-system"),
        ("GITOPS001", "ConfigMap flux-system/wlid-prod-identities"),
        ("GITOPS002", "HelmRelease flux-system/x"),
    }
    (unknown,) = [f for f in findings if f.rule == "GITOPS002"]
    assert unknown.severity == "warning"


# -- $ keys ---------------------------------------------------------------------------------------
SPEC = """\
apiVersion: wlid/v1
kind: WorkloadIdentitySpec
metadata: {name: d}
azure: {subscriptionId: 11111111-1111-1111-1111-111111111111, resourceGroup: rg, location: eastus}
cluster: {name: aks}
identities: [{name: app-identity}]
serviceAccounts: [{name: app, namespace: apps, identity: app-identity}]
workloads:
  - name: web
    kind: Deployment
    serviceAccount: app
    containers:
      - name: web
        image: busybox
        resources:
          requests: {cpu: 100m, $patch: delete}
          limits:
            $setElementOrder/containers: x
            memory: 1Gi
"""


def test_dollar_keys_of_the_spec_are_refused_at_render():
    with pytest.raises(SpecError) as raised:
        plan_source(load_text(SPEC, "spec.yaml"))
    problems = {p.path[-1]: p for p in raised.value.problems}
    assert set(problems) == {"$patch", "$setElementOrder/containers"}
    assert problems["$patch"].path == ("workloads", 0, "containers", 0, "resources", "requests", "$patch")
    assert problems["$patch"].mark is not None and problems["$patch"].mark.line == 16
    assert "directive" in problems["$patch"].message


@pytest.mark.parametrize(
    "key",
    ["workloads[0].labels", "workloads[0].annotations", "workloads[0].nodeSelector", "env"],
)
def test_label_annotation_and_env_keys_cannot_start_with_a_dollar(key: str):
    """These maps have naming rules of their own that already refuse `$`."""
    text = SPEC.replace("          requests: {cpu: 100m, $patch: delete}\n", "").replace(
        "            $setElementOrder/containers: x\n", ""
    )
    if key == "env":
        text = text.replace(
            "        image: busybox\n", "        image: busybox\n        env: {$patch: delete}\n"
        )
    else:
        field = key.split(".")[1]
        text = text.replace(
            "    serviceAccount: app\n", f"    serviceAccount: app\n    {field}: {{$patch: delete}}\n"
        )
    with pytest.raises(SpecError) as raised:
        plan_source(load_text(text, "spec.yaml"))
    assert any("$patch" in str(p.path) or "$patch" in p.message for p in raised.value.problems)


@pytest.mark.kubectl
@needs_kubectl
def test_a_dollar_key_in_a_patch_is_a_directive_in_kubectl_and_k8s007_finds_it(tmp_path: Path):
    out = tmp_path / "platform"
    shutil.copytree(ROOT / "out" / "platform", out)
    assert _findings(out, "K8S007") == []
    folder = out / "k8s" / "overlays" / "prod" / "orders"
    patch = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "orders-api", "namespace": "orders"},
        "spec": {"template": {"spec": {"containers": [{"name": "api", "resources": {"$patch": "delete"}}]}}},
    }
    (folder / "directive.yaml").write_text(yaml.safe_dump(patch, sort_keys=False), "utf-8")
    kustomization = yaml.safe_load((folder / "kustomization.yaml").read_text("utf-8"))
    kustomization.setdefault("patches", []).append({"path": "directive.yaml"})
    (folder / "kustomization.yaml").write_text(yaml.safe_dump(kustomization, sort_keys=False), "utf-8")
    built = subprocess.run(
        ["kubectl", "kustomize", str(out / "k8s" / "overlays" / "prod")],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    (deployment,) = [d for d in yaml.safe_load_all(built) if d and d["kind"] == "Deployment"]
    assert "resources" not in deployment["spec"]["template"]["spec"]["containers"][0]  # deleted, not data
    (finding,) = _findings(out, "K8S007")
    assert finding.file.endswith("k8s/overlays/prod/orders/directive.yaml")
    assert "$patch" in finding.message and finding.severity == "error"
    line = (folder / "directive.yaml").read_text("utf-8").splitlines()[finding.line - 1]
    assert "$patch" in line
