"""Strings reach Go readers (kubectl, kustomize, Flux, Argo CD) as the same strings.

Go's YAML readers take more plain scalars for numbers, booleans and nulls than PyYAML does (`0X1F`,
`+0o17`, `0B11`, `-0b1`, `1e3_0`, `1_000`, `y`, `on`, ...). wlid quotes every string that any YAML 1.1
or 1.2 reader could read as something else. The proof is the real reader: `kubectl label --local -f
FILE a=b -o json` parses the rendered files the way kubectl, and the Go tools built on the same YAML
packages, do, and prints them as JSON. Every string of a broad corpus, in every field that takes
free text (env values, annotations and their keys, args, command, image, label keys and values,
node selectors, Argo CD's targetRevision), must come back as itself, through the rendered files and
through `kubectl kustomize` of the overlays.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT

from wlid_render.emit.artifact import to_yaml, to_yaml_documents
from wlid_render.emit.gitops import emit_gitops
from wlid_render.plan.source import plan_source
from wlid_render.spec.load import load_text
from wlid_render.spec.models import EnvName, GitRef, LabelKey, LabelValue
from wlid_render.workflow.pipeline import render_plan
from wlid_render.yaml_scalars import reads_as_non_string

needs_kubectl = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH")


def _cases(word: str) -> set[str]:
    """Every upper/lower-case spelling of a word."""
    return {"".join(c) for c in itertools.product(*((ch.lower(), ch.upper()) for ch in word))}


def _corpus() -> list[str]:
    values: set[str] = set()
    for word in ("y", "n", "yes", "no", "on", "off", "true", "false", "null", "none", "nan", "inf"):
        values |= _cases(word)
    values |= {"~", "=", "<<", "-", "+", ".", "_", "+.", "-.", "._", "e", "E"}
    for sign, prefix, digits in itertools.product(
        ("", "+", "-"), ("0x", "0X", "0o", "0O", "0b", "0B"), ("", "1", "17", "1F", "11", "_1", "1_0", "G")
    ):
        values.add(f"{sign}{prefix}{digits}")
        values.add(f"{sign}0_{prefix[1:]}{digits}")  # Go drops every `_` first: 0_x1F is 0x1F
    for sign, number in itertools.product(
        ("", "+", "-", "+_", "-_"),
        ("0", "00", "012", "08", "09", "0_1", "1_000", "1__0", "1_", "_1", "10000000000000000000000"),
    ):
        values.add(sign + number)
    for sign, number in itertools.product(
        ("", "+", "-"),
        ("1e3", "1E3", "1e+3", "1e-3", "1e3_0", "1_e3", "1e_3", ".5", "._5", ".5_", "1.", "1.5", "1_0.5"),
    ):
        values.add(sign + number)
    values |= {"0.5e-3_1", "1e3.5", "1.2.3", "1e", "e3", "1e3e3", "0x1p-2", "0x1.8p1", "1_000.0_1"}
    for sign, word in itertools.product(("", "+", "-"), (".inf", ".Inf", ".INF", ".nan", ".NaN", ".NAN")):
        values.add(sign + word)
    values |= {"Infinity", "-Infinity", "NaN", "+Inf"}
    values |= {"1:20", "1:20:30", "-1:20", "190:20:30.15", "1:60", "0:0", "1_0:20"}
    values |= {"2001-12-14", "2001-1-1", "2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10 -5"}
    values |= {"20011214", "v1", "1.0.0-rc1", "0.1", "1_000m", "100m", "128Mi", "1e3Mi", "0x1FMi"}
    # A generated part: every string of up to three characters over the number alphabet.
    alphabet = "01_+-.eExXoObB:"
    for length in (1, 2, 3):
        values |= {"".join(p) for p in itertools.product(alphabet, repeat=length)}
    return sorted(values)


CORPUS = _corpus()


def _fits(annotation: Any, value: str) -> bool:
    """Whether a spec field of this type accepts the value (the spec's own naming rules)."""
    from pydantic import TypeAdapter, ValidationError

    try:
        TypeAdapter(annotation).validate_python(value)
    except ValidationError:
        return False
    return True


def _label(out: Path, file: str, cwd: Path | None = None) -> str:
    """What kubectl reads from a file (or stdin '-' with the text in `file`), as JSON."""
    if cwd is None:
        args, text = ["kubectl", "label", "--local", "-f", file, "a=b", "-o", "json"], None
    else:
        args, text = ["kubectl", "label", "--local", "-f", "-", "a=b", "-o", "json"], file
    result = subprocess.run(args, capture_output=True, text=True, input=text, cwd=out, timeout=120)
    assert result.returncode == 0, result.stderr[:2000]
    return result.stdout


def _items(output: str) -> list[dict[str, Any]]:
    """The objects of kubectl's JSON output: one document per object, or a List."""
    decoder = json.JSONDecoder()
    objects: list[dict[str, Any]] = []
    position = 0
    while output[position:].strip():
        document, end = decoder.raw_decode(output, len(output) - len(output[position:].lstrip()))
        objects += document["items"] if document.get("kind") == "List" else [document]
        position = end
    return objects


def test_the_corpus_is_broad():
    assert len(CORPUS) > 3000
    for value in ("0X1F", "+0o17", "0B11", "-0b1", "1e3_0", "1:20", ".inf", ".NaN", "~", "null", "yEs"):
        assert value in CORPUS
    for value in ("2001-12-14", "0o", "0x", "012", "1e3", ".5", "+.5", "1_000", "OFF", "n"):
        assert value in CORPUS


@pytest.mark.parametrize("value", ["0X1F", "+0o17", "0B11", "-0b1", "1e3_0", "1_000", "+_1", "1_", "Y", "ON"])
def test_strings_go_reads_as_numbers_are_quoted(value: str):
    assert reads_as_non_string(value)
    assert to_yaml({"k": value}) == f"k: '{value}'\n"


@pytest.mark.parametrize("value", ["oFF", "yEs", "0x1p-2", "1e3.5", "_1", "+.", "0xG", "v1", "1.2.3"])
def test_strings_every_reader_takes_for_strings_stay_plain(value: str):
    assert not reads_as_non_string(value)
    assert to_yaml({"k": value}) == f"k: {value}\n"


@pytest.mark.kubectl
@needs_kubectl
def test_kubectl_reads_every_corpus_string_back_as_itself(tmp_path: Path):
    """The writer alone, values and keys: one ConfigMap whose data holds the whole corpus both ways."""
    data = {f"v{i}": value for i, value in enumerate(CORPUS)}
    keys = {value: "x" for value in CORPUS if re.fullmatch(r"[-._a-zA-Z0-9]+", value)}
    docs = [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "values"}, "data": data},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "keys"}, "data": keys},
    ]
    (tmp_path / "corpus.yaml").write_text(to_yaml_documents(docs), "utf-8")
    read = _items(_label(tmp_path, "corpus.yaml"))
    assert read[0]["data"] == data
    assert read[1]["data"] == keys


