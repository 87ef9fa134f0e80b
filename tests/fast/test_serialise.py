"""The canonical serialisers: `to_yaml` and `to_json` give the bytes of their PyYAML / json references.

Parity of the speed code `fast.yaml_text` and `fast.json_text` with their plain equivalents:
`to_yaml` is written by `fast.yaml_text` and must equal `canonical_yaml` (PyYAML with libyaml and the
canonical options) byte for byte, and read back to the same values; what `yaml_text` leaves to PyYAML
(`Unsupported`) must still come out identical. `to_json` is written by `fast.json_text` and must equal
`json.dumps(value, indent=2, ensure_ascii=False)` plus a newline (`canonical_json`).

Examples per property: QUICK_EXAMPLES in the default run; WLID_SERIALISE_EXAMPLES (default 300) in the
thorough twins, marked slow (`python -m pytest -m slow`).
"""

from __future__ import annotations

import json
import math
import os
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wlid_render.emit.artifact import (
    canonical_json,
    canonical_yaml,
    to_json,
    to_yaml,
    to_yaml_documents,
)
from wlid_render.fast import json_text, yaml_text

EXAMPLES = int(os.environ.get("WLID_SERIALISE_EXAMPLES", "300"))  # the thorough twins (marked slow)
QUICK_EXAMPLES = 50  # the default run
PROPERTY = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
needs_libyaml = pytest.mark.skipif(not yaml_text.LIBYAML, reason="yaml_text writes what libyaml writes")

# Strings that YAML readers take for something else, or that cannot be written plain.
NASTY = [
    *("", " ", "  ", "a ", " a", "a  b", "a b c", "-", "--", "---", "--- a", "-a", "- a", "-1", "- -"),
    *("?", "? a", "?a", ":", ": a", ":a", "a:", "a: b", "a:b", "a::b", "http://x.y/z?q=1#f", "a :b"),
    *("#", "#a", "a#b", "a #b", "a# b", "...", "...a", ".", ".a", "a.", "'", "''", '"', "'a'", "a'b"),
    *("&a", "*a", "!a", "!!str", "|", "|-", ">", ">-", "%", "@", "`", ",", ",a", "a,b", "[", "]", "{"),
    *("}", "{}", "[]", "[a]", "{a: b}", "a[0]", "a{b}", "<<", "<", "=", "==", "~", "~a", "a~"),
    *("null", "Null", "NULL", "nULL", "true", "True", "TRUE", "tRUE", "false", "yes", "Yes", "YES"),
    *("no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF", "y", "Y", "n", "N", "yEs", "none"),
    *("0", "00", "007", "08", "09", "0o17", "0O17", "0x1F", "0X1F", "0b101", "0B101", "1_000", "+1"),
    *("-0", "1:20", "1:20:30", "190:20:30.15", "1:60", "1e3", "1E3", "1e+3", "1.5e-3", "1.", ".5", "1.5"),
    *("+0o17", "-0b1", "0B11", "1e3_0", "+_1", "1_", "0_x1F", "-0X_1f", "1_e3", "._5", "0x", "0o", "0b"),
    *("-.5", "+.5", "1_0.5", ".inf", "-.inf", "+.INF", ".Inf", ".nan", ".NaN", ".NAN", "inf", "nan"),
    *("2024-01-01", "2024-1-1", "2024-01-01T10:00:00Z", "2024-01-01 10:00:00", "2024-01-01t1"),
    *("2024-01-01\t10:00:00", "20240101", "1.2.3", "v1", "1.0.0-rc1", "0.1", "-", "+", "++", "--a"),
    *("\n", "a\nb", "a\n", "\na", "a\n\nb", "a \nb", "a\n b", "\n\n", "a\r\nb", "\r", "\t", "a\tb"),
    *("\x00", "\x07", "\x1b", "\x7f", "\x80", "\x85", "\x9f", "\xa0", "a\xa0", "\u2028", "\u2029"),
    *("\u200b", "\u202e", "\ufeff", "a\ufeff", "\ufffd", "\ufffe", "\uffff", "\ue000", "\ud7ff"),
    *("é", "ß", "日本語", "Ⱦ", "😀", "a😀", "\U0010ffff", "\U00010000", "\\", "\\n", "a\\b", '"a"'),
    *("${{ vars.AZURE_CLIENT_ID }}", "$(Build.SourcesDirectory)", "${env}", "$${x}", "k8s.io/name"),
    *("*", "**/*.yaml", "a*", "[[x]]", "[concat('a', 'b')]", "x=1", "a=b,c=d", "/", "./a", "~/a"),
]
TEXT_CHAR = st.one_of(
    st.sampled_from(NASTY), st.characters(codec="utf-8"), st.sampled_from(list(" :#-'\"\n"))
)
texts = st.one_of(
    st.sampled_from(NASTY),
    st.lists(TEXT_CHAR, max_size=8).map("".join),
    st.text(max_size=30),
    st.text(alphabet="ab :#-'\".", max_size=10),
)
long_texts = st.one_of(texts, st.integers(100, 3000).map(lambda n: ("word " * n)[:n]))
# Simple keys; longer ones and keys over several lines are complex keys, which PyYAML writes.
keys = texts.filter(
    lambda k: len(k.encode()) <= yaml_text.MAX_KEY_BYTES and not yaml_text._LINE_BREAK.search(k)
)
scalars = st.one_of(
    long_texts,
    st.integers(),
    st.integers(-(10**60), 10**60),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=False),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=25,
)
documents = st.one_of(st.dictionaries(keys, values, max_size=6), st.lists(values, max_size=6))


