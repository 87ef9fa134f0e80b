"""Loading a spec: the values PyYAML reads, a mark for every node and key, and the problems found.

Values must equal `yaml.safe_load`; the mark of every value and of every mapping key must be the start
of its node in PyYAML's node graph (`yaml.compose`). Invalid documents are refused with every problem
(the cases under `cases/invalid/` pin the messages of whole specs; here the composer's own rules).

Examples per property: QUICK_EXAMPLES in the default run; WLID_LOAD_EXAMPLES (default 200) in the
thorough twin, marked slow (`python -m pytest -m slow`).
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import yaml
from conftest import ROOT
from generate import spec_text
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wlid_render import input_limits
from wlid_render.errors import Mark, Path, SpecError
from wlid_render.spec.load import Marks, load_text

try:
    from yaml import CSafeLoader as Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as Loader  # type: ignore[assignment]

EXAMPLES = int(os.environ.get("WLID_LOAD_EXAMPLES", "200"))  # the thorough twins (marked slow)
QUICK_EXAMPLES = 40  # the default run
PROPERTY = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def expected_marks(text: str) -> tuple[dict[Path, Mark], dict[Path, Mark]]:
    """Marks of every node and of every mapping key, from PyYAML's node graph."""
    marks: dict[Path, Mark] = {}
    key_marks: dict[Path, Mark] = {}
    todo: list[tuple[Path, yaml.Node]] = [((), yaml.compose(text, Loader=Loader))]
    while todo:
        path, node = todo.pop()
        marks[path] = Mark(node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                key_marks[(*path, key.value)] = Mark(key.start_mark.line + 1, key.start_mark.column + 1)
                todo.append(((*path, key.value), value))
        elif isinstance(node, yaml.SequenceNode):
            todo.extend(((*path, index), item) for index, item in enumerate(node.value))
    return marks, key_marks


def assert_loads_like_pyyaml(text: str) -> None:
    source = load_text(text, "spec.yaml")
    assert source.data == yaml.load(text, Loader=Loader)
    marks, key_marks = expected_marks(text)
    # paths of up to two steps are answered from the first pass, before anything composes them all
    for path, mark in marks.items():
        if len(path) <= 2:
            assert source.marks.get(path) == mark, path
    for path, mark in key_marks.items():
        if len(path) <= 2:
            assert source.key_marks[path] == mark, path
    assert dict(source.marks) == marks
    assert dict(source.key_marks) == key_marks


# Values a spec can hold: strings of every kind (written quoted when they must be), numbers within
# the digit limit, booleans, nulls; nested well within the depth limit; no shared objects.
texts = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["yes", "no", "on", "null", "~", "1e3", "0x1F", "12:30", "2024-01-01", "<<", "=", "- a"]),
    st.sampled_from(["a: b", "#", " #", "'", '"', "\n", "a\nb", "\t", "é", "😀", "", " ", "${env}"]),
)
scalars = st.one_of(
    texts, st.integers(-(10**30), 10**30), st.booleans(), st.none(), st.floats(allow_nan=False)
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(texts, inner, max_size=4)),
    max_leaves=20,
)
specs = st.dictionaries(texts, values, min_size=1, max_size=6)
styles = st.sampled_from(
    [
        {"default_flow_style": False},
        {"default_flow_style": True},
        {"default_flow_style": None},
        {"default_flow_style": False, "indent": 4, "allow_unicode": True},
        {"default_flow_style": None, "width": 20, "allow_unicode": True},
        {"default_flow_style": False, "default_style": '"'},
        {"default_flow_style": False, "default_style": "'", "explicit_start": True},
    ]
)


def _values_and_marks_are_those_of_pyyaml(spec: dict[str, Any], style: dict[str, Any]) -> None:
    assert_loads_like_pyyaml(yaml.safe_dump(spec, sort_keys=False, **style))


@settings(PROPERTY, max_examples=QUICK_EXAMPLES)
@given(specs, styles)
def test_values_and_marks_are_those_of_pyyaml(spec: dict[str, Any], style: dict[str, Any]) -> None:
    _values_and_marks_are_those_of_pyyaml(spec, style)