def _spec(corpus: list[str]) -> str:
    """A spec whose free-text fields carry the corpus, written by PyYAML as a person would write it:
    plain wherever PyYAML (YAML 1.1, the spec loader) reads the text as a string, quoted elsewhere."""
    label_keys = [v for v in corpus if _fits(LabelKey, v)]
    label_values = [v for v in corpus if _fits(LabelValue, v)]
    env = {f"V{i}": value for i, value in enumerate(corpus)}
    env.update({f"{v}": v for v in corpus if _fits(EnvName, v)})
    containers = [{"name": f"c{i}", "image": value} for i, value in enumerate(corpus[:200])]
    containers[0].update(command=corpus, args=corpus, env=env)
    spec = {
        "apiVersion": "wlid/v1",
        "kind": "WorkloadIdentitySpec",
        "metadata": {"name": "corpus"},
        "azure": {
            "subscriptionId": "11111111-1111-1111-1111-111111111111",
            "resourceGroup": "rg",
            "location": "eastus",
        },
        "cluster": {"name": "aks"},
        "identities": [{"name": "app-identity"}],
        "serviceAccounts": [{"name": "app", "namespace": "apps", "identity": "app-identity"}],
        "workloads": [
            {
                "name": "app",
                "kind": "Deployment",
                "serviceAccount": "app",
                "containers": containers,
                "labels": {f"l{i}": value for i, value in enumerate(label_values)}
                | {key: "x" for key in label_keys if not key.startswith(("app.kubernetes.io", "azure."))},
                "annotations": {f"a{i}": value for i, value in enumerate(corpus)}
                | {key: "x" for key in label_keys},
                "nodeSelector": {f"n{i}": value for i, value in enumerate(label_values)},
            },
            {
                "name": "pod",
                "kind": "Pod",
                "serviceAccount": "app",
                "containers": [{"name": "c", "image": "busybox", "args": corpus}],
                "annotations": {f"a{i}": value for i, value in enumerate(corpus)},
            },
        ],
        "environments": {"dev": {}, "prod": {}},
        "gitops": {"repoURL": "https://example.com/repo.git", "path": "out"},
    }
    return yaml.safe_dump(spec, sort_keys=False, width=1000)


