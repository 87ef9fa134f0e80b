"""Credentials anywhere in the spec are refused at their line, with a hint that works; the corpus of
tests/cases/secrets.yaml keeps the rule honest both ways; the shortcuts never hide a finding.

No credential is written in this file or in the corpus: fake ones are made at run time from
templates (random characters, reversed fixed text), so that secret scanners have nothing to find.
"""

from __future__ import annotations

import base64
import random
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import LAB_SPEC, ROOT
from generate import spec_text
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wlid_render.errors import SpecError
from wlid_render.plan.secrets import credential_kind, kinds, names_a_secret, report, secret_problems
from wlid_render.plan.source import plan_source
from wlid_render.spec.load import load_text

CORPUS = ROOT / "tests" / "cases" / "secrets.yaml"
SHAPES = yaml.safe_load(CORPUS.read_text("utf-8"))
SEEDS = range(20)  # every shape is made 20 times with other random characters
LAB = LAB_SPEC.read_text("utf-8")

_ALPHABETS = {
    "alnum": "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
    "upper": "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
    "lower": "abcdefghijklmnopqrstuvwxyz0123456789",
    "digits": "0123456789",
    "hex": "0123456789abcdef",
    "b64chars": "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
    "entra": "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~-",
}


def fill(template: str, rng: random.Random) -> str:
    """A corpus template with its fields filled in (see the head of tests/cases/secrets.yaml)."""
    out = []
    i = 0
    while i < len(template):
        if template[i] != "{" or template[i - 1 : i] == "$":  # `${...}` is the spec's own
            out.append(template[i])
            i += 1
            continue
        depth, j = 0, i
        while True:
            depth += {"{": 1, "}": -1}.get(template[j], 0)
            if depth == 0:
                break
            j += 1
        out.append(_field(template[i + 1 : j], rng))
        i = j + 1
    return "".join(out)


def _field(body: str, rng: random.Random) -> str:
    name, _, arg = body.partition(":")
    if name in _ALPHABETS:
        return "".join(rng.choice(_ALPHABETS[name]) for _ in range(int(arg)))
    if name == "bytes":
        return base64.b64encode(rng.randbytes(int(arg))).decode()
    if name == "der":  # a DER SEQUENCE with a two-byte length, as every RSA key and certificate is
        size = int(arg)
        return base64.b64encode(b"\x30\x82" + size.to_bytes(2, "big") + rng.randbytes(size)).decode()
    if name == "guid":
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))
    if name == "rev":
        return arg[::-1]
    if name in ("base64", "base64url"):
        data = fill(arg, rng).encode()
        return base64.b64encode(data).decode() if name == "base64" else _b64url(data)
    if name == "url":
        return "".join(
            c if c.isascii() and c.isalnum() else "".join(f"%{b:02X}" for b in c.encode())
            for c in fill(arg, rng)
        )
    if name in ("cut", "tail"):
        size, _, inner = arg.partition(":")
        text = fill(inner, rng)
        return text[: int(size)] if name == "cut" else text[-int(size) :]
    if name == "jwt":
        header, payload = arg.split("|")
        return f"{_b64url(fill(header, rng).encode())}.{_b64url(fill(payload, rng).encode())}.{_b64url(rng.randbytes(32))}"
    return {"nl": "\n", "lb": "{", "rb": "}"}[name]


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def made(entry: dict[str, Any], seed: int) -> str:
    return fill(entry["value"], random.Random(f"{entry['id']}/{seed}"))


def _items(entry: dict[str, Any], value: str) -> list[str]:
    if entry["split"] == "lines":
        return value.split("\n")
    size = int(entry["split"])
    return [value[i : i + size] for i in range(0, len(value), size)]


def _args_spec(items: list[str]) -> dict[str, Any]:
    return {"workloads": [{"name": "w", "containers": [{"name": "c", "args": ["--flag", *items]}]}]}


# -- the corpus -----------------------------------------------------------------------------------
def test_the_corpus_holds_over_a_hundred_shapes_each_way() -> None:
    assert len(SHAPES["refused"]) >= 100
    assert len(SHAPES["allowed"]) >= 100
    ids = [entry["id"] for entry in SHAPES["refused"] + SHAPES["allowed"]]
    assert len(ids) == len(set(ids))


def test_the_corpus_and_these_tests_hold_no_credential() -> None:
    """What a scanner reads in the repository: templates and setting names, never a credential."""
    corpus = CORPUS.read_text("utf-8")
    while re.search(r"\{[^{}]*\}", corpus):  # the fixed text around the templates' fields
        corpus = re.sub(r"\{[^{}]*\}", "", corpus)
    this = Path(__file__).read_text("utf-8")
    for text in (corpus, this):
        assert [line for line in text.splitlines() if credential_kind(line)] == []


