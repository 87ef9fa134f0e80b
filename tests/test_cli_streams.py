"""Streams and defaults: `render -o - --env ENV` prints what `kubectl kustomize` builds from the rendered
tree, `-` reads the spec from stdin, SPEC defaults to ./wlid.yaml, --env to the only environment."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from conftest import LAB_SPEC, ROOT

from wlid_render.cli import main
from wlid_render.cli.echo import some as _some
from wlid_render.workflow.stream import kustomize_order

SPECS = sorted((ROOT / "specs").glob("*.yaml"))
LAB = LAB_SPEC
MULTI = ROOT / "specs" / "multi-env.yaml"
WLID = Path(sys.executable).with_name("wlid")  # the installed console script

needs_kubectl = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH")


def _environments(spec: Path) -> list[str]:
    data = yaml.safe_load(spec.read_text("utf-8"))
    return sorted(data.get("environments") or {"default": None})


def _kustomize(folder: Path) -> list[dict]:
    built = subprocess.run(["kubectl", "kustomize", str(folder)], capture_output=True, text=True, check=True)
    return [doc for doc in yaml.safe_load_all(built.stdout) if doc is not None]


def _stream(*args: str, **kwargs) -> list[dict]:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(main, ["render", *args, "-o", "-"], **kwargs)
    assert result.exit_code == 0, result.output
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc is not None]


@pytest.mark.kubectl
@needs_kubectl
@pytest.mark.parametrize(
    ("spec", "env"), [(spec, env) for spec in SPECS for env in _environments(spec)], ids=str
)
def test_stream_equals_kubectl_kustomize_of_the_rendered_overlay(tmp_path: Path, spec: Path, env: str):
    out = tmp_path / "out"
    assert CliRunner().invoke(main, ["render", str(spec), "-o", str(out), "-q"]).exit_code == 0
    expected = _kustomize(out / "k8s" / "overlays" / env)
    assert expected, "kustomize built objects"
    assert _stream(str(spec), "--env", env) == expected  # the same objects, in the same order


@pytest.mark.kubectl
@needs_kubectl
def test_multi_env_prod_equals_the_committed_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The issue's own check: `wlid render specs/multi-env.yaml -o - --env prod` against out/multi-env."""
    monkeypatch.chdir(tmp_path)  # nothing may be written: a stray out/ would show here
    expected = _kustomize(ROOT / "out" / "multi-env" / "k8s" / "overlays" / "prod")
    assert _stream(str(MULTI), "--env", "prod") == expected
    assert list(tmp_path.iterdir()) == []


@pytest.mark.kubectl
@needs_kubectl
def test_patched_containers_merge_by_name_as_kustomize_merges_them(tmp_path: Path):
    """A container whose command all environments share and whose image and env differ: the overlay
    patches only the differences, and the stream keeps the shared command, as kustomize does."""
    spec = tmp_path / "wlid.yaml"
    text = LAB.read_text("utf-8").replace("image: busybox", "image: busybox:${vars.tag}")
    text += "environments:\n  dev:\n    vars: {tag: '1.36'}\n  prod:\n    vars: {tag: '1.37'}\n"
    spec.write_text(text, "utf-8")
    out = tmp_path / "out"
    assert CliRunner().invoke(main, ["render", str(spec), "-o", str(out), "-q"]).exit_code == 0
    patches = (out / "k8s/overlays/prod/default/patches.yaml").read_text("utf-8")
    assert "busybox:1.37" in patches and "command" not in patches, "the patch carries the image only"
    for env in ("dev", "prod"):
        objects = _stream(str(spec), "--env", env)
        assert objects == _kustomize(out / "k8s" / "overlays" / env)
        busybox = next(o for o in objects if o["metadata"]["name"] == "sample-workload-identity")
        container = busybox["spec"]["containers"][0]
        assert container["image"] == f"busybox:1.3{6 if env == 'dev' else 7}"
        assert container["command"] == ["sh", "-c", "sleep 3600"], "the shared command survived"


def test_kustomize_legacy_order():
    def obj(api: str, kind: str, name: str, namespace: str | None = None) -> dict:
        meta = {"name": name} if namespace is None else {"name": name, "namespace": namespace}
        return {"apiVersion": api, "kind": kind, "metadata": meta}

    # The order `kubectl kustomize` printed for these objects (kustomize v5.5.0): kinds by a fixed
    # list, then group_version_kind, then namespace ("" sorts as "~X", after letters) and name.
    objects = [
        obj("v1", "Pod", "z", "b"),
        obj("batch/v1", "Job", "a", "b"),
        obj("apps/v1", "Deployment", "b"),
        obj("apps/v1", "Deployment", "a", "z"),
        obj("v1", "Namespace", "b"),
        obj("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration", "a"),
        obj("v1", "ServiceAccount", "sa", "b"),
    ]
    assert [(o["kind"], o["metadata"]["name"]) for o in kustomize_order(objects)] == [
        ("Namespace", "b"),
        ("ServiceAccount", "sa"),
        ("Deployment", "a"),
        ("Deployment", "b"),
        ("Job", "a"),
        ("Pod", "z"),
        ("ValidatingWebhookConfiguration", "a"),
    ]