@pytest.mark.slow
@pytest.mark.kubectl
@needs_kubectl
def test_spec_strings_reach_kubectl_as_written(tmp_path: Path):
    """The whole path: spec text -> wlid's loader -> rendered files -> kubectl, and kubectl kustomize."""
    text = _spec(CORPUS)
    plain = [v for v in CORPUS if f"- {v}\n" in text]
    assert {"0X1F", "+0o17", "1e3_0", "0o17", "0B11"} <= set(plain)  # the user wrote them unquoted
    source = load_text(text, "corpus.yaml")
    written = yaml.safe_load(text)["workloads"]
    plan = plan_source(source)
    for artifact in render_plan(plan):
        path = tmp_path / artifact.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(artifact.text, "utf-8")
    deployment = {k: v for k, v in written[0].items() if k not in ("name", "kind", "serviceAccount")}
    pod_annotations = written[1]["annotations"]
    base = tmp_path / "k8s" / "base" / "apps"
    for file in ("deployments.yaml", "pods.yaml"):
        for obj in _items(_label(base, file)):
            _check(obj, deployment, pod_annotations, written[1]["containers"][0]["args"])
    for env in ("dev", "prod"):
        built = subprocess.run(
            ["kubectl", "kustomize", str(tmp_path / "k8s" / "overlays" / env)],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout
        objects = _items(_label(tmp_path, built, cwd=tmp_path))
        checked = [
            _check(obj, deployment, pod_annotations, written[1]["containers"][0]["args"]) for obj in objects
        ]
        assert checked.count(True) == 2


def _check(
    obj: dict[str, Any], workload: dict[str, Any], pod_annotations: dict[str, str], pod_args: list[str]
) -> bool:
    if obj["kind"] == "Pod":
        annotations = obj["metadata"]["annotations"]
        assert {k: annotations[k] for k in pod_annotations} == pod_annotations
        assert obj["spec"]["containers"][0]["args"] == pod_args
        return True
    if obj["kind"] != "Deployment":
        return False
    template = obj["spec"]["template"]
    labels = template["metadata"]["labels"]
    assert {k: labels[k] for k in workload["labels"]} == workload["labels"]
    annotations = template["metadata"]["annotations"]
    assert {k: annotations[k] for k in workload["annotations"]} == workload["annotations"]
    spec = template["spec"]
    assert spec["nodeSelector"] == workload["nodeSelector"]
    containers = spec["containers"]
    assert [c["image"] for c in containers] == [c["image"] for c in workload["containers"]]
    first = containers[0]
    assert first["command"] == workload["containers"][0]["command"]
    assert first["args"] == workload["containers"][0]["args"]
    assert {e["name"]: e["value"] for e in first["env"]} == workload["containers"][0]["env"]
    return True


@pytest.mark.slow
@pytest.mark.kubectl
@needs_kubectl
def test_argo_target_revision_reaches_kubectl_as_written(tmp_path: Path):
    branches = [v for v in CORPUS if _fits(GitRef, v)]
    assert {"0X1F", "1e3_0", "1_000", "012", "0x", "y", "OFF"} <= set(branches)
    source = load_text(_spec(["busybox"]), "spec.yaml")
    plan = plan_source(source)
    assert plan.gitops is not None
    documents = []
    for branch in branches:
        varied = dataclasses.replace(plan, gitops=plan.gitops._replace(branch=branch))
        (artifact,) = [a for a in emit_gitops(varied, "argocd") if a.path == "gitops/argocd/dev.yaml"]
        documents.append(artifact.text)
    (tmp_path / "apps.yaml").write_text("---\n".join(documents), "utf-8")
    read = _items(_label(tmp_path, "apps.yaml"))
    assert [app["spec"]["source"]["targetRevision"] for app in read] == branches


# -- K8S006: the same strings written plain in a tree ----------------------------------------------
def _platform(tmp_path: Path) -> Path:
    out = tmp_path / "platform"
    shutil.copytree(ROOT / "out" / "platform", out)
    return out


def _plant(out: Path, old: str, new: str) -> Path:
    path = out / "k8s" / "base" / "orders" / "deployments.yaml"
    text = path.read_text("utf-8")
    assert text.count(old) == 1
    path.write_text(text.replace(old, new), "utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "value"),
    [
        ("value: https://kv-platform-orders.vault.azure.net/", "value: 0X1F", "0X1F"),
        ("- '8080'", "- +0o17", "+0o17"),
        ("image: ghcr.io/example/orders-api:1.4.2", "image: 1e3_0", "1e3_0"),
        ("name: orders-api\n        azure", "name: 0B11\n        azure", "0B11"),
        ("memory: 256Mi", "0x1F_0G: 1\n            1e3_0: 256Mi", "1e3_0"),
    ],
)
def test_k8s006_finds_plain_strings_go_reads_as_numbers(tmp_path: Path, old: str, new: str, value: str):
    from wlid_render.validate.run import Options, validate_tree

    out = _platform(tmp_path)
    assert [f for f in validate_tree(out, Options(use_kubectl=False)) if f.rule == "K8S006"] == []
    path = _plant(out, old, new)
    findings = [f for f in validate_tree(out, Options(use_kubectl=False)) if f.rule == "K8S006"]
    assert len(findings) == 1, findings
    (finding,) = findings
    assert finding.severity == "error"
    assert finding.file.endswith("k8s/base/orders/deployments.yaml")
    assert value in path.read_text("utf-8").splitlines()[finding.line - 1]
    assert repr(value) in finding.message


@pytest.mark.kubectl
@needs_kubectl
def test_the_planted_value_really_changes_in_kubectl(tmp_path: Path):
    """The failure K8S006 reports, reproduced: kubectl kustomize itself turns the plain `0X1F` of an
    env value into the number 31 (which the API server then refuses for a string field), while the
    quoted string of a rendered tree survives."""
    out = _platform(tmp_path)
    _plant(out, "value: https://kv-platform-orders.vault.azure.net/", "value: 0X1F")
    built = subprocess.run(
        ["kubectl", "kustomize", str(out / "k8s" / "overlays" / "dev")],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    assert "value: 31\n" in built
    (deployment,) = [o for o in _items(_label(out, built, cwd=out)) if o["kind"] == "Deployment"]
    (env,) = deployment["spec"]["template"]["spec"]["containers"][0]["env"]
    assert env == {"name": "KEYVAULT_URL", "value": 31}
