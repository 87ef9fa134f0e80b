"""Property-based tests: random valid specs render, and every output reads back to the values of the spec;
random invalid specs are refused cleanly.

Valid specs use names within the rules and free text full of quoting hazards (quotes, backslashes,
`${`, `$${`, brackets, `#`, `: `, line breaks, tabs, control characters, non-ASCII) in env values,
command and args, images, annotation values, role descriptions, environment variables and the
gitops block. `${env}` and `${vars.v}` are used as references; a literal `${` is written `$${` in the
spec (outside `metadata`, `environments` and `gitops`, which are not interpolated) and must come out
as `${`. Specs are written with `yaml.safe_dump`.

Properties: rendering succeeds; every JSON and YAML output parses (YAML without duplicate keys);
every Bicep file parses with tree-sitter-bicep without ERROR or MISSING nodes; every free-text value
is found unchanged in the built objects of each Kustomize overlay, in the Components, in `main.json`
(ARM `[[` escapes decoded), in the Bicep string literals (escapes decoded) and in the GitOps objects;
the CI pipelines expand no text of the spec; rendering twice gives identical bytes. Mutations of
valid specs (a required key dropped, a wrong type, a bad name, an unknown key) exit 2 through the CLI
with a located first line and no traceback.

Inputs that once triggered a bug keep a minimal regression test at the end of this file.

Examples per property: a few (QUICK_EXAMPLES) in the default run; the environment variable
WLID_FUZZ_EXAMPLES (default 100; about 20 s on two cores) in the thorough twins, marked slow, that
`python -m pytest -m slow` (and .ci/run) runs. A long run:

    WLID_FUZZ_EXAMPLES=5000 python -m pytest -m slow tests/test_fuzz.py
"""

from __future__ import annotations

import json
import os
import re
import shlex
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from overlay_build import build_overlay, load_documents, pod_template

from wlid_render.cli import main
from wlid_render.errors import SpecError
from wlid_render.plan.secrets import secret_problems
from wlid_render.plan.source import plan_source
from wlid_render.spec.load import load_text
from wlid_render.validate.bicep_file import declarations
from wlid_render.validate.bicep_syntax import (
    bicepparam_as_bicep,
    decode_string,
    first_syntax_problem,
    parse,
    properties,
)
from wlid_render.workflow.pipeline import render_plan

EXAMPLES = int(os.environ.get("WLID_FUZZ_EXAMPLES", "100"))  # the thorough twins (marked slow)
QUICK_EXAMPLES = 12  # the default run
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
SPEC_FILE = "wlid.yaml"
WORKLOAD_KINDS = frozenset({"Pod", "Deployment", "StatefulSet", "Job", "CronJob"})
ROLE_TYPE = "Microsoft.Authorization/roleAssignments"

CI_EXPANSION = re.compile(r"\$\{\{|\$\(")


# -- free text -------------------------------------------------------------------------------------
HAZARDS = [
    *("'", '"', "\\", "\\\\", "''", '\\"', "`"),
    *("${", "$${", "$$", "$", "{", "}", "${env}", "${vars.v}", "${ env }", "${vars.}", "${{", "}}", "$("),
    *("[", "]", "[[", "]]", "[x]", "#", " #", "# ", ": ", ":", "- ", "? ", ",", "&a", "*a", "!", "!!str "),
    *("|", ">", "%", "@", "<<", "=", "~", "---", "...", "//", "/*", "*/", "'''", '"""'),
    *("\n", "\r\n", "\r", "\t", " ", "  ", "\x00", "\x07", "\x1b[31m", "\x7f", "\x85", "\x9f"),
    *("\u00a0", "\u2028", "\u2029", "\u200b", "\u202e", "\ufeff", "\ufffd", "\U0010ffff"),
    *("é", "ß", "日本語", "😀", "\u0430"),  # the last one: Cyrillic a
    *("null", "true", "no", "on", "0777", "0x1F", "1e3", "12:30", "2024-01-01", "-1", ".inf"),
]
TEXT_CHAR = st.one_of(st.sampled_from(HAZARDS), st.characters(codec="utf-8"))
free_text = st.lists(TEXT_CHAR, max_size=12).map("".join)