def _same_values(a: Any, b: Any) -> bool:
    """Equal, with floats compared by value (0.0 == -0.0 read back) and no NaN."""
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(_same_values(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(map(_same_values, a, b))
    return type(a) is type(b) and a == b


# -- YAML -----------------------------------------------------------------------------------------
def _yaml_is_the_reference_text_and_reads_back(value: Any) -> None:
    text = to_yaml(value)
    assert text == canonical_yaml(value)
    assert _same_values(yaml.safe_load(text), value)


@needs_libyaml
@settings(PROPERTY, max_examples=QUICK_EXAMPLES)
@given(documents)
def test_yaml_is_the_reference_text_and_reads_back(value: Any) -> None:
    _yaml_is_the_reference_text_and_reads_back(value)


@pytest.mark.slow
@needs_libyaml
@PROPERTY
@given(documents)
def test_yaml_is_the_reference_text_and_reads_back_thoroughly(value: Any) -> None:
    _yaml_is_the_reference_text_and_reads_back(value)


def _every_string_is_written_as_libyaml_writes_it(strings: list[str]) -> None:
    """As a value, a list item, a key and a nested value; one-line strings without PyYAML."""
    value = {"k": strings, "m": {"n": strings[0]}, **{s: i for i, s in enumerate(strings) if len(s) < 32}}
    assert to_yaml(value) == canonical_yaml(value)
    if not any(yaml_text._LINE_BREAK.search(s) for s in strings):
        assert yaml_text.dump(value) == canonical_yaml(value)


@needs_libyaml
@settings(PROPERTY, max_examples=QUICK_EXAMPLES)
@given(st.lists(texts, min_size=1, max_size=6))
def test_every_string_is_written_as_libyaml_writes_it(strings: list[str]) -> None:
    """As a value, a list item, a key and a nested value; one-line strings without PyYAML."""
    _every_string_is_written_as_libyaml_writes_it(strings)


@pytest.mark.slow
@needs_libyaml
@PROPERTY
@given(st.lists(texts, min_size=1, max_size=6))
def test_every_string_is_written_as_libyaml_writes_it_thoroughly(strings: list[str]) -> None:
    _every_string_is_written_as_libyaml_writes_it(strings)


@needs_libyaml
@pytest.mark.parametrize("text", NASTY)
def test_each_nasty_string_in_every_place(text: str) -> None:
    for value in (
        {"k": text},
        {"k": [text]},
        {"k": [[text]]},
        {"k": [{"k": text}]},
        {"k": {"k": text}},
        {text: 1},
        {text: {text: [text]}},
        [text],
        [{text: text}],
    ):
        assert to_yaml(value) == canonical_yaml(value), value
        assert yaml.safe_load(to_yaml(value)) == value


@needs_libyaml
@pytest.mark.parametrize(
    "value",
    [
        {},
        [],
        {"a": {}},
        {"a": []},
        [{}],
        [[]],
        [[], {}],
        {"a": [{}, [], {"b": {}}, [[]]]},
        {"a": [[[1, 2], [3]], [{"b": [{"c": []}]}]]},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "labels": {"a": "b"}}},
        {"spec": {"containers": [{"name": "app", "env": [{"name": "A", "value": "1"}], "ports": []}]}},
        {"int": 1, "neg": -1, "zero": 0, "big": 10**30, "t": True, "f": False, "none": None},
        {"float": 1.5, "exp": 1e20, "small": 1e-7, "neg": -0.0, "inf": float("inf"), "ninf": -math.inf},
        {"x" * 32: 1, "é" * 64: 2},  # keys of 32 characters and of 128 bytes stay simple keys
        {"nan": float("nan"), "list": [float("nan")]},
    ],
)
def test_examples(value: Any) -> None:
    assert yaml_text.dump(value) == canonical_yaml(value)


