"""Pinning client IDs in a spec edits only `environments.<env>.clientIds`; every other byte stays."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from conftest import LAB_SPEC, ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wlid_render.errors import Mark, SpecError
from wlid_render.plan.source import plan_source
from wlid_render.spec.bind import bind_client_ids
from wlid_render.spec.load import load_text

LAB = LAB_SPEC.read_text("utf-8")
PLATFORM = (ROOT / "specs" / "platform.yaml").read_text("utf-8")
STYLES = (Path(__file__).parent / "cases" / "outputs" / "spec-styles.yaml").read_text("utf-8")

G1 = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"
G2 = "9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d"

HEADER = """\
apiVersion: wlid/v1
kind: WorkloadIdentitySpec
metadata:
  name: small
azure:
  subscriptionId: 11111111-1111-1111-1111-111111111111
  resourceGroup: rg-small
  location: eastus
cluster:
  name: aks-small
identities:
  - name: orders-api
  - name: reporting
"""


def _client_ids(text: str, env: str) -> dict[str, str]:
    return load_text(text, "spec.yaml").data["environments"][env]["clientIds"]


def _kept_in_order(original: str, result: str, may_change: set[int] = frozenset()) -> None:
    """Every line of `original` (1-based numbers not in `may_change`) is in `result`, in the same order."""
    lines = iter(result.splitlines(keepends=True))
    for number, line in enumerate(original.splitlines(keepends=True), start=1):
        if number in may_change:
            continue
        assert any(candidate == line for candidate in lines), f"line {number} lost or moved: {line!r}"


def _line_of(text: str, fragment: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if fragment in line)


def _only_client_ids_changed(original: str, result: str, env: str, expected: dict[str, str]) -> None:
    before = load_text(original, "spec.yaml").data
    after = load_text(result, "spec.yaml").data
    assert after["environments"][env]["clientIds"] == expected
    rest_before = copy.deepcopy(before)
    rest_after = copy.deepcopy(after)
    rest_after["environments"][env].pop("clientIds")
    env_before = rest_before.setdefault("environments", {}).get(env) or {}
    env_before.pop("clientIds", None)
    rest_before["environments"][env] = env_before
    assert rest_after == rest_before


# -- the bundled specs ----------------------------------------------------------------------------


def test_lab_without_environments_gets_a_default_environment_at_the_end():
    result = bind_client_ids(LAB, "default", {"myIdentity": G1.upper()}, "specs/lab.yaml")
    assert result == LAB + f"environments:\n  default:\n    clientIds:\n      myIdentity: {G1}\n"
    _only_client_ids_changed(LAB, result, "default", {"myIdentity": G1})


def test_lab_bound_still_plans_with_the_client_id_pinned():
    result = bind_client_ids(LAB, "default", {"myIdentity": G1})
    plan = plan_source(load_text(result, "lab.yaml"))
    (env,) = plan.environments
    assert env.name == "default"
    assert env.pinned == frozenset({"myIdentity"})
    assert ("myIdentity", G1) in env.client_ids


def test_lab_knows_only_the_default_environment():
    with pytest.raises(SpecError) as caught:
        bind_client_ids(LAB, "dev", {"myIdentity": G1}, "specs/lab.yaml")
    (problem,) = caught.value.problems
    assert "no environment named 'dev'" in problem.message
    assert "only environment is 'default'" in problem.message
    assert "bind 'default'" in problem.hint
    assert problem.file == "specs/lab.yaml"


def test_platform_dev_replaces_one_value_and_appends_the_other():
    ids = {"orders-api": G1, "reporting": G2}
    result = bind_client_ids(PLATFORM, "dev", ids, "specs/platform.yaml")
    old = "      orders-api: 55555555-5555-5555-5555-555555555555\n"
    assert result == PLATFORM.replace(old, f"      orders-api: {G1}\n      reporting: {G2}\n")
    _kept_in_order(PLATFORM, result, {_line_of(PLATFORM, "orders-api: 5555")})
    _only_client_ids_changed(PLATFORM, result, "dev", ids)


def test_platform_dev_adds_to_the_existing_identity():
    result = bind_client_ids(PLATFORM, "dev", {"reporting": G2})
    _kept_in_order(PLATFORM, result)
    assert _client_ids(result, "dev") == {
        "orders-api": "55555555-5555-5555-5555-555555555555",
        "reporting": G2,
    }
    assert len(result.splitlines()) == len(PLATFORM.splitlines()) + 1


def test_platform_prod_gets_a_client_ids_block_after_its_last_line():
    result = bind_client_ids(PLATFORM, "prod", {"reporting": G2, "orders-api": G1})
    assert result == PLATFORM + f"    clientIds:\n      reporting: {G2}\n      orders-api: {G1}\n"
    assert list(_client_ids(result, "prod")) == ["reporting", "orders-api"]  # the order given


def test_platform_staging_after_a_flow_style_cluster():
    result = bind_client_ids(PLATFORM, "staging", {"orders-api": G1})
    flow = "    cluster: {name: aks-platform-staging}\n"
    assert result == PLATFORM.replace(flow, flow + f"    clientIds:\n      orders-api: {G1}\n")
    _only_client_ids_changed(PLATFORM, result, "staging", {"orders-api": G1})


def test_platform_bound_plans_with_every_identity_pinned():
    text = PLATFORM
    for env in ("dev", "staging", "prod"):
        text = bind_client_ids(text, env, {"orders-api": G1, "reporting": G2})
    plan = plan_source(load_text(text, "platform.yaml"))
    assert {e.name: e.pinned for e in plan.environments} == {
        env: frozenset({"orders-api", "reporting"}) for env in ("dev", "staging", "prod")
    }


@pytest.mark.parametrize("env", ["default", "dev", "staging", "prod"])
def test_idempotent(env: str):
    spec = LAB if env == "default" else PLATFORM
    ids = {"myIdentity": G1} if env == "default" else {"orders-api": G1, "reporting": G2}
    once = bind_client_ids(spec, env, ids)
    assert once != spec
    assert bind_client_ids(once, env, ids) == once
    assert bind_client_ids(once, env, {k: v.upper() for k, v in ids.items()}) == once


def test_nothing_to_bind_changes_nothing():
    assert bind_client_ids(PLATFORM, "prod", {}) == PLATFORM
    assert (
        bind_client_ids(PLATFORM, "dev", {"orders-api": "55555555-5555-5555-5555-555555555555"}) == PLATFORM
    )


# -- styles ---------------------------------------------------------------------------------------


def test_flow_style_client_ids_are_edited_inside_the_braces():
    spec = HEADER + f"environments:\n  dev:\n    clientIds: {{orders-api: {G2}}}  # pinned\n"
    result = bind_client_ids(spec, "dev", {"reporting": G1})
    assert result.endswith(f"    clientIds: {{orders-api: {G2}, reporting: {G1}}}  # pinned\n")
    assert result.startswith(HEADER + "environments:\n  dev:\n")
    replaced = bind_client_ids(result, "dev", {"orders-api": G1})
    assert replaced.endswith(f"    clientIds: {{orders-api: {G1}, reporting: {G1}}}  # pinned\n")


def test_flow_style_over_several_lines_with_a_trailing_comma():
    spec = HEADER + f"environments:\n  dev:\n    clientIds: {{\n      orders-api: {G2},\n    }}\n"
    result = bind_client_ids(spec, "dev", {"reporting": G1})
    assert result == spec.replace(f"{G2},", f"{G2}, reporting: {G1},")
    assert _client_ids(result, "dev") == {"orders-api": G2, "reporting": G1}


def test_empty_flow_mapping_and_flow_environment():
    spec = HEADER + "environments: {dev: {clientIds: {}}, prod: {cluster: {name: aks-prod}}}\n"
    dev = bind_client_ids(spec, "dev", {"reporting": G1})
    assert (
        dev
        == HEADER
        + f"environments: {{dev: {{clientIds: {{reporting: {G1}}}}}, prod: {{cluster: {{name: aks-prod}}}}}}\n"
    )
    prod = bind_client_ids(spec, "prod", {"reporting": G1})
    assert prod.endswith(f"prod: {{cluster: {{name: aks-prod}}, clientIds: {{reporting: {G1}}}}}}}\n")
    assert _client_ids(prod, "prod") == {"reporting": G1}


def test_quotes_of_a_replaced_value_are_kept():
    spec = (
        HEADER
        + f'environments:\n  dev:\n    clientIds:\n      "orders-api": \'{G2}\'\n      reporting: "{G2}"\n'
    )
    result = bind_client_ids(spec, "dev", {"orders-api": G1, "reporting": G1})
    assert result.endswith(f'      "orders-api": \'{G1}\'\n      reporting: "{G1}"\n')


def test_empty_environment_and_empty_client_ids():
    spec = HEADER + "environments:\n  dev:\n  prod:\n    clientIds:   # later\n  qa:\n    clientIds: null\n"
    dev = bind_client_ids(spec, "dev", {"orders-api": G1})
    assert dev == spec.replace("  dev:\n", f"  dev:\n    clientIds:\n      orders-api: {G1}\n")
    prod = bind_client_ids(spec, "prod", {"orders-api": G1})
    assert prod == spec.replace("# later\n", f"# later\n      orders-api: {G1}\n")
    qa = bind_client_ids(spec, "qa", {"orders-api": G1})
    assert qa == spec.replace("    clientIds: null\n", f"    clientIds: \n      orders-api: {G1}\n")


def test_empty_environments_block_means_the_default_environment():
    spec = HEADER + "environments: {}\n"
    result = bind_client_ids(spec, "default", {"reporting": G1})
    assert result == HEADER + f"environments: {{default: {{clientIds: {{reporting: {G1}}}}}}}\n"


def test_indentation_of_the_file_is_followed():
    spec = (
        "apiVersion: wlid/v1\nmetadata:\n    name: four\nidentities:\n    - name: orders-api\n"
        "environments:\n    dev:\n        cluster:\n            name: aks-dev\n"
    )
    result = bind_client_ids(spec, "dev", {"orders-api": G1})
    assert result == spec + f"        clientIds:\n            orders-api: {G1}\n"
    lab_like = "apiVersion: wlid/v1\nmetadata:\n    name: four\nidentities:\n    - name: orders-api\n"
    appended = bind_client_ids(lab_like, "default", {"orders-api": G1})
    assert (
        appended
        == lab_like + f"environments:\n    default:\n        clientIds:\n            orders-api: {G1}\n"
    )


def test_crlf_line_endings_are_kept():
    spec = PLATFORM.replace("\n", "\r\n")
    for env in ("dev", "prod", "staging"):
        result = bind_client_ids(spec, env, {"reporting": G1})
        assert "\n" not in result.replace("\r\n", "")
        assert _client_ids(result, env)["reporting"] == G1
    lab = bind_client_ids(LAB.replace("\n", "\r\n"), "default", {"myIdentity": G1})
    assert lab.endswith(f"environments:\r\n  default:\r\n    clientIds:\r\n      myIdentity: {G1}\r\n")


def test_no_final_newline_and_a_byte_order_mark():
    spec = "\ufeff" + PLATFORM.rstrip("\n")
    result = bind_client_ids(spec, "prod", {"reporting": G1})
    assert result == spec + f"\n    clientIds:\n      reporting: {G1}"
    lab = bind_client_ids(LAB.rstrip("\n"), "default", {"myIdentity": G1})
    assert lab == LAB + f"environments:\n  default:\n    clientIds:\n      myIdentity: {G1}\n"


def test_appended_before_a_document_end_marker():
    spec = "---\n" + LAB + "...\n# after the document\n"
    result = bind_client_ids(spec, "default", {"myIdentity": G1})
    assert (
        result
        == "---\n"
        + LAB
        + f"environments:\n  default:\n    clientIds:\n      myIdentity: {G1}\n"
        + "...\n# after the document\n"
    )


def test_comments_and_blank_lines_survive_in_the_styles_fixture():
    ids = {"worker": G1, "reports": G2, "cron-job": G1}
    for env in ("dev", "test", "qa", "uat", "perf", "stage", "prod"):
        result = bind_client_ids(STYLES, env, ids, "styles.yaml")
        may_change = {
            "dev": {_line_of(STYLES, '"worker":')},
            "test": {_line_of(STYLES, "clientIds: {api")},
            "qa": {_line_of(STYLES, "clientIds: {}")},
            "uat": {_line_of(STYLES, "uat:")},
            "stage": {_line_of(STYLES, "clientIds: ~")},
        }.get(env, set())
        _kept_in_order(STYLES, result, may_change)
        old = load_text(STYLES, "s").data["environments"][env] or {}
        _only_client_ids_changed(STYLES, result, env, {**(old.get("clientIds") or {}), **ids})
        assert bind_client_ids(result, env, ids) == result


# -- problems -------------------------------------------------------------------------------------


def test_unknown_identity_with_a_suggestion():
    with pytest.raises(SpecError) as caught:
        bind_client_ids(PLATFORM, "dev", {"order-api": G1, "billing": G2}, "specs/platform.yaml")
    first, second = caught.value.problems
    assert first.message == "no identity named 'order-api' (the spec declares 'orders-api', 'reporting')"
    assert first.hint == "did you mean 'orders-api'?"
    assert first.file == "specs/platform.yaml"
    assert first.mark == Mark(_line_of(PLATFORM, "identities:"), 1)
    assert second.message.startswith("no identity named 'billing'")
    assert "another spec" in second.hint


def test_unknown_environment_with_a_suggestion():
    with pytest.raises(SpecError) as caught:
        bind_client_ids(PLATFORM, "stagin", {"reporting": G1}, "specs/platform.yaml")
    (problem,) = caught.value.problems
    assert problem.message == "no environment named 'stagin' (the spec declares 'dev', 'staging', 'prod')"
    assert problem.hint == "did you mean 'staging'?"
    assert problem.mark == Mark(_line_of(PLATFORM, "environments:"), 1)
    assert problem.format().startswith(f"specs/platform.yaml:{problem.mark.line}:1: environments: ")


def test_default_is_not_an_environment_of_a_spec_that_declares_some():
    with pytest.raises(SpecError, match="no environment named 'default'"):
        bind_client_ids(PLATFORM, "default", {"reporting": G1})


def test_a_client_id_that_is_not_a_guid_is_the_callers_error():
    with pytest.raises(ValueError, match="not a GUID"):
        bind_client_ids(PLATFORM, "dev", {"reporting": "not-a-guid"})


def test_invalid_yaml_is_reported_with_its_line():
    with pytest.raises(SpecError) as caught:
        bind_client_ids(HEADER + "environments: [\n", "dev", {"reporting": G1}, "bad.yaml")
    (problem,) = caught.value.problems
    assert problem.message.startswith("not valid YAML")
    assert problem.file == "bad.yaml"
    assert problem.mark is not None


@pytest.mark.parametrize(
    ("tail", "message", "line"),
    [
        (
            f"x-ids: &ids {{reporting: {G2}}}\nenvironments:\n  dev:\n    clientIds: *ids\n",
            "alias (*ids)",
            17,
        ),
        (
            f"environments:\n  dev:\n    clientIds: &ids {{reporting: {G2}}}\n  prod:\n    clientIds: *ids\n",
            "anchor (&ids)",
            16,
        ),
        (
            f"environments:\n  dev:\n    clientIds:\n      reporting: &g {G2}\n      orders-api: *g\n",
            "anchor (&g)",
            17,
        ),
        ("environments:\n  dev:\n    clientIds: [a]\n", "must be a mapping", 16),
        ("environments:\n  dev: text\n", "must be a mapping", 15),
        ("environments:\n  dev:\n    clientIds:\n      reporting: {a: b}\n", "not a collection", 17),
    ],
)
def test_places_that_cannot_be_edited(tail: str, message: str, line: int):
    with pytest.raises(SpecError) as caught:
        bind_client_ids(HEADER + tail, "dev", {"reporting": G1}, "spec.yaml")
    (problem,) = caught.value.problems
    assert message in problem.message
    assert problem.file == "spec.yaml"
    assert problem.mark is not None and problem.mark.line == line


def test_an_unused_anchor_does_not_stop_the_edit():
    spec = HEADER + f"environments:\n  dev: &dev\n    clientIds:\n      reporting: &r {G2}\n"
    result = bind_client_ids(spec, "dev", {"reporting": G1, "orders-api": G1})
    assert result == spec.replace(f"&r {G2}\n", f"&r {G1}\n      orders-api: {G1}\n")


# -- property -------------------------------------------------------------------------------------

BASES = [
    (LAB, "default", ["myIdentity"]),
    (PLATFORM, "dev", ["orders-api", "reporting"]),
    (PLATFORM, "staging", ["orders-api", "reporting"]),
    (PLATFORM, "prod", ["orders-api", "reporting"]),
    *[
        (STYLES, env, ["api", "worker", "reports", "cron-job", "batch_1"])
        for env in ("dev", "test", "qa", "uat", "perf", "stage", "prod")
    ],
]


@st.composite
def _bindings(draw):
    text, env, names = draw(st.sampled_from(BASES))
    chosen = draw(st.lists(st.sampled_from(names), unique=True, max_size=len(names)))
    guids = draw(st.lists(st.uuids().map(str), min_size=len(chosen), max_size=len(chosen)))
    upper = draw(st.booleans())
    return text, env, {name: g.upper() if upper else g for name, g in zip(chosen, guids, strict=True)}


def _property_bind_then_parse(binding):
    text, env, ids = binding
    result = bind_client_ids(text, env, ids)
    environments = load_text(text, "s").data.get("environments") or {}
    old = (environments.get(env) or {}).get("clientIds") or {}
    expected = {**old, **{k: v.lower() for k, v in ids.items()}}
    if expected:
        _only_client_ids_changed(text, result, env, expected)
    else:
        assert result == text
    comments = [line for line in text.splitlines(keepends=True) if line.lstrip().startswith("#")]
    _kept_in_order("".join(comments), result)
    assert bind_client_ids(result, env, ids) == result


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_bindings())
def test_property_bind_then_parse(binding):
    _property_bind_then_parse(binding)


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_bindings())
def test_property_bind_then_parse_thoroughly(binding):
    _property_bind_then_parse(binding)


def test_an_edit_that_would_change_anything_else_is_refused(monkeypatch: pytest.MonkeyPatch):
    from wlid_render.spec import bind_text as bind

    real = bind.SpecText.result
    monkeypatch.setattr(bind.SpecText, "result", lambda self: real(self).replace("rg-small", "rg-other"))
    with pytest.raises(SpecError) as caught:
        bind_client_ids(HEADER, "default", {"reporting": G1}, "spec.yaml")
    (problem,) = caught.value.problems
    assert problem.message == "cannot add the client IDs to this file without changing something else"
    assert problem.hint == f"add them by hand under environments.default.clientIds: reporting: {G1}"
    assert problem.file == "spec.yaml"