@pytest.mark.kubectl
@needs_kubectl
def test_kustomize_legacy_order_agrees_with_kubectl(tmp_path: Path):
    documents = [
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "z", "namespace": "b"}},
        {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "a", "namespace": "b"}},
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "b"}},
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "a", "namespace": "z"}},
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "b"}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "a"}},
        {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "s", "namespace": "a"}},
        {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c", "namespace": "a"}},
    ]
    (tmp_path / "all.yaml").write_text(yaml.safe_dump_all(documents), "utf-8")
    (tmp_path / "kustomization.yaml").write_text("resources: [all.yaml]\n", "utf-8")
    assert kustomize_order(documents) == _kustomize(tmp_path)


def test_stream_writes_nothing_and_keeps_warnings_on_stderr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["render", str(LAB), "-o", "-"])
    assert result.exit_code == 0, result.output
    assert list(tmp_path.iterdir()) == []
    assert "${WLID_CLIENT_ID_MYIDENTITY}" in result.stderr, "the placeholder warning"
    assert (
        "note: the client IDs of myIdentity are Flux placeholders in these objects; kubectl applies "
        "them as written: pin the client IDs (wlid bind --env default OUTPUTS...) or pass --outputs default=FILE"
    ) in result.stderr
    kinds = [d["kind"] for d in yaml.safe_load_all(result.stdout)]
    assert kinds == ["ServiceAccount", "Pod", "Pod"], "the only environment, without --env"
    assert "warning" not in result.stdout


def test_stream_with_outputs_carries_the_client_ids(tmp_path: Path):
    outputs = tmp_path / "prod.json"
    value = {"clientId": "aaaaaaaa-0000-0000-0000-000000000001", "principalId": "p", "tenantId": "t"}
    outputs.write_text(json.dumps({"shop-api": value}), "utf-8")  # --query ...identities.value
    objects = _stream(str(MULTI), "--env", "prod", "--outputs", f"prod={outputs}")
    accounts = {o["metadata"]["name"]: o for o in objects if o["kind"] == "ServiceAccount"}
    annotation = "azure.workload.identity/client-id"
    assert accounts["shop-api"]["metadata"]["annotations"][annotation] == value["clientId"]
    many = ["a", "b", "c", "d", "e", "f", "g"]
    assert (_some(many), _some(many[:5])) == ("a, b, c, d, e and 2 more", "a, b, c, d, e")
    dev = CliRunner().invoke(main, ["render", str(MULTI), "-o", "-", "--env", "dev"])
    assert dev.exit_code == 0 and "note:" not in dev.stderr, "dev pins its only client ID in the spec"


def test_stream_needs_an_environment_when_there_are_several():
    result = CliRunner().invoke(main, ["render", str(MULTI), "-o", "-"])
    assert result.exit_code == 2
    assert "the spec has 2 environments (dev, prod); choose one with --env ENV" in result.stderr
    assert result.stdout == ""
    unknown = CliRunner().invoke(main, ["render", str(MULTI), "-o", "-", "--env", "prd"])
    assert unknown.exit_code == 2 and "no environment 'prd'; the spec has: dev, prod" in unknown.stderr
    assert "did you mean 'prod'" in unknown.stderr


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--check"], "--check do not apply"),
        (["--dry-run", "--diff"], "--dry-run, --diff do not apply"),
        (["--validate"], "--validate do not apply"),
        (["-v"], "--verbose do not apply"),
    ],
)
def test_stream_refuses_options_about_a_tree(extra: list[str], message: str):
    result = CliRunner().invoke(main, ["render", str(LAB), "-o", "-", *extra])
    assert result.exit_code == 2 and message in result.stderr


def test_env_without_stream_is_a_usage_error(tmp_path: Path):
    result = CliRunner().invoke(main, ["render", str(MULTI), "-o", str(tmp_path / "o"), "--env", "prod"])
    assert result.exit_code == 2 and "--env picks the environment that -o - prints" in result.stderr
    assert not (tmp_path / "o").exists()


# -- the spec from standard input -------------------------------------------------------------------


def test_spec_from_stdin_streams_the_same_objects():
    from_file = _stream(str(MULTI), "--env", "dev")
    assert _stream("-", "--env", "dev", input=MULTI.read_bytes()) == from_file