RANDOM_KEYS = "key or token"  # the kind of the random-looking-text rule: a measure, not a pattern


@pytest.mark.parametrize("entry", SHAPES["refused"], ids=lambda e: e["id"])
def test_every_refused_shape_is_found(entry: dict[str, Any]) -> None:
    if entry["kind"] == RANDOM_KEYS:
        return  # see test_random_keys_are_found_but_for_a_few
    for seed in SEEDS:
        value = made(entry, seed)
        if "split" in entry:
            problems = secret_problems(_args_spec(_items(entry, value)))
            assert problems, (seed, value)
            assert any(entry["kind"] in p.message for p in problems), (seed, [p.message for p in problems])
        else:
            kind = credential_kind(value)
            assert kind is not None and entry["kind"] in kind, (seed, value, kind)


@pytest.mark.parametrize(
    "entry", [e for e in SHAPES["refused"] if e["kind"] == RANDOM_KEYS], ids=lambda e: e["id"]
)
def test_random_keys_are_found_but_for_a_few(entry: dict[str, Any]) -> None:
    """Keys without a fixed shape are told from words by how random they look (docs/secrets.md):
    of 500 made with other random characters, at least 97% are found (99% or more of 40+ characters)."""
    found = sum(credential_kind(made(entry, seed)) is not None for seed in range(500))
    assert found >= (495 if len(made(entry, 0)) >= 40 else 485), found


@pytest.mark.parametrize("entry", SHAPES["allowed"], ids=lambda e: e["id"])
def test_no_allowed_shape_is_refused(entry: dict[str, Any]) -> None:
    for seed in SEEDS:
        value = made(entry, seed)
        assert credential_kind(value) is None, (seed, value)
        data = {"workloads": [{"containers": [{"env": {"SETTING": value}, "args": [value, value]}]}]}
        assert secret_problems(data) == [], (seed, value)


@pytest.mark.parametrize("name", SHAPES["names"]["refused"])
def test_names_that_say_they_hold_a_credential(name: str) -> None:
    assert names_a_secret(name)
    for where in ("env", "vars", "labels", "annotations", "tags"):
        (problem,) = secret_problems({"x": {where: {name: "some-literal"}}})
        assert problem.path == ("x", where, name) and "says it holds a credential" in problem.message
    for reference in ("$(DB_PASSWORD)", "${DB_PASSWORD}", "", "true"):
        assert secret_problems({"env": {name: reference}}) == []
    assert secret_problems({"env": {name: {"secretKeyRef": {"name": "db", "key": "password"}}}}) == []
    assert secret_problems({"args": {name: "some-literal"}}) == []  # not a map whose keys a user names


@pytest.mark.parametrize("name", SHAPES["names"]["allowed"])
def test_names_that_hold_no_credential(name: str) -> None:
    assert not names_a_secret(name)
    assert secret_problems({"env": {name: "some-literal"}}) == []


# -- in a spec: where, at which line, with which hint ---------------------------------------------
def _fake(kind: str) -> str:
    """A fake credential of a corpus entry, made from its template."""
    (entry,) = [e for e in SHAPES["refused"] if e["id"] == kind]
    return made(entry, 0)


def _problems(text: str) -> list[Any]:
    with pytest.raises(SpecError) as raised:
        plan_source(load_text(text, "lab.yaml"))
    return list(raised.value.problems)


