"""Flux post-build substitution fills the client-ID placeholders and touches nothing else.

A Flux Kustomization with `postBuild.substituteFrom` expands every `${...}` of every object it builds
(undefined variables become empty) and turns `$$` into `$`, unless the object opts out with
`kustomize.toolkit.fluxcd.io/substitute: disabled`. wlid opts out every object but the
ServiceAccounts. The test applies Flux's rule (tests/flux_envsubst.py, from fluxcd/pkg's source) to
what `kubectl kustomize` builds from each folder a rendered Flux Kustomization reconciles: every
user value survives, and only the placeholders change. The same rule over the tree without the
opt-out shows the failure GITOPS003 reports.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from flux_envsubst import SubstitutionError, expand, substitute_documents

from wlid_render.plan.source import plan_source
from wlid_render.spec.load import load_text
from wlid_render.validate.run import Options, validate_tree
from wlid_render.workflow.pipeline import render_plan

needs_kubectl = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH")
SUBSTITUTE = "kustomize.toolkit.fluxcd.io/substitute"
GUIDS = {
    "WLID_CLIENT_ID_APP_IDENTITY": "aaaaaaaa-0000-4000-8000-000000000001",
    "WLID_CLIENT_ID_OTHER": "bbbbbbbb-0000-4000-8000-000000000002",
}

# Expansions from fluxcd/pkg envsubst/eval_test.go and parse/parse_test.go (input, variables, output).
FLUX_CASES = [
    ("abcdEFGH28ij", {}, "abcdEFGH28ij"),
    ("${#var01}", {"var01": "abcdEFGH28ij"}, "12"),
    ("${var01^}", {"var01": "abcdEFGH28ij"}, "AbcdEFGH28ij"),
    ("${var01^^}", {"var01": "abcdEFGH28ij"}, "ABCDEFGH28IJ"),
    ("${var01,}", {"var01": "ABCDEFGH28IJ"}, "aBCDEFGH28IJ"),
    ("${var01,,}", {"var01": "ABCDEFGH28IJ"}, "abcdefgh28ij"),
    ("${path_name:11}", {"path_name": "/home/bozo/ideas/thoughts.for.today"}, "ideas/thoughts.for.today"),
    ("${path_name:11:5}", {"path_name": "/home/bozo/ideas/thoughts.for.today"}, "ideas"),
    ("${var=xyz}", {"var": "abc"}, "abc"),
    ("${var=xyz}", {}, "xyz"),
    ("something ${var=${default_var}}", {"default_var": "foo"}, "something foo"),
    ("foo: ${var=${default_var}-suffix}", {"default_var": "foo1"}, "foo: foo1-suffix"),
    ("foo: ${var=prefix${default_var}-suffix}", {"default_var": "foo1"}, "foo: prefixfoo1-suffix"),
    ("${var:=xyz}", {}, "xyz"),
    ("${stringZ/%abc/XYZ}", {"stringZ": "abcABC123ABCabc"}, "abcABC123ABCXYZ"),
    ("${stringZ/#abc/XYZ}", {"stringZ": "abcABC123ABCabc"}, "XYZABC123ABCabc"),
    ("${stringZ//abc/xyz}", {"stringZ": "abcABC123ABCabc"}, "xyzABC123ABCxyz"),
    ("${stringZ/abc/xyz}", {"stringZ": "abcABC123ABCabc"}, "xyzABC123ABCabc"),
    ("${var=${var01^^}}", {"var01": "abcdEFGH28ij"}, "ABCDEFGH28IJ"),
    ("$${var01}", {"var01": "abcdEFGH28ij"}, "${var01}"),
    (
        "some text ${var01}$${var$${var01}$var01${var01}",
        {"var01": "abcdEFGH28ij"},
        "some text abcdEFGH28ij${var${var01}$var01abcdEFGH28ij",
    ),
    ("something $${var=${default_var}}", {"default_var": "foo"}, "something ${var=foo}"),
    ("${stringZ/\\//-}", {"stringZ": "foo/bar"}, "foo-bar"),
    ("${stringZ//\\//-}", {"stringZ": "foo/bar/baz"}, "foo-bar-baz"),
    ("\\\\something ${var=${default_var}}", {"default_var": "foo"}, "\\\\something foo"),
    ("${stringZ/./}", {"stringZ": "foo.bar"}, "foobar"),
    ("${missing}", {}, ""),
    ("${missing:-fallback}", {}, "fallback"),
    ("$$string", {}, "$string"),
    ("}text", {}, "}text"),
    ("\\\\.\\pipe\\pipename", {}, "\\\\.\\pipe\\pipename"),
]


@pytest.mark.parametrize(("text", "variables", "expected"), FLUX_CASES)
def test_the_helper_expands_as_flux_does(text: str, variables: dict[str, str], expected: str):
    assert expand(text, variables) == expected


@pytest.mark.parametrize("text", ["${ bad }", "${}", "${X-d}", "${X", "echo ${HOME:?}x${"])
def test_malformed_expansions_fail_the_kustomization(text: str):
    with pytest.raises(SubstitutionError):
        expand(text, {})


SPEC = """\
apiVersion: wlid/v1
kind: WorkloadIdentitySpec
metadata: {name: subst}
azure: {subscriptionId: 11111111-1111-1111-1111-111111111111, resourceGroup: rg, location: eastus}
cluster: {name: aks}
identities: [{name: app-identity}, {name: other}]
serviceAccounts:
  - {name: app, namespace: apps, identity: app-identity}
  - {name: other, namespace: apps, identity: other}
  - {name: tools, namespace: tools, identity: other}
