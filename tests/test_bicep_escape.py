"""Bicep escaping: strings, identifiers, keys and JSON values, checked against tree-sitter-bicep's reading."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wlid_render.emit.bicep_escape import (
    BicepText,
    bicep_ident,
    bicep_json,
    bicep_key,
    bicep_string,
    bicep_value,
    escaped_body,
)
from wlid_render.validate.bicep_syntax import (
    NotALiteral,
    decode_string,
    first_syntax_problem,
    named,
    parse,
)

pytest.importorskip("tree_sitter")
pytest.importorskip("tree_sitter_bicep")

# -- escaping --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "literal"),
    [
        ("it's", r"'it\'s'"),
        ("C:\\temp", r"'C:\\temp'"),
        ("ends with \\", r"'ends with \\'"),
        ("${x}", r"'\${x}'"),
        ("$x {y} $", "'$x {y} $'"),
        ("$${", r"'$\${'"),
        ("\\${", r"'\\\${'"),
        ("a\nb\r\tc", r"'a\nb\r\tc'"),
        ("bell\x07 nul\x00 del\x7f", r"'bell\u{07} nul\u{00} del\u{7F}'"),
        ("line\u2028sep", r"'line\u{2028}sep'"),
        ("''", r"'\'\''"),
        ("", "''"),
        ("é😀", "'é😀'"),
        # tree-sitter-bicep reads `//` and `/*` opening a string segment as a comment
        ("//x", r"'\u{2F}/x'"),
        ("/*x*/", r"'\u{2F}*x*/'"),
        ("a//b $//c \n//d", r"'a//b $\u{2F}/c \n\u{2F}/d'"),
        ("///", r"'\u{2F}\u{2F}/'"),
        ("https://host/", "'https://host/'"),
    ],
)
def test_bicep_string(text: str, literal: str) -> None:
    out = bicep_string(text)
    assert out == literal
    assert isinstance(out, BicepText)


def _bicep_string_fast_path_agrees_with_the_escape_of_every_character(text: str) -> None:
    assert bicep_string(text) == "'" + escaped_body(text) + "'"


@settings(max_examples=100, deadline=None)
@given(st.text(st.sampled_from("ab/*${}# \\'\n\u2028") | st.characters(blacklist_categories=("Cs",))))
def test_bicep_string_fast_path_agrees_with_the_escape_of_every_character(text: str) -> None:
    _bicep_string_fast_path_agrees_with_the_escape_of_every_character(text)


@pytest.mark.slow
@settings(max_examples=500, deadline=None)
@given(st.text(st.sampled_from("ab/*${}# \\'\n\u2028") | st.characters(blacklist_categories=("Cs",))))
def test_bicep_string_fast_path_agrees_with_the_escape_of_every_character_thoroughly(text: str) -> None:
    _bicep_string_fast_path_agrees_with_the_escape_of_every_character(text)


def test_bicep_string_rejects_non_text() -> None:
    with pytest.raises(TypeError):
        bicep_string(1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="surrogate"):
        bicep_string("\ud800")


@pytest.mark.parametrize("name", ["a", "_x", "identity_my_id_2", "A9"])
def test_bicep_ident_accepts(name: str) -> None:
    assert bicep_ident(name) == name and isinstance(bicep_ident(name), BicepText)


@pytest.mark.parametrize("name", ["", "9a", "a-b", "a b", "a.b", "é", "a\n", 3])
def test_bicep_ident_rejects(name: Any) -> None:
    with pytest.raises(ValueError, match="identifier"):
        bicep_ident(name)


def test_bicep_key() -> None:
    assert bicep_key("myIdentity") == "myIdentity" and isinstance(bicep_key("a"), BicepText)
    assert bicep_key("api-reader") == "'api-reader'"
    assert bicep_key("1a") == "'1a'"
    assert bicep_key("it's") == r"'it\'s'"


def test_bicep_json_and_value() -> None:
    assert (bicep_json(True), bicep_json(False), bicep_json(42), bicep_json(-1), bicep_json(None)) == (
        "true",
        "false",
        "42",
        "-1",
        "null",
    )
    for wrong in ("true", 1.5, [1], {"a": 1}):
        with pytest.raises(TypeError):
            bicep_json(wrong)  # type: ignore[arg-type]
    assert bicep_value("x'") == r"'x\''" and bicep_value(True) == "true"


ALPHABET = st.one_of(
    st.sampled_from(
        [
            *("'", "\\", "$", "{", "}", "${", "\n", "\r", "\t", "\x00", "\x7f", "\u2028"),
            *("'''", "#", "/", "*", "//", "/*"),
        ]
    ),
    st.characters(codec="utf-8"),
)


def _bicep_string_round_trips_through_the_parser(text: str) -> None:
    literal = bicep_string(text)
    source = f"var s = {literal}\n"
    assert first_syntax_problem(source) is None, source
    (decl,) = named(parse(source))
    assert decl.type == "variable_declaration"
    value = named(decl)[-1]
    assert value.type == "string"
    assert decode_string(value) == text


@settings(max_examples=60, deadline=None)
@given(st.lists(ALPHABET, max_size=30).map("".join))
def test_bicep_string_round_trips_through_the_parser(text: str) -> None:
    _bicep_string_round_trips_through_the_parser(text)


@pytest.mark.slow
@settings(max_examples=400, deadline=None)
@given(st.lists(ALPHABET, max_size=30).map("".join))
def test_bicep_string_round_trips_through_the_parser_thoroughly(text: str) -> None:
    _bicep_string_round_trips_through_the_parser(text)


def test_the_decoder_rejects_what_bicep_rejects() -> None:
    for source in (r"var s = 'a\x41'", r"var s = 'a\a'", "var s = 'a${b}'", "var s = '/*x*/'"):
        (decl,) = named(parse(source + "\n"))
        with pytest.raises(NotALiteral):
            decode_string(named(decl)[-1])