@pytest.mark.slow
@PROPERTY
@given(specs, styles)
def test_values_and_marks_are_those_of_pyyaml_thoroughly(spec: dict[str, Any], style: dict[str, Any]) -> None:
    _values_and_marks_are_those_of_pyyaml(spec, style)


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\n",
        "a:\n  b: [1, 2, {c: d}]\n  e:\n  - f\n  - - g\n    - h\n",
        "a: {b: [], c: {}}\n'q': \"d\"\n? e\n: f\n",
        "a: |\n  literal\n  text\nb: >\n  folded\n  text\nc: !!str 1\nd: ! 2\n",
        "%YAML 1.1\n---\na: [1, 1.5, .inf, -.inf, 0x1F, 0o17, 017, 1_000, 12:30, yes, ~, '', \"\"]\n...\n",
        "\ufeffa: 1\n",  # a byte order mark is dropped, marks count from the text after it
        "# comment\n\n  a:   1   # comment\n  b:\n    - c\n",
    ],
)
def test_examples_load_like_pyyaml(text: str) -> None:
    assert_loads_like_pyyaml(text.removeprefix("\ufeff"))
    assert load_text(text, "spec.yaml") == load_text(text.removeprefix("\ufeff"), "spec.yaml")


def test_a_large_spec_loads_like_pyyaml() -> None:
    assert_loads_like_pyyaml(spec_text(200))


def test_an_alias_is_marked_where_it_is_used() -> None:
    source = load_text("a: &x [1, 2]\nb: *x\nc:\n- *x\n", "spec.yaml")
    assert source.data == {"a": [1, 2], "b": [1, 2], "c": [[1, 2]]}
    assert source.marks[("a",)] == Mark(1, 4)
    assert source.marks[("b",)] == Mark(2, 4)
    assert source.marks[("c", 0)] == Mark(4, 3)
    assert source.key_marks[("c",)] == Mark(3, 1)


def test_marks_is_a_read_only_mapping_of_marks() -> None:
    marks = Marks({("a",): (2, 3), (): (1, 1)})
    assert marks[("a",)] == Mark(2, 3)
    assert marks.get(("a",)) == Mark(2, 3)
    assert marks.get(("b",)) is None
    assert marks.get(("b",), Mark(9, 9)) == Mark(9, 9)
    assert ("a",) in marks and ("b",) not in marks
    assert len(marks) == 2 and list(marks) == [("a",), ()]
    assert marks == {("a",): Mark(2, 3), (): Mark(1, 1)}
    assert {**marks, ("b",): Mark(5, 5)}[("a",)] == Mark(2, 3)
    with pytest.raises(KeyError):
        marks[("b",)]


def _problems(text: str) -> list[tuple[str, Path, tuple[int, int] | None, str]]:
    with pytest.raises(SpecError) as caught:
        load_text(text, "spec.yaml")
    return [
        (p.message, p.path, p.mark and (p.mark.line, p.mark.column), p.hint) for p in caught.value.problems
    ]


DUPLICATE = "each key may appear once in a mapping"
PLAIN = "write it as a plain string (quote it)"
TAB = "not valid YAML: a tab is used for indentation (YAML indents with spaces only)"


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        (
            "a: 1\nb:\n  c: 2\n  c: 3\n",
            [("duplicate key 'c' (first defined at line 3)", ("b", "c"), (4, 3), DUPLICATE)],
        ),
        ("a: 1\n<<: {b: 2}\n", [("YAML merge keys (<<) are not supported", (), (2, 1), "")]),
        (
            "a: [1, 2]\n? [x]\n: 1\n? {y: 1}\n: 2\n1: x\n",
            [("mapping keys must be strings", (), at, "") for at in ((2, 3), (4, 3), (6, 1))],
        ),
        ("a: &x [1]\nb: [*x, *x]\nc: *y\n", [("unknown YAML alias *y", ("c",), (3, 4), "")]),
        ("a: &x {b: *x}\n", [("the YAML alias *x refers to itself", ("a", "b"), (1, 11), "")]),
        (
            "a: !!binary aGk=\n",
            [("unsupported YAML tag or value form !!binary ('aGk=')", ("a",), (1, 4), PLAIN)],
        ),
        (
            "a:\n- !custom 1\n",
            [("unsupported YAML tag or value form !custom ('1')", ("a", 0), (2, 3), PLAIN)],
        ),
        (
            "a: [!!set {}]\n",
            [("unsupported YAML tag tag:yaml.org,2002:set", ("a", 0), (1, 5), "remove the tag")],
        ),
        (
            "a: !!int x\n",
            [("cannot read the value 'x': invalid literal for int() with base 10: 'x'", ("a",), (1, 4), "")],
        ),
        (
            "a: 2024-01-01\n",
            [("unsupported YAML tag or value form !!timestamp ('2024-01-01')", ("a",), (1, 4), PLAIN)],
        ),
        ("a: " + "1" * 101 + "\n", [("a number with too many digits", ("a",), (1, 4), "quote it")]),
        (
            "a: 1\n---\nb: 2\n",
            [("the file holds more than one YAML document", (), (2, 1), "put one spec per file")],
        ),
        ("- a\n", [("the spec must be a YAML mapping (key: value)", (), (1, 1), "")]),
        ("", [("the file is empty", (), (1, 1), "")]),
        (
            "a: [\n",
            [
                (
                    "not valid YAML: this '[' is never closed: at line 2, column 1 YAML expected ',' or ']' "
                    "and found the end of the file",
                    (),
                    (1, 4),
                    "add the missing ']'",
                )
            ],
        ),
        (
            "a: [1, {x: 2]\n",
            [
                (
                    "not valid YAML: this '{' is never closed: at line 1, column 13 YAML expected ',' or '}' "
                    "and found ']'",
                    (),
                    (1, 8),
                    "add the missing '}'",
                )
            ],
        ),
        (
            "a: {x: 1,\n",
            [
                (
                    "not valid YAML: this '{' is never closed: at line 2, column 1 YAML expected ',' or '}' "
                    "and found the end of the file",
                    (),
                    (1, 4),
                    "add the missing '}'",
                )
            ],
        ),
        ("a:\n\tb: 1\n", [(TAB, (), (2, 1), "replace the tab with spaces")]),
        ("a:\n  b:\n  \t  c: 1\n", [(TAB, (), (3, 3), "replace the tab with spaces")]),
        (
            "a: 'x\nb: 2\n",
            [
                (
                    "not valid YAML: this quoted string is never closed (the file ends inside it)",
                    (),
                    (1, 4),
                    "end it with the same quote it starts with",
                )
            ],
        ),
        ("a: b: c\n", [("not valid YAML: mapping values are not allowed in this context", (), (1, 5), "")]),
        ("a: \x07\n", [("not valid YAML: control characters are not allowed (character 7)", (), (1, 4), "")]),
    ],
)
def test_problems(text: str, problems: list[tuple[str, Path, tuple[int, int] | None, str]]) -> None:
    assert _problems(text) == problems