# Role descriptions are the only free text of main.json and the Bicep files: more of them, and some that
# ARM would read as an expression unless escaped.
descriptions = st.one_of(free_text, free_text.map(lambda t: f"[{t}]"), free_text.map(lambda t: f"[[{t}]]"))


def encode(text: str) -> str:
    """How a literal text is written in an interpolated string of the spec."""
    return text.replace("${", "$${")


@dataclass(frozen=True)
class Template:
    """A free-text value of an interpolated field: literal text and `${env}` / `${vars.v}` references."""

    parts: tuple[tuple[str, str], ...]  # ("text", literal) | ("env", "") | ("var", "")

    def spec(self) -> str:
        out = []
        for kind, text in self.parts:
            out.append(encode(text) if kind == "text" else "${env}" if kind == "env" else "${vars.v}")
        return "".join(out)

    def value(self, env: str, var: str) -> str:
        return "".join(text if kind == "text" else env if kind == "env" else var for kind, text in self.parts)


def _unambiguous(parts: list[tuple[str, str]]) -> bool:
    """A literal `$` right before a reference cannot be written: `$` + `${env}` reads as `$${` (also
    with empty text parts between them)."""
    written = ""
    for kind, text in parts:
        if kind != "text" and written.endswith("$"):
            return False
        written += encode(text) if kind == "text" else "${ref}"
    return True


def templates(refs: tuple[str, ...]) -> st.SearchStrategy[Template]:
    text = free_text.map(lambda t: ("text", t))
    part = st.one_of(text, st.sampled_from(refs).map(lambda r: (r, ""))) if refs else text
    return st.lists(part, min_size=1, max_size=4).filter(_unambiguous).map(lambda p: Template(tuple(p)))


# -- names -----------------------------------------------------------------------------------------
def _regex(pattern: str) -> st.SearchStrategy[str]:
    return st.from_regex(pattern, fullmatch=True)