def _line(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


PLACES = {  # where a value lands in an output: the text to replace, and what replaces it
    "env": ("SECRET_NAME: my-secret", "SECRET_NAME: '{v}'"),
    "args": ('command: ["sh", "-c", "sleep 3600"]', "command: [sh, -c, '{v}']"),
    "image": ("image: busybox", "image: 'busybox:{v}'"),
    "annotation": (
        "serviceAccount: workload-identity-sa\n",
        "serviceAccount: workload-identity-sa\n    annotations: {{example.com/note: '{v}'}}\n",
    ),
    "label": (
        "serviceAccount: workload-identity-sa\n",
        "serviceAccount: workload-identity-sa\n    labels: {{team: '{v}'}}\n",
    ),
    "description": ("keyVault: kv-wlid-lab", "keyVault: kv-wlid-lab\n        description: '{v}'"),
    "schedule": (
        "serviceAccount: workload-identity-sa\n",
        "serviceAccount: workload-identity-sa\n    schedule: '0 2 * * * {v}'\n",
    ),
    "quantity": ("image: busybox", "image: busybox\n        resources: {{requests: {{cpu: '{v}'}}}}"),
    "probe": (
        "image: busybox",
        "image: busybox\n        readinessProbe: {{exec: {{command: [check, '{v}']}}}}",
    ),
    "volume": (
        "serviceAccount: workload-identity-sa\n",
        "serviceAccount: workload-identity-sa\n    volumes: [{{name: kv, csi: {{driver: x, volumeAttributes: {{key: '{v}'}}}}}}]\n",
    ),
    "pod-template": (
        "serviceAccount: workload-identity-sa\n",
        "serviceAccount: workload-identity-sa\n    podTemplate: {{hostname: '{v}'}}\n",
    ),
    "var": ("workloads:", "environments:\n  default:\n    vars: {{token: '{v}'}}\nworkloads:"),
}


@pytest.mark.parametrize("place", sorted(PLACES))
def test_a_credential_is_refused_wherever_it_lands(place: str) -> None:
    token = _fake("github-classic")
    old, new = PLACES[place]
    assert old in LAB
    text = LAB.replace(old, new.format(v=token), 1)
    found = [p for p in _problems(text) if "looks like a GitHub token" in p.message]
    assert len(found) == 1, [p.format() for p in _problems(text)]
    assert found[0].mark is not None and found[0].mark.line == _line(text, token)
    assert "!wlid/not-a-secret" in found[0].hint


def test_a_url_with_a_password_in_gitops_is_refused() -> None:
    secret_part = _fake("password-short").split("=", 1)[1]
    text = LAB + "gitops:\n  repoURL: https://git:" + secret_part + "@git.example.com/platform.git\n"
    (problem,) = _problems(text)
    assert problem.path == ("gitops", "repoURL") and "URL with a password" in problem.message


def test_a_credential_in_an_env_value_gets_a_hint_that_works() -> None:
    name = "DB_" + "PASSWORD"  # not written out: a scanner would read some lines as credentials
    text = LAB.replace("SECRET_NAME: my-secret", f"{name}: '{_fake('entra-new')}'")
    (problem,) = _problems(text)
    assert "secretKeyRef" in problem.hint and "Key Vault" in problem.hint
    suggested = problem.hint.split("instead: ", 1)[1].split(", or keep")[0]
    assert suggested == name + ": {secretKeyRef: {name: <secret>, key: <key>}}"
    fixed = LAB.replace(
        "SECRET_NAME: my-secret", suggested.replace("<secret>", "db").replace("<key>", "password")
    )
    plan = plan_source(load_text(fixed, "lab.yaml"))
    (env,) = [c.env for w in plan.workloads for c in w.containers if any(n == name for n, _ in c.env)]
    assert dict(env)[name].value() == {"secretKeyRef": {"name": "db", "key": "password"}}


def test_a_literal_under_a_credential_name_is_refused_with_the_same_hint() -> None:
    name = "DB_" + "PASSWORD"  # not written out: a scanner would read the line as a credential
    text = LAB.replace("SECRET_NAME: my-secret", f"{name}: correct-horse")
    (problem,) = _problems(text)
    assert problem.message.startswith(f"{name} says it holds a credential")
    assert "secretKeyRef" in problem.hint and problem.mark is not None
    assert problem.mark.line == _line(text, name)


def test_a_credential_in_an_argument_gets_the_argument_hint() -> None:
    text = LAB.replace(
        'command: ["sh", "-c", "sleep 3600"]', f"command: [sh, -c, 'curl -u {_fake('url-password')}']"
    )
    (problem,) = _problems(text)
    assert "$(NAME)" in problem.hint


def test_a_credential_put_together_from_variables_is_refused_per_environment() -> None:
    key = made({"id": "half", "value": "{bytes:64}"}, 0)
    text = LAB.replace("SECRET_NAME: my-secret", "CONNECTION: 'AccountName=st;AccountKey=${vars.a}${vars.b}'")
    text = text.replace(
        "workloads:",
        f"environments:\n  dev:\n    vars: {{a: '{key[:10]}', b: '{key[10:20]}'}}\n  prod:\n    vars: {{a: x, b: y}}\nworkloads:",
    )
    (problem,) = _problems(text)
    assert problem.message.startswith(
        "environment 'dev': with its variables, this value looks like an Azure storage"
    )
    assert problem.path[-2:] == ("env", "CONNECTION")


def test_a_credential_in_a_variable_is_reported_once_at_the_variable() -> None:
    token = _fake("github-classic")
    text = LAB.replace("SECRET_NAME: my-secret", "TOKEN_REF: 'x-${vars.t}'")
    text = text.replace("workloads:", f"environments:\n  dev:\n    vars: {{t: '{token}'}}\nworkloads:")
    (problem,) = _problems(text)
    assert problem.path == ("environments", "dev", "vars", "t")


def test_every_problem_is_reported_with_the_other_errors_of_the_spec() -> None:
    text = LAB.replace("SECRET_NAME: my-secret", f"SECRET_NAME: '{_fake('github-classic')}'")
    text = text.replace("name: myIdentity", "name: x", 1)  # an identity name that is too short
    messages = [p.message for p in _problems(text)]
    assert any("GitHub token" in m for m in messages) and any("identity name" in m for m in messages)


# -- the escape: !wlid/not-a-secret ---------------------------------------------------------------
def test_the_tag_lets_one_value_through() -> None:
    fake = _fake("random-key-64")
    text = LAB.replace(
        "SECRET_NAME: my-secret", f"BUILD_ID: !wlid/not-a-secret '{fake}'\n          OTHER: '{fake}'"
    )
    (problem,) = _problems(text)  # the untagged copy is still refused
    assert problem.path[-1] == "OTHER"
    plan_source(load_text(text.replace("OTHER:", "OTHER: !wlid/not-a-secret"), "lab.yaml"))


def test_the_tag_lets_a_name_rule_literal_through() -> None:
    text = LAB.replace("SECRET_NAME: my-secret", "PARTITION_TOKEN: !wlid/not-a-secret region")
    plan_source(load_text(text, "lab.yaml"))


def test_the_tag_follows_an_alias_and_a_tagged_variable_into_its_uses() -> None:
    fake = _fake("random-key-64")
    text = LAB.replace(
        "SECRET_NAME: my-secret",
        "A: &id !wlid/not-a-secret '" + fake + "'\n          B: *id\n          C: 'x-${vars.v}'",
    )
    text = text.replace(
        "workloads:", f"environments:\n  dev:\n    vars: {{v: !wlid/not-a-secret '{fake}'}}\nworkloads:"
    )
    plan_source(load_text(text, "lab.yaml"))


def test_the_tag_in_a_list_covers_its_item() -> None:
    fake = _fake("random-key-64")
    text = LAB.replace('command: ["sh", "-c", "sleep 3600"]', f"command: [sh, !wlid/not-a-secret '{fake}']")
    plan_source(load_text(text, "lab.yaml"))


def test_the_tag_goes_on_strings_only() -> None:
    with pytest.raises(SpecError) as raised:
        load_text("a: !wlid/not-a-secret {b: c}\n", "x.yaml")
    assert "tags a string value" in raised.value.problems[0].message
    with pytest.raises(SpecError) as raised:
        load_text("!wlid/not-a-secret a: b\n", "x.yaml")
    assert "not a key" in raised.value.problems[0].message


# -- the shortcuts never hide a finding -----------------------------------------------------------
_FRAGMENTS = [
    *(s for e in SHAPES["refused"] for s in (made(e, 0),) if len(s) < 400),
    *(made(e, 0) for e in SHAPES["allowed"]),
    " NIGEB-----"[::-1],
    " nigeb-----"[::-1],
    "eyJ",
    "ew",
    "AccountKey=",
    "accountkey =",
    "==",
    "sig=",
    "SIG=",
    "?",
    "&",
    "1Q~",
    "q~",
    "Password=",
    "PWD=",
    "pass =",
    "_auth=",
    '"auth": "',
    "SharedAccessKey=",
    ";",
    " ",
    "://",
    ":",
    "@",
    "bearer ",
    "Basic ",
    "gho_",
    "glpat-",
    "GR1348941",
    "xoxb-",
    "AKIA",
    "asia",
    "npm_",
    "Ejdvtxzr1CazNnblB3b"[::-1],
    "%3D",
    "%",
    "sha512-",
    "sha256:",
    "MII",
    "\x00",
    "\\",
    '"',
    "\n",
    "${vars.a}",
    "${env}",
    "$(X)",
    "\u017fig=",
    "\u212a",
    "\u0131",
    "\u0130",
    "\u00e9",
]
_TEXT = st.lists(
    st.one_of(
        st.sampled_from(_FRAGMENTS),
        st.text(max_size=8),
        st.text(alphabet=_ALPHABETS["entra"] + "+/=%", min_size=20, max_size=90),
    ),
    max_size=5,
).map("".join)


def _credential_kind_shortcuts_give_the_full_answer(value: str) -> None:
    """Gates, minimum lengths and the upper-case test give the answer of running everything."""
    assert credential_kind(value) == kinds.kind_of(value, 0, shortcuts=False)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_TEXT)