@needs_libyaml
@pytest.mark.parametrize(
    "value",
    [
        {"k": "line one\nline two"},  # single-quoted over several lines, indented
        [{"k": ["a\n\nb ", "x"]}],
        {"k" * 129: 1},  # longer than a simple key
        {"é" * 65: 1},  # 130 bytes
        {"a\nb": 1},
        {1: "a"},  # a key that is not a string
        {None: "a", True: 1, 1.5: 2},
        "a scalar root",
        7,
        None,
        {"k": "x" * (yaml_text.MAX_STRING + 1)},
        {"k": b"bytes"},  # !!binary
        {"k": {1, 2}},  # !!set
        {"k": (1, [2])},  # a tuple is written as a list
    ],
)
def test_what_yaml_text_leaves_to_pyyaml_is_still_identical(value: Any) -> None:
    with pytest.raises(yaml_text.Unsupported):
        yaml_text.dump(value)
    assert to_yaml(value) == canonical_yaml(value)


@needs_libyaml
def test_a_collection_that_appears_twice_gets_pyyaml_anchors() -> None:
    shared = {"a": 1}
    empty: list[Any] = []
    for value in ({"x": shared, "y": shared}, {"x": [empty, empty]}, [shared, [shared]]):
        with pytest.raises(yaml_text.Unsupported):
            yaml_text.dump(value)
        assert to_yaml(value) == canonical_yaml(value)
        assert "&id001" in to_yaml(value)


@pytest.mark.parametrize("value", [{"k": object()}, {"k": "\ud800"}, {"\udfff": 1}])
def test_values_pyyaml_refuses_are_refused_alike(value: Any) -> None:
    with pytest.raises(Exception) as reference:
        canonical_yaml(value)
    with pytest.raises(type(reference.value)):
        to_yaml(value)


@needs_libyaml
def test_documents_are_joined_with_a_separator() -> None:
    values = [{"a": 1}, {"b": ["c"]}, {}]
    assert to_yaml_documents(values) == "---\n".join(canonical_yaml(v) for v in values)
    assert to_yaml_documents(values) == "a: 1\n---\nb:\n- c\n---\n{}\n"


@needs_libyaml
def test_strings_other_readers_take_for_other_types_are_quoted() -> None:
    text = to_yaml({"a": ["yes", "on", "1e3", "0o17", "2024-01-01", "=", "<<", "null", "", "ok"]})
    assert (
        text
        == "a:\n- 'yes'\n- 'on'\n- '1e3'\n- '0o17'\n- '2024-01-01'\n- '='\n- '<<'\n- 'null'\n- ''\n- ok\n"
    )


# -- JSON -----------------------------------------------------------------------------------------
json_scalars = st.one_of(
    st.text(st.characters(codec="utf-8")),
    st.text(st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF) | st.characters(), max_size=5),
    st.sampled_from(NASTY),
    st.integers(),
    st.integers(-(10**300), 10**300),
    st.booleans(),
    st.none(),
    st.floats(),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.text(max_size=8) | st.sampled_from(NASTY), inner, max_size=4),
    ),
    max_leaves=30,
)


def _json_is_the_text_of_json_dumps(value: Any) -> None:
    assert to_json(value) == json.dumps(value, indent=2, ensure_ascii=False) + "\n"


@settings(PROPERTY, max_examples=QUICK_EXAMPLES)
@given(json_values)
def test_json_is_the_text_of_json_dumps(value: Any) -> None:
    _json_is_the_text_of_json_dumps(value)


@pytest.mark.slow
@PROPERTY
@given(json_values)
def test_json_is_the_text_of_json_dumps_thoroughly(value: Any) -> None:
    _json_is_the_text_of_json_dumps(value)


@pytest.mark.parametrize(
    "value",
    [
        {},
        [],
        "",
        0,
        None,
        {"a": {}, "b": [], "c": [{}, [], [[]], {"d": {}}]},
        {"$schema": "https://x/y#", "resources": [{"type": "a/b", "properties": {"n": 1.5, "t": True}}]},
        {"nan": float("nan"), "inf": float("inf"), "ninf": -math.inf, "neg0": -0.0, "big": 10**40},
        {"text": 'quote " backslash \\ newline \n tab \t nul \x00 del \x7f é 😀 \u2028 \ud800'},
    ],
)
def test_json_examples(value: Any) -> None:
    assert json_text.dump(value) == canonical_json(value)


@pytest.mark.parametrize("value", [{2: "a", None: 1, True: 2, 1.5: 3}, {"t": (1, [2])}, [1, (2,)]])
def test_what_json_text_leaves_to_json_dumps_is_still_identical(value: Any) -> None:
    with pytest.raises(json_text.Unsupported):
        json_text.dump(value)
    assert to_json(value) == canonical_json(value)


def test_json_refuses_what_json_dumps_refuses() -> None:
    cycle: list[Any] = []
    cycle.append(cycle)
    with pytest.raises(ValueError, match="Circular reference"):
        to_json({"a": cycle})
    with pytest.raises(TypeError):
        to_json({"a": object()})


def test_json_strings_use_the_encoder_of_json_dumps() -> None:
    """The function json.dumps uses for ensure_ascii=False, the C one when the interpreter has it."""
    assert json_text._encode is json.encoder.encode_basestring
    if json.encoder.c_encode_basestring is not None:
        assert json_text._encode is json.encoder.c_encode_basestring