def test_problems_of_a_spec_from_stdin_name_stdin_with_the_line(tmp_path: Path):
    text = LAB.read_text("utf-8").replace("identity: myIdentity", "identity: myIdentiti")
    line = next(n for n, s in enumerate(text.splitlines(), 1) if "identity: myIdentiti" in s)
    result = CliRunner().invoke(main, ["render", "-", "-o", "-"], input=text)
    assert result.exit_code == 2
    assert f"<stdin>:{line}:" in result.stderr
    assert "identity: myIdentiti" in result.stderr, "the source line is quoted from the stdin text"
    assert result.stdout == ""


def test_a_file_named_stdin_is_not_read_for_quoting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "<stdin>").write_text("decoy line 1\n" * 50, "utf-8")
    result = CliRunner().invoke(main, ["render", "-", "-o", "-"], input="kind: [unclosed\n")
    assert result.exit_code == 2 and "<stdin>:" in result.stderr and "decoy" not in result.stderr


def test_stdin_spec_renders_no_tree(tmp_path: Path):
    result = CliRunner().invoke(main, ["render", "-", "-o", str(tmp_path / "o")], input=LAB.read_text())
    assert result.exit_code == 2 and "standard input renders only with -o -" in result.stderr
    both = CliRunner().invoke(main, ["render", "-", str(LAB), "-o", "-"], input="")
    assert both.exit_code == 2 and "- (standard input) is the only SPEC" in both.stderr


# -- ./wlid.yaml by default, --env by default ----------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["render"],
        ["render", "--check"],
        ["render", "-o", "-"],
        ["explain"],
        ["whatif"],
        ["drift"],
        ["bind", "outputs.json"],
    ],
    ids=" ".join,
)
def test_no_spec_and_no_wlid_yaml_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert "error: no wlid.yaml here; pass SPEC or run wlid init" in result.stderr
    assert "Traceback" not in result.output


def test_wlid_yaml_is_the_default_spec_of_every_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    shutil.copy(LAB, tmp_path / "wlid.yaml")
    rendered = CliRunner().invoke(main, ["render", "-q"])
    assert rendered.exit_code == 0, rendered.output
    assert (tmp_path / "out" / "lab" / ".wlid" / "manifest.json").is_file()
    assert CliRunner().invoke(main, ["render", "--check", "-q"]).exit_code == 0
    explained = CliRunner().invoke(main, ["explain"])
    assert explained.exit_code == 0 and "environment default" in explained.output
    whatif = CliRunner().invoke(main, ["whatif"])  # the only environment, without --env
    assert whatif.exit_code == 0, whatif.output
    assert "az deployment group what-if" in whatif.stdout


def test_real_process_streams_into_kubectl(tmp_path: Path):
    """The installed `wlid` piped into kubectl, which reads the stream as a client would apply it."""
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not on PATH")
    assert WLID.is_file(), f"the wlid script is not installed next to {sys.executable}"
    wlid = subprocess.run(
        [str(WLID), "render", str(MULTI), "-o", "-", "--env", "prod"], capture_output=True, check=False
    )
    assert wlid.returncode == 0, wlid.stderr
    labelled = subprocess.run(
        ["kubectl", "label", "--local", "-f", "-", "checked=yes", "-o", "json"],
        input=wlid.stdout,
        capture_output=True,
        check=False,
    )
    assert labelled.returncode == 0, labelled.stderr
    text, items, at = labelled.stdout.decode("utf-8"), [], 0
    decoder = json.JSONDecoder()
    while text[at:].strip():  # kubectl prints one JSON object per object read
        item, end = decoder.raw_decode(text, at + len(text[at:]) - len(text[at:].lstrip()))
        items.append(item)
        at = end
    expected = [doc for doc in yaml.safe_load_all(wlid.stdout) if doc is not None]
    assert [(i["kind"], i["metadata"]["name"]) for i in items] == [
        (d["kind"], d["metadata"]["name"]) for d in expected
    ]
    assert all(i["metadata"]["labels"]["checked"] == "yes" for i in items)


def test_explain_reads_the_spec_from_stdin_too():
    from_stdin = CliRunner().invoke(
        main, ["explain", "-", "--format", "json"], input=MULTI.read_text("utf-8")
    )
    from_file = CliRunner().invoke(main, ["explain", str(MULTI), "--format", "json"])
    assert from_stdin.exit_code == 0, from_stdin.output
    assert json.loads(from_stdin.stdout)["spec"] == "<stdin>"
    assert json.loads(from_stdin.stdout)["environments"][1]["warnings"][0]["file"] == "<stdin>"
    stdin_view, file_view = json.loads(from_stdin.stdout), json.loads(from_file.stdout)
    for view in (stdin_view, file_view):  # warnings name the file they point at
        for env in view["environments"]:
            for warning in env["warnings"]:
                warning["file"] = None
    assert stdin_view["environments"] == file_view["environments"]