def test_credential_kind_shortcuts_give_the_full_answer(value: str) -> None:
    """Gates, minimum lengths and the upper-case test give the answer of running everything."""
    _credential_kind_shortcuts_give_the_full_answer(value)


@pytest.mark.slow
@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_TEXT)
def test_credential_kind_shortcuts_give_the_full_answer_thoroughly(value: str) -> None:
    _credential_kind_shortcuts_give_the_full_answer(value)


_NAMES = st.sampled_from([*SHAPES["names"]["refused"], *SHAPES["names"]["allowed"], "a", "b", "name"])
_DATA = st.recursive(
    _TEXT,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.one_of(_NAMES, st.sampled_from(["env", "vars", "labels", "args"])), inner, max_size=4
        ),
        st.lists(_TEXT, min_size=2, max_size=4),
        st.integers(),
    ),
    max_leaves=12,
)


def _the_whole_spec_shortcut_gives_the_full_answer(
    data: Any, env_vars: dict[str, dict[str, str]]
) -> None:
    """`spec_is_clean` (fast_path.py) answers for the whole spec as checking every string with its path does."""
    spec = {"workloads": data, "environments": {env: {"vars": v} for env, v in env_vars.items()}}
    assert secret_problems(spec) == report.every_problem(spec, frozenset())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    _DATA,
    st.dictionaries(
        st.sampled_from(["dev", "prod"]),
        st.dictionaries(st.sampled_from(["a", "b"]), _TEXT, max_size=2),
        max_size=2,
    ),
)
def test_the_whole_spec_shortcut_gives_the_full_answer(
    data: Any, env_vars: dict[str, dict[str, str]]
) -> None:
    """`spec_is_clean` (fast_path.py) answers for the whole spec as checking every string with its path does."""
    _the_whole_spec_shortcut_gives_the_full_answer(data, env_vars)