POOL = ["a", "b", "c", "a-b", "b-c", "a-b-c"]  # names that join alike
IDENTITY_NAME = _regex(r"[A-Za-z0-9][A-Za-z0-9_-]{2,127}")
DNS_LABEL = st.one_of(st.sampled_from(POOL), _regex(r"[a-z0-9]([-a-z0-9]{0,40}[a-z0-9])?"))
DNS_SUBDOMAIN = st.one_of(
    DNS_LABEL, _regex(r"[a-z0-9]([-a-z0-9]{0,20}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,20}[a-z0-9])?){1,3}")
)
ENV_NAME = _regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?")
ENV_VAR_NAME = _regex(r"[A-Za-z_][A-Za-z0-9_]{0,20}")
LABEL_KEY = _regex(r"([a-z0-9]{1,10}\.example/)?[a-z][-a-z0-9_.]{0,20}[a-z0-9]")
LABEL_VALUE = st.one_of(st.just(""), _regex(r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?"))
ROLE_NAMES = ["Key Vault Secrets User", "Storage Blob Data Reader", "Reader", "AcrPull", "key vault reader"]
TARGETS = st.one_of(
    _regex(r"kv[a-z0-9]{1,20}").map(lambda n: ("keyVault", n)),
    _regex(r"st[a-z0-9]{1,20}").map(lambda n: ("storageAccount", n)),
    _regex(r"rg-[a-z0-9]{1,20}").map(lambda n: ("resourceGroup", n)),
    st.just(("subscription", True)),
)


def placeholder_key(identity: str) -> str:
    """Identities whose Flux placeholders collide are refused; so are names equal ignoring case."""
    return re.sub(r"[^A-Za-z0-9]", "_", identity).upper()


def derived_fic(account: tuple[str, str]) -> str:
    """The FIC name wlid derives for (namespace, name), folded: unique per identity."""
    namespace, name = account
    return re.sub(r"[^a-zA-Z0-9_-]", "-", f"{namespace}-{name}").lower()


# -- valid specs -----------------------------------------------------------------------------------
@dataclass
class Expected:
    """What the outputs must carry, per environment."""

    envs: list[str]  # the environments to build (["default"] without an environments block)
    var: dict[str, str]  # env -> value of ${vars.v}
    containers: dict[tuple[str, str, str, str], dict[str, Any]] = field(default_factory=dict)
    pods: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)  # kind, ns, name
    components: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    descriptions: list[str] = field(default_factory=list)
    gitops: dict[str, str] | None = None


@dataclass
class Case:
    spec: dict[str, Any]
    expected: Expected
    text: str = ""


def _resolve(value: Any, env: str, var: str) -> Any:
    if isinstance(value, Template):
        return value.value(env, var)
    if isinstance(value, list):
        return [_resolve(v, env, var) for v in value]
    if isinstance(value, dict):
        return {k: _resolve(v, env, var) for k, v in value.items()}
    return value


def _spec_value(value: Any) -> Any:
    if isinstance(value, Template):
        return value.spec()
    if isinstance(value, list):
        return [_spec_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _spec_value(v) for k, v in value.items()}
    return value


@st.composite
def valid_cases(draw: st.DrawFn) -> Case:
    envs = draw(st.one_of(st.just([]), st.lists(ENV_NAME, min_size=1, max_size=3, unique=True)))
    var = {env: draw(free_text) for env in envs}
    refs = ("env", "var") if envs else ("env",)
    expected = Expected(envs=envs or ["default"], var=var or {"default": ""})

    identities = []
    for name in draw(st.lists(IDENTITY_NAME, min_size=1, max_size=3, unique_by=placeholder_key)):
        roles = []
        grants = draw(
            st.lists(
                st.tuples(st.sampled_from(ROLE_NAMES), TARGETS),
                max_size=3,
                unique_by=lambda g: (g[0].lower(), g[1]),
            )
        )
        for role, (key, target) in grants:
            grant: dict[str, Any] = {"role": role, key: target}
            if draw(st.integers(0, 4)):  # an empty one, sometimes
                description = draw(descriptions.filter(lambda t: 1 <= len(t) <= 1024))
                grant["description"] = Template((("text", description),))
                expected.descriptions.append(description)
            roles.append(grant)
        identities.append({"name": name, **({"roles": roles} if roles else {})})

    accounts = draw(st.lists(st.tuples(DNS_LABEL, DNS_SUBDOMAIN), max_size=4, unique_by=derived_fic))
    service_accounts = [
        {"name": name, "namespace": ns, "identity": draw(st.sampled_from(identities))["name"]}
        for ns, name in accounts
    ]

    workloads = []
    names = draw(st.lists(DNS_LABEL, max_size=4 if accounts else 0, unique=True))
    for name in names:
        ns, sa = draw(st.sampled_from(accounts))
        existing = draw(st.booleans())
        kinds = ["Deployment", "StatefulSet", "Job", "CronJob"] + ([] if existing else ["Pod"])
        kind = draw(st.sampled_from(kinds))
        labels = draw(st.dictionaries(LABEL_KEY, LABEL_VALUE, max_size=2))
        annotations = draw(st.dictionaries(LABEL_KEY, templates(() if existing else refs), max_size=2))
        workload: dict[str, Any] = {"name": name, "kind": kind, "serviceAccount": sa, "namespace": ns}
        if labels:
            workload["labels"] = labels
        if annotations:
            workload["annotations"] = annotations
        if existing:
            workload["existing"] = True
            expected.components[(kind, ns, name)] = {"labels": labels, "annotations": annotations}
            workloads.append(workload)
            continue
        if kind == "CronJob":
            workload["schedule"] = "*/5 * * * *"
        if kind in ("Deployment", "StatefulSet") and draw(st.booleans()):
            workload["replicas"] = draw(st.integers(0, 5))
        containers = []
        for cname in draw(st.lists(DNS_LABEL, min_size=1, max_size=2, unique=True)):
            image = draw(templates(refs))  # starts with a letter: never empty in any environment
            container: dict[str, Any] = {"name": cname, "image": Template((("text", "i"), *image.parts))}
            for key in ("command", "args"):
                items = draw(st.lists(templates(refs), max_size=3))
                if items:
                    container[key] = items
            env = draw(st.dictionaries(ENV_VAR_NAME, templates(refs), max_size=3))
            if env:
                container["env"] = env
            containers.append(container)
            expected.containers[(kind, ns, name, cname)] = container
        workload["containers"] = containers
        expected.pods[(kind, ns, name)] = {"labels": labels, "annotations": annotations}
        workloads.append(workload)

    spec: dict[str, Any] = {
        "apiVersion": "wlid/v1",
        "kind": "WorkloadIdentitySpec",
        "metadata": {"name": draw(_regex(r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?"))},
        "azure": {
            "subscriptionId": "11111111-1111-1111-1111-111111111111",
            "resourceGroup": draw(_regex(r"rg-[a-z0-9]{1,10}")),
            "location": "eastus",
        },
        "cluster": {"name": draw(_regex(r"aks-[a-z0-9]{1,10}"))},
        "identities": identities,
    }
    if service_accounts:
        spec["serviceAccounts"] = service_accounts
    if workloads:
        spec["workloads"] = workloads
    if envs:
        spec["environments"] = {env: {"vars": {"v": var[env]}} for env in envs}
    if draw(st.booleans()):
        gitops = {
            # these reach CI scripts, so the spec allows only plain URL and path characters in them
            "repoURL": "https://example.com/" + draw(st.from_regex(r"[A-Za-z0-9._/-]{0,20}", fullmatch=True)),
            "branch": draw(st.from_regex(r"[A-Za-z0-9._/-]{1,20}", fullmatch=True)),
            "path": draw(st.from_regex(r"([A-Za-z0-9._/][A-Za-z0-9._/-]{0,19})?", fullmatch=True)),
        }
        spec["gitops"] = gitops
        expected.gitops = gitops
    return Case(_spec_value(spec), expected)


def dump(spec: dict[str, Any], allow_unicode: bool = True) -> str:
    """The spec as YAML text that reads back to `spec`.

    PyYAML's emitter with allow_unicode writes NEL (U+0085) raw in a single-quoted scalar, where every
    reader folds it into a space; such specs are written with escapes instead.
    """
    for unicode in (allow_unicode, False):
        text = yaml.safe_dump(spec, sort_keys=False, allow_unicode=unicode, width=80)
        if yaml.load(text, Loader=yaml.CSafeLoader) == spec:
            return text
    raise AssertionError(f"yaml.safe_dump does not round-trip {spec!r}")


def render_text(text: str) -> dict[str, str]:
    artifacts = render_plan(plan_source(load_text(text, SPEC_FILE)), spec_path=SPEC_FILE)
    return {a.path: a.text for a in artifacts}


# -- reading the outputs back ------------------------------------------------------------------------
def check_syntax(files: dict[str, str]) -> None:
    for path, text in files.items():
        if path.endswith(".json"):
            json.loads(text)
        elif path.endswith((".yaml", ".yml")):
            load_documents(text)
        elif path.endswith((".bicep", ".bicepparam")):
            source = bicepparam_as_bicep(text) if path.endswith(".bicepparam") else text
            problem = first_syntax_problem(source)
            assert problem is None, f"{path}: {problem.describe()}\n{text}"
        else:
            assert path.endswith(".md"), path


def arm_literal(value: str) -> str:
    """The value ARM takes from a JSON string that is not an expression (`[[...]` -> `[...]`)."""
    if value.startswith("[") and value.endswith("]"):
        assert value.startswith("[["), f"an expression where a literal belongs: {value!r}"
        return value[1:]
    return value


def arm_descriptions(node: Any) -> list[str]:
    out: list[str] = []
    if isinstance(node, dict):
        if node.get("type") == ROLE_TYPE and "description" in node.get("properties", {}):
            out.append(arm_literal(node["properties"]["description"]))
        for value in node.values():
            out += arm_descriptions(value)
    elif isinstance(node, list):
        for value in node:
            out += arm_descriptions(value)
    return out


def bicep_descriptions(files: dict[str, str]) -> list[str]:
    out = []
    for path, text in files.items():
        if not path.endswith(".bicep"):
            continue
        for decl in declarations(parse(text)):
            if decl.kind == "resource" and decl.type_or_path.startswith(ROLE_TYPE + "@"):
                props = properties(properties(decl.body)["properties"])
                if "description" in props:
                    out.append(decode_string(props["description"]))
    return out


def check_values(case: Case, files: dict[str, str]) -> None:
    expected = case.expected
    want = Counter(expected.descriptions)
    assert Counter(arm_descriptions(json.loads(files["azure/main.json"]))) == want
    assert Counter(bicep_descriptions(files)) == want

    for env in expected.envs:
        var = expected.var[env]
        objects = build_overlay(files, env)
        pods = {
            (o["kind"], key[2], o["metadata"]["name"]): pod_template(o)
            for key, o in objects.items()
            if o["kind"] in WORKLOAD_KINDS
        }
        for (kind, ns, name), want_pod in expected.pods.items():
            pod = pods[(kind, ns, name)]
            labels = pod["metadata"]["labels"]
            assert {k: labels.get(k) for k in want_pod["labels"]} == want_pod["labels"]
            want_annotations = _resolve(want_pod["annotations"], env, var)
            got_annotations = dict(pod["metadata"].get("annotations", {}))
            if kind == "Pod":  # a bare Pod's own metadata also holds wlid's GitOps annotations
                assert got_annotations.pop("kustomize.toolkit.fluxcd.io/substitute") == "disabled"
                assert got_annotations.pop("kustomize.toolkit.fluxcd.io/force") == "enabled"
                assert got_annotations.pop("argocd.argoproj.io/sync-options") == "Force=true,Replace=true"
            assert got_annotations == want_annotations
        for (kind, ns, name, cname), want_container in expected.containers.items():
            (container,) = [c for c in pods[(kind, ns, name)]["spec"]["containers"] if c["name"] == cname]
            resolved = _resolve(want_container, env, var)
            assert container["image"] == resolved["image"]
            assert container.get("command", []) == resolved.get("command", [])
            assert container.get("args", []) == resolved.get("args", [])
            got_env = {e["name"]: e["value"] for e in container.get("env", [])}
            assert got_env == resolved.get("env", {})
            assert len(container.get("env", [])) == len(got_env)

    patches = {}
    for path, text in files.items():
        if path.startswith("k8s/components/") and path.endswith("/patch.yaml"):
            (doc,) = load_documents(text)
            namespace = path.split("/")[2].split("_")[1]  # <kind>_<namespace>_<name>: the patch names none
            patches[(doc["kind"], namespace, doc["metadata"]["name"])] = doc
    assert patches.keys() == expected.components.keys()
    for key, want_component in expected.components.items():
        meta = pod_template(patches[key])["metadata"]
        assert {k: meta["labels"].get(k) for k in want_component["labels"]} == want_component["labels"]
        want_annotations = {k: v.value("", "") for k, v in want_component["annotations"].items()}
        assert meta.get("annotations", {}) == want_annotations

    if expected.gitops is not None:
        check_gitops(expected.gitops, files, expected.envs, f"out/{case.spec['metadata']['name']}")


def _strings(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for v in node.values() for s in _strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return []


GITHUB_EXPRESSIONS = re.compile(r"\$\{\{ vars\.[A-Z_]+ \}\}")
AZURE_EXPANSIONS = re.compile(
    r"\$\{\{ variables\.AZURE_SERVICE_CONNECTION \}\}|\$\((WLID_SPEC|Agent\.TempDirectory|Build\.SourcesDirectory)\)"
)


def tree_prefix(gitops: dict[str, str]) -> str:
    path = "/".join(p for p in gitops["path"].split("/") if p not in ("", "."))  # as the plan folds it
    return f"{path}/" if path else ""


def check_gitops(gitops: dict[str, str], files: dict[str, str], envs: list[str], out: str) -> None:
    """GitOps objects point at gitops.path; the pipelines at OUT (as rendered: out/<name> here)."""
    for env in envs:
        apps = load_documents(files[f"gitops/argocd/{env}.yaml"])
        assert apps  # one Application per namespace folder of the overlay
        for app in apps:
            assert app["spec"]["source"]["repoURL"] == gitops["repoURL"]
            assert app["spec"]["source"]["targetRevision"] == gitops["branch"]
            assert f"{app['spec']['source']['path'].removeprefix(tree_prefix(gitops))}/kustomization.yaml" in files
    tree = out
    for path, allowed in (
        ("pipelines/github-actions.yml", GITHUB_EXPRESSIONS),
        ("pipelines/azure-pipelines.yml", AZURE_EXPANSIONS),
    ):
        (pipeline,) = load_documents(files[path])
        scripts = _strings(pipeline["jobs"])
        for text in scripts:
            assert not CI_EXPANSION.search(allowed.sub("", text)), f"{path}: the CI expands {text!r}"
        assert any(shlex.quote(tree) in text for text in scripts), f"{path}: no {shlex.quote(tree)}"


# -- properties of valid specs ---------------------------------------------------------------------
def check_a_valid_spec(case: Case, allow_unicode: bool) -> None:
    # Random names and texts may look like credentials (a long random identity name, an env name
    # ending in _KEY): valid specs hold none (tests/test_secrets.py checks that rule).
    assume(not secret_problems(case.spec))
    text = dump(case.spec, allow_unicode)
    files = render_text(text)
    check_syntax(files)
    check_values(case, files)
    assert render_text(text) == files, "rendering twice gives different bytes"


@settings(FUZZ, max_examples=QUICK_EXAMPLES)
@given(valid_cases(), st.booleans())
def test_random_valid_specs_render_and_keep_every_value(case: Case, allow_unicode: bool) -> None:
    check_a_valid_spec(case, allow_unicode)


@pytest.mark.slow
@FUZZ
@given(valid_cases(), st.booleans())
def test_random_valid_specs_render_and_keep_every_value_thoroughly(case: Case, allow_unicode: bool) -> None:
    check_a_valid_spec(case, allow_unicode)


# -- invalid mutations -----------------------------------------------------------------------------
REQUIRED = [
    ("apiVersion",),
    ("kind",),
    ("metadata",),
    ("metadata", "name"),
    ("azure",),
    ("azure", "subscriptionId"),
    ("azure", "resourceGroup"),
    ("azure", "location"),
    ("cluster",),
    ("cluster", "name"),
    ("identities",),
    ("identities", 0, "name"),
    ("serviceAccounts", 0, "name"),
    ("serviceAccounts", 0, "identity"),
    ("workloads", 0, "name"),
    ("workloads", 0, "serviceAccount"),
    ("workloads", 0, "containers", 0, "name"),
    ("workloads", 0, "containers", 0, "image"),
]
STRINGS = [p for p in REQUIRED if p[-1] not in ("metadata", "azure", "cluster", "identities")]
NOT_A_STRING = st.one_of(
    st.integers(),
    st.booleans(),
    st.floats(allow_nan=False),
    st.none(),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.just("a"), st.integers(), max_size=1),
)
NOT_A_LIST = st.one_of(
    st.integers(), st.booleans(), free_text, st.dictionaries(st.just("a"), st.integers(), max_size=1)
)
NOT_A_MAPPING = st.one_of(st.integers(), st.booleans(), free_text, st.lists(st.integers(), max_size=2))
LISTS = [
    ("identities",),
    ("identities", 0, "roles"),
    ("serviceAccounts",),
    ("workloads",),
    ("workloads", 0, "containers"),
    ("workloads", 0, "containers", 0, "args"),
]
MAPPINGS = [
    ("metadata",),
    ("azure",),
    ("cluster",),
    ("identities", 0),
    ("workloads", 0, "labels"),
    ("workloads", 0, "containers", 0, "env"),
]
MODELS = {
    (): {
        "apiVersion",
        "kind",
        "metadata",
        "azure",
        "cluster",
        "identities",
        "serviceAccounts",
        "workloads",
        "environments",
        "gitops",
    },
    ("metadata",): {"name"},
    ("azure",): {"subscriptionId", "resourceGroup", "location", "tenantId"},
    ("cluster",): {"name", "resourceGroup", "subscriptionId", "enableWorkloadIdentity", "oidcIssuerUrl"},
    ("identities", 0): {"name", "roles", "environments"},
    ("serviceAccounts", 0): {
        "name",
        "namespace",
        "identity",
        "federatedCredentialName",
        "tokenExpiration",
        "environments",
    },
    ("workloads", 0, "containers", 0): {"name", "image", "command", "args", "env", "ports", "resources"},
}
BAD_IDENTITY = st.one_of(
    _regex(r"[A-Za-z0-9]{1,2}"),
    _regex(r"[-_][A-Za-z0-9]{3,10}"),
    _regex(r"[A-Za-z0-9]{2,10}[ .:/@\n\u0430\u200b][A-Za-z0-9]{1,10}"),
    _regex(r"[A-Za-z0-9]{129,140}"),
)
BAD_DNS = st.one_of(
    _regex(r"[a-z0-9]{0,5}[A-Z_ ][a-z0-9]{0,5}"),
    _regex(r"-[a-z0-9]{1,5}"),
    _regex(r"[a-z0-9]{1,5}-"),
    _regex(r"[a-z0-9]{64,70}"),
)
NAMES = [
    (("identities", 0, "name"), BAD_IDENTITY),
    (("serviceAccounts", 0, "namespace"), BAD_DNS),
    (("workloads", 0, "name"), BAD_DNS),
    (("workloads", 0, "containers", 0, "name"), BAD_DNS),
]


def _get(data: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        data = data[step]
    return data


def _has(data: Any, path: tuple[Any, ...]) -> bool:
    try:
        _get(data, path)
    except (KeyError, IndexError, TypeError):
        return False
    return True


@st.composite
def invalid_specs(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    spec = draw(valid_cases()).spec
    workload = spec.get("workloads", [{}])[0]
    if workload.get("existing"):  # give mutations a full workload to work on
        spec["workloads"][0] = workload = {k: v for k, v in workload.items() if k != "existing"}
        workload["containers"] = [{"name": "c", "image": "busybox", "args": ["x"]}]
        workload.setdefault("kind", "Deployment")
        workload.pop("replicas", None)
        if workload["kind"] == "CronJob":
            workload["schedule"] = "0 * * * *"
    kind = draw(st.sampled_from(["drop", "type", "name", "unknown"]))
    if kind == "drop":
        path = draw(st.sampled_from([p for p in REQUIRED if _has(spec, p)]))
        del _get(spec, path[:-1])[path[-1]]
    elif kind == "type":
        choices = (
            [(p, NOT_A_STRING) for p in STRINGS]
            + [(p, NOT_A_LIST) for p in LISTS]
            + [(p, NOT_A_MAPPING) for p in MAPPINGS]
        )
        path, values = draw(st.sampled_from([c for c in choices if _has(spec, c[0])]))
        _get(spec, path[:-1])[path[-1]] = draw(values)
    elif kind == "name":
        path, values = draw(st.sampled_from([n for n in NAMES if _has(spec, n[0])]))
        _get(spec, path[:-1])[path[-1]] = draw(values)
    else:
        parent = draw(st.sampled_from([p for p in MODELS if _has(spec, p)]))
        key = draw(_regex(r"[A-Za-z_][A-Za-z0-9_]{0,15}").filter(lambda k: k not in MODELS[parent]))
        _get(spec, parent)[key] = draw(st.one_of(free_text, st.integers()))
    return kind, spec


def check_an_invalid_mutation(mutation: tuple[str, dict[str, Any]]) -> None:
    _, spec = mutation
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / SPEC_FILE
        path.write_text(dump(spec), "utf-8")
        out = Path(folder) / "out"
        result = CliRunner().invoke(main, ["render", str(path), "-o", str(out)])
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        assert result.exit_code == 2, result.output
        first = result.stderr.splitlines()[0]
        assert re.match(rf"{re.escape(str(path))}:\d+:\d+: ", first), first
        assert not out.exists()


@settings(FUZZ, max_examples=QUICK_EXAMPLES)
@given(invalid_specs())
def test_invalid_mutations_exit_2_with_a_located_error(mutation: tuple[str, dict[str, Any]]) -> None:
    check_an_invalid_mutation(mutation)


@pytest.mark.slow
@FUZZ
@given(invalid_specs())
def test_invalid_mutations_exit_2_with_a_located_error_thoroughly(mutation: tuple[str, dict[str, Any]]) -> None:
    check_an_invalid_mutation(mutation)


# -- found by the properties above: minimal specs -------------------------------------------------
MINIMAL = """apiVersion: wlid/v1
kind: WorkloadIdentitySpec
metadata: {name: fuzz}
azure: {subscriptionId: 11111111-1111-1111-1111-111111111111, resourceGroup: rg-fuzz, location: eastus}
cluster: {name: aks-fuzz}
identities: [{name: myIdentity}]
"""


@pytest.mark.parametrize(
    "path",
    [
        "a\nb: c",
        "a\rb: c",
        "a\u2028b: c",
        "\x00",
        "a\x1bb",
        "out/${{ github.token }}",
        "out/$(System.AccessToken)",
        "a b",
    ],
)
def test_a_gitops_path_that_could_reach_a_script_as_code_is_refused(path: str) -> None:
    gitops = {"repoURL": "https://example.com/r.git", "branch": "main", "path": path}
    with pytest.raises(SpecError) as raised:
        render_text(MINIMAL + dump({"gitops": gitops}))
    assert "is not a valid repository path" in raised.value.problems[0].message


def test_existing_workloads_whose_names_join_alike_get_a_component_each() -> None:
    files = render_text(
        MINIMAL
        + "serviceAccounts:\n"
        + "  - {name: sa, namespace: a-b, identity: myIdentity}\n"
        + "  - {name: sa, namespace: a, identity: myIdentity}\n"
        + "workloads:\n"
        + "  - {name: c, kind: Deployment, namespace: a-b, serviceAccount: sa, existing: true}\n"
        + "  - {name: b-c, kind: Deployment, namespace: a, serviceAccount: sa, existing: true}\n"
    )
    patches = [p for p in files if p.startswith("k8s/components/") and p.endswith("/patch.yaml")]
    assert len(patches) == 2, patches


def test_an_empty_role_description_is_the_same_in_arm_and_bicep() -> None:
    files = render_text(
        MINIMAL.replace(
            "identities: [{name: myIdentity}]",
            "identities: [{name: myIdentity, roles: [{role: Reader, subscription: true, description: ''}]}]",
        )
    )
    assert arm_descriptions(json.loads(files["azure/main.json"])) == bicep_descriptions(files)