def test_budgets() -> None:
    deep = "a: " + "[" * (input_limits.YAML_MAX_DEPTH + 1) + "]" * (input_limits.YAML_MAX_DEPTH + 1) + "\n"
    assert _problems(deep)[0][:3] == (
        f"the spec nests deeper than {input_limits.YAML_MAX_DEPTH} levels",
        ("a", *([0] * (input_limits.YAML_MAX_DEPTH - 1))),
        (1, 3 + input_limits.YAML_MAX_DEPTH),  # the root mapping is the first level
    )
    aliases = "a: &a 1\n" + "".join(f"b{i}: *a\n" for i in range(input_limits.YAML_ALIAS_BUDGET + 1))
    assert _problems(aliases)[0][:3] == (
        f"too many YAML aliases (more than {input_limits.YAML_ALIAS_BUDGET})",
        (f"b{input_limits.YAML_ALIAS_BUDGET}",),
        (input_limits.YAML_ALIAS_BUDGET + 2, len(f"b{input_limits.YAML_ALIAS_BUDGET}") + 3),
    )
    many = input_limits.YAML_EXPANSION_BUDGET // 2
    expansion = f"a: &a [{', '.join(['1'] * many)}]\nb: *a\nc: *a\n"
    assert _problems(expansion)[0][:3] == (
        f"YAML aliases expand to more than {input_limits.YAML_EXPANSION_BUDGET} values",
        ("c",),
        (3, 4),
    )


def test_a_duplicate_key_names_the_first_definition_even_after_another_duplicate() -> None:
    text = "a:\n  c: 2\n  b: 1\n  b:\n    c: 1\n  c: 3\n"
    with pytest.raises(SpecError) as caught:
        load_text(text, "x.yaml")
    found = [(p.message, p.mark) for p in caught.value.problems]
    assert found == [
        ("duplicate key 'b' (first defined at line 3)", Mark(4, 3)),
        ("duplicate key 'c' (first defined at line 2)", Mark(6, 3)),  # not line 5, inside the second b
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: !!map x\n", "unsupported YAML tag or value form !!map ('x')"),
        ("a: !!map\n", "unsupported YAML tag or value form !!map ('')"),
        ("a: !!seq x\n", "unsupported YAML tag or value form !!seq ('x')"),
        ("a: !!str [1]\n", "the tag !!str does not fit a sequence"),
        ("a: !!seq {b: 1}\n", "the tag !!seq does not fit a mapping"),
        ("a: !!int {b: 1}\n", "the tag !!int does not fit a mapping"),
    ],
)
def test_a_tag_that_does_not_fit_its_node_is_refused(text: str, message: str) -> None:
    """PyYAML's constructor would give an empty value or a list silently: wlid says so."""
    with pytest.raises(SpecError) as caught:
        load_text(text, "x.yaml")
    assert [p.message for p in caught.value.problems] == [message]