@pytest.mark.slow
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    _DATA,
    st.dictionaries(
        st.sampled_from(["dev", "prod"]),
        st.dictionaries(st.sampled_from(["a", "b"]), _TEXT, max_size=2),
        max_size=2,
    ),
)
def test_the_whole_spec_shortcut_gives_the_full_answer_thoroughly(
    data: Any, env_vars: dict[str, dict[str, str]]
) -> None:
    _the_whole_spec_shortcut_gives_the_full_answer(data, env_vars)


def test_real_specs_take_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: Any) -> None:
        raise AssertionError("every string was checked one by one")

    monkeypatch.setattr(report, "every_problem", refuse)
    for text in [*(p.read_text("utf-8") for p in sorted((ROOT / "specs").glob("*.yaml"))), spec_text(1000)]:
        assert secret_problems(load_text(text, "spec.yaml").data) == []


def _strings_of(node: Any) -> Any:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield key
            yield from _strings_of(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings_of(value)


def test_real_identifiers_and_texts_are_not_refused() -> None:
    """Thousands of real non-secrets: every string of the bundled ARM and Kubernetes schemas and
    built-in roles (resource types, property names, descriptions, GUIDs, API versions), and every
    line wlid renders for the examples."""
    import json

    found = set()
    for path in sorted((ROOT / "wlid_render" / "data").rglob("*.json")):
        found.update(_strings_of(json.loads(path.read_text("utf-8"))))
    for path in sorted((ROOT / "out").rglob("*")):
        if path.is_file():
            found.update(path.read_text("utf-8").splitlines())
    assert len(found) > 6000
    assert sorted(s[:80] for s in found if credential_kind(s)) == []


def test_the_doc_example_of_the_tag_is_a_real_false_alarm_let_through() -> None:
    doc = (ROOT / "docs" / "secrets.md").read_text("utf-8")
    start = doc.index("```yaml\nenv:\n  BUILD_ID")
    example = doc[start + len("```yaml\n") : doc.index("```\n", start + 8)]
    container = "\n".join("        " + line for line in example.splitlines())
    text = LAB.replace('        command: ["sh", "-c", "sleep 3600"]\n', container + "\n", 1)
    assert text != LAB
    plan_source(load_text(text, "lab.yaml"))  # tagged: let through
    untagged = text.replace("!wlid/not-a-secret ", "")
    assert len(_problems(untagged)) == 3  # each of the three values is refused without its tag