workloads:
  - name: web
    kind: Deployment
    serviceAccount: app
    annotations: {note: "${WLID_CLIENT_ID_APP_IDENTITY} and $$5"}
    containers:
      - name: web
        image: busybox
        command: ["sh", "-c", "echo ${HOSTNAME} $$HOME; echo $${NOT_A_VAR}"]
        args: ["${X:-default}", "cost $5", "a$$b", "$$${HOME}"]
        env:
          HOME_DIR: "${HOME}"
          OTHER_ID: "${WLID_CLIENT_ID_OTHER}"
          LITERAL: "$${NOT_A_VAR}"
  - name: migrate
    kind: Job
    serviceAccount: other
    containers: [{name: m, image: busybox, command: ["echo", "${PATH}"]}]
  - name: nightly
    kind: CronJob
    serviceAccount: other
    schedule: "0 1 * * *"
    containers: [{name: n, image: busybox, env: {WHEN: "${DATE:-today}"}}]
  - name: debug
    kind: Pod
    serviceAccount: tools
    containers: [{name: d, image: busybox, args: ["${ bad }", "${HOME}"]}]
environments:
  dev: {clientIds: {app-identity: 33333333-3333-3333-3333-333333333333}}
  prod: {}
gitops: {repoURL: "https://example.com/repo.git", path: deploy}
"""


def _render(tmp_path: Path) -> Path:
    plan = plan_source(load_text(SPEC, "spec.yaml"))
    out = tmp_path / "deploy"
    for artifact in render_plan(plan):
        path = out / artifact.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(artifact.text, "utf-8")
    return out


def _flux_units(out: Path) -> list[tuple[Path, bool]]:
    """(folder, substituted) of every Flux Kustomization of the rendered tree."""
    units = []
    for file in sorted((out / "gitops" / "flux").glob("*.yaml")):
        for doc in yaml.safe_load_all(file.read_text("utf-8")):
            if doc and doc["kind"] == "Kustomization":
                folder = out.parent / doc["spec"]["path"]
                units.append((folder, "postBuild" in doc["spec"]))
    return units


def _build(folder: Path) -> str:
    return subprocess.run(
        ["kubectl", "kustomize", str(folder)], capture_output=True, text=True, check=True, timeout=120
    ).stdout


def _without_client_ids(obj: dict[str, Any]) -> dict[str, Any]:
    if obj["kind"] != "ServiceAccount":
        return obj
    meta = dict(obj["metadata"])
    meta["annotations"] = {
        k: v for k, v in meta.get("annotations", {}).items() if k != "azure.workload.identity/client-id"
    }
    return {**obj, "metadata": meta}


@pytest.mark.kubectl
@needs_kubectl
def test_flux_fills_the_placeholders_and_every_user_value_survives(tmp_path: Path):
    out = _render(tmp_path)
    units = _flux_units(out)
    assert len(units) == 4 and all(substituted for _, substituted in units)  # `other` is a placeholder everywhere
    seen_web = 0
    for folder, substituted in units:
        built = _build(folder)
        before = [doc for doc in yaml.safe_load_all(built) if doc]
        after = substitute_documents(built, GUIDS if substituted else {})
        assert [_without_client_ids(o) for o in after] == [_without_client_ids(o) for o in before]
        for obj in after:
            if obj["kind"] == "ServiceAccount":
                client_id = obj["metadata"]["annotations"]["azure.workload.identity/client-id"]
                assert client_id in (*GUIDS.values(), "33333333-3333-3333-3333-333333333333")
            else:
                assert obj["metadata"]["annotations"][SUBSTITUTE] == "disabled"
            if obj["kind"] == "Deployment":
                seen_web += 1
                template = obj["spec"]["template"]
                container = template["spec"]["containers"][0]
                assert container["command"][2] == "echo ${HOSTNAME} $$HOME; echo ${NOT_A_VAR}"
                assert container["args"] == ["${X:-default}", "cost $5", "a$$b", "$${HOME}"]  # wlid read $${
                assert {e["name"]: e["value"] for e in container["env"]} == {
                    "HOME_DIR": "${HOME}",
                    "OTHER_ID": "${WLID_CLIENT_ID_OTHER}",
                    "LITERAL": "${NOT_A_VAR}",
                }
                assert template["metadata"]["annotations"]["note"] == "${WLID_CLIENT_ID_APP_IDENTITY} and $$5"
    assert seen_web == 2


def _strip_opt_out(out: Path) -> None:
    """The tree as wlid wrote it before: no object opts out of substitution."""
    for path in (out / "k8s").rglob("*.yaml"):
        text = path.read_text("utf-8")
        path.write_text(text.replace(f"    {SUBSTITUTE}: disabled\n", ""), "utf-8")


@pytest.mark.kubectl
@needs_kubectl
def test_without_the_opt_out_flux_rewrites_user_values_and_gitops003_finds_them(tmp_path: Path):
    out = _render(tmp_path)
    assert [f for f in validate_tree(out, Options(use_kubectl=False)) if f.rule == "GITOPS003"] == []
    _strip_opt_out(out)
    apps = out / "k8s" / "overlays" / "prod" / "apps"
    (deployment,) = [o for o in substitute_documents(_build(apps), GUIDS) if o["kind"] == "Deployment"]
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e["value"] for e in container["env"]}
    # Undefined variables expand to nothing: kustomize wrote `value: ${HOME}` plain, so the value is gone
    # (YAML null), like the literal ${NOT_A_VAR} the spec asked for with $${.
    assert env["HOME_DIR"] is None
    assert env["LITERAL"] is None
    assert env["OTHER_ID"] == GUIDS["WLID_CLIENT_ID_OTHER"]  # another identity's client ID
    assert container["command"][2] == "echo  $HOME; echo"  # plain in the YAML text: the space goes too
    with pytest.raises(SubstitutionError):  # `${ bad }`: Flux fails the whole Kustomization
        substitute_documents(_build(out / "k8s" / "overlays" / "prod" / "tools"), GUIDS)

    findings = [f for f in validate_tree(out, Options(use_kubectl=False)) if f.rule == "GITOPS003"]
    assert findings and all(f.severity == "error" for f in findings)
    messages = "\n".join(f.message for f in findings)
    for value in ("${HOME}", "${WLID_CLIENT_ID_OTHER}", "${ bad }", "${PATH}", "${DATE:-today}", "a$$b"):
        assert repr(value) in messages, value
    assert "ServiceAccount" not in messages
    assert {Path(f.file).relative_to(out).parts[:2] for f in findings} == {("k8s", "base")}


def test_gitops003_finds_a_value_a_patch_brings(tmp_path: Path):
    """A hand-made overlay patch that puts `${...}` into an object which does not opt out."""
    out = _render(tmp_path)
    folder = out / "k8s" / "overlays" / "prod" / "apps"
    patch = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "apps", "annotations": {SUBSTITUTE: None}},
        "spec": {"replicas": 1},
    }
    (folder / "extra.yaml").write_text(yaml.safe_dump(patch, sort_keys=False), "utf-8")
    kustomization = yaml.safe_load((folder / "kustomization.yaml").read_text("utf-8"))
    kustomization.setdefault("patches", []).append({"path": "extra.yaml"})
    (folder / "kustomization.yaml").write_text(yaml.safe_dump(kustomization, sort_keys=False), "utf-8")
    findings = [f for f in validate_tree(out, Options(use_kubectl=False)) if f.rule == "GITOPS003"]
    assert findings
    assert all("Deployment apps/web" in f.message for f in findings)
    assert any("Flux Kustomization flux-system/wlid-subst-prod-apps" in f.message for f in findings)