def test_fitting_tags_are_kept() -> None:
    assert load_text("a: !!map {b: 1}\nc: !!seq [1]\nd: !!str x\n", "x.yaml").data == {
        "a": {"b": 1},
        "c": [1],
        "d": "x",
    }


def test_deep_marks_are_composed_only_when_a_deep_path_is_looked_up(monkeypatch: pytest.MonkeyPatch) -> None:
    import wlid_render.spec.load as load

    passes: list[bool] = []
    real = load._composed

    def counting(text: str, file: str, track: bool) -> Any:
        passes.append(track)
        return real(text, file, track)

    monkeypatch.setattr(load, "_composed", counting)
    text = (ROOT / "specs" / "multi-env.yaml").read_text("utf-8")
    source = load_text(text, "spec.yaml")
    assert passes == [False]
    # paths of up to two steps (what warnings point at) are there from the first pass
    assert source.marks[("environments", "prod")] == Mark(text.splitlines().index("  prod:") + 2, 5)
    assert source.key_marks[("environments", "prod")] == Mark(text.splitlines().index("  prod:") + 1, 3)
    assert source.marks.get(("workloads", 0)) is not None
    assert passes == [False]
    line = next(i for i, s in enumerate(text.splitlines(), 1) if s.strip().startswith("LOG_LEVEL:"))
    assert source.marks[("workloads", 0, "containers", 0, "env", "LOG_LEVEL")].line == line
    assert passes == [False, True]
    assert source.key_marks[("workloads", 0, "containers", 0, "env", "LOG_LEVEL")].line == line
    assert passes == [False, True]  # both maps come from the one composition with marks


def test_a_problem_found_without_marks_is_located() -> None:
    """The first pass records no deep marks; a problem there composes again, with them."""
    text = "workloads:\n- name: a\n  containers:\n  - name: c\n    env: {A: 1, A: 2}\n"
    with pytest.raises(SpecError) as raised:
        load_text(text, "spec.yaml")
    (problem,) = raised.value.problems
    assert problem.path == ("workloads", 0, "containers", 0, "env", "A")
    assert (problem.mark.line, problem.mark.column) == (5, 17)
    assert "first defined at line 5" in problem.message


class _LimitedLoader(yaml.SafeLoader):
    """PyYAML's pure-Python parser with a nesting limit of LIMIT levels, read ahead as libyaml 0.2.6 does:
    the limit stops the first event when the text nests deeper anywhere in its first 1,024 characters."""

    LIMIT = 100

    def __init__(self, text: str) -> None:
        super().__init__(text)
        depth = 0
        for index, char in enumerate(text[:1024]):
            depth += char in "[{"
            if depth > self.LIMIT:
                mark = yaml.Mark("<unicode string>", index, 0, index, None, None)
                self.limit_error = yaml.scanner.ScannerError(
                    "while increasing flow level", mark, "exceeded maximum nesting depth", mark
                )
                break
        else:
            self.limit_error = None

    def get_event(self) -> Any:
        if self.limit_error is not None:
            raise self.limit_error
        return super().get_event()


DEEP = "a: " + "[" * 500 + "]" * 500 + "\n"


def test_a_library_limit_on_nesting_is_reported_as_wlids_own_at_the_level_it_passes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A YAML library that stops deep nesting itself (libyaml 0.2.6 at 1,000 levels, reading far ahead)
    must not change the report: the same words at the same place as with a library without a limit."""
    from wlid_render.spec import load

    expected = _problems(DEEP)
    assert expected[0][0] == f"the spec nests deeper than {input_limits.YAML_MAX_DEPTH} levels"
    assert expected[0][2] == (1, 3 + input_limits.YAML_MAX_DEPTH)
    monkeypatch.setattr(load, "_Loader", _LimitedLoader)
    assert _problems(DEEP) == expected


def test_when_every_parser_stops_first_the_limit_is_still_said_in_wlids_words(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from wlid_render.spec import load

    monkeypatch.setattr(load, "_Loader", _LimitedLoader)
    monkeypatch.setattr(yaml, "SafeLoader", _LimitedLoader)
    assert _problems(DEEP) == [
        (f"the spec nests deeper than {input_limits.YAML_MAX_DEPTH} levels", (), (1, 104), "a spec needs about ten")
    ]
