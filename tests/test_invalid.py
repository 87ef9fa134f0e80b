"""Every bad-input case: exit 2, FILE:LINE:COL, the expected message, no traceback, nothing written.

A committed case is a spec under `cases/invalid/` whose first lines say what it expects:

    # expect: TEXT      (one or more) text that stderr must contain
    # at: LINE[:COL]    (optional) where the first problem must be reported

A file that starts with a UTF-16 byte order mark is read as UTF-16 for these lines. Cases too big or
too deep to commit (10 MiB, 10,000 nesting levels) are built at run time into a temporary folder
(GENERATED). A case that shows a known bug is listed in KNOWN_BUGS and marked xfail(strict=True): when
the bug is fixed the test passes unexpectedly, which fails the run; remove the entry then (and run
`pytest --snapshot-update` to record the new message).

The same cases also run into an OUT that holds an earlier valid rendering, which must stay
byte-identical with unchanged mtimes.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from conftest import LAB_SPEC

from wlid_render.cli import main
from wlid_render.errors import SpecError
from wlid_render.workflow.pipeline import render_file

CASES_DIR = Path(__file__).parent / "cases" / "invalid"
CASES = sorted(CASES_DIR.glob("*.yaml"))
SPECIAL = {"empty": "the file is empty"}  # a file that cannot hold an expect line
MAX_STDERR = 64 * 1024  # an error report does not grow with the input
# What must never reach a terminal or a CI log raw: C0 and C1 controls, DEL, Unicode line separators.
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
CONTROL_IN_PROBLEM = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")  # one problem is one line

MIB = 1024 * 1024
SPEC_HEAD = """apiVersion: wlid/v1
kind: WorkloadIdentitySpec
metadata:
  name: bad
azure:
  subscriptionId: 11111111-1111-1111-1111-111111111111
  resourceGroup: rg-bad
  location: eastus
cluster:
  name: aks-bad
"""
SPEC_BODY = "identities:\n  - name: myIdentity\nserviceAccounts:\n  - name: sa\n    identity: myIdentity\n"
VALID_SPEC = SPEC_HEAD + SPEC_BODY  # 15 lines


@dataclass(frozen=True)
class Bug:
    reason: str
    exits_cleanly: bool = False  # still exit 2 with nothing written: only the report is wrong


# Cases that show a bug not fixed yet: name -> Bug, marked xfail(strict=True) (see the module docstring).
KNOWN_BUGS: dict[str, Bug] = {}


# -- generated cases ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Generated:
    build: Callable[[], bytes]
    expects: tuple[str, ...] = ()
    at: str | None = None
    isolated: bool = False  # run in a child process: it may kill the interpreter
    heavy: bool = False  # seconds to run: not repeated for the OUT variant
    slow: bool = False  # a second or more per run: marked slow (python -m pytest -m slow)


def _valid_with(extra: str) -> bytes:
    return (VALID_SPEC + extra).encode()


GENERATED: dict[str, Generated] = {
    "ten-megabytes": Generated(
        lambda: VALID_SPEC.replace("  name: bad\n", "  name: " + "a" * (10 * MIB) + "\n").encode(),
        (
            "metadata.name: spec name (lower-case letters, digits and '-'): at most 40 characters, got 10485760",
        ),
        at="4:9",
        slow=True,
    ),
    "ten-megabytes-identity-name": Generated(
        lambda: VALID_SPEC.replace("  - name: myIdentity", "  - name: " + "i" * (10 * MIB)).encode(),
        ("identities[0].name: ",),
        at="12:11",
        slow=True,
    ),
    "ten-megabytes-api-version": Generated(
        lambda: VALID_SPEC.replace("wlid/v1", "v" * (10 * MIB)).encode(),
        ("apiVersion: must be 'wlid/v1'",),
        at="1:13",
        slow=True,
    ),
    "too-many-nodes": Generated(
        lambda: _valid_with("x-many: [" + ",".join(["a"] * 500_001) + "]\n"),
        ("the document is too large",),
        at="16",
        heavy=True,
        slow=True,
    ),
    "deep-lists-400": Generated(
        lambda: _valid_with("x-deep: " + "[" * 400 + "]" * 400 + "\n"),
        ("the spec nests deeper than 64 levels",),
        at="16",
    ),
    # libyaml's composer recurses in C: with a small stack even 10,000 levels could kill pytest itself.
    "deep-lists": Generated(
        lambda: _valid_with("x-deep: " + "[" * 10_000 + "]" * 10_000 + "\n"),
        ("the spec nests deeper than 64 levels",),
        at="16",
        isolated=True,
    ),
    "deep-maps": Generated(
        lambda: _valid_with("x-deep: " + "{a: " * 10_000 + "b" + "}" * 10_000 + "\n"),
        ("the spec nests deeper than 64 levels",),
        at="16",
        isolated=True,
    ),
    "deep-block-mappings": Generated(
        lambda: _valid_with(
            "x-deep:\n" + "".join("  " * (i + 1) + "a:\n" for i in range(600)) + "  " * 601 + "b\n"
        ),
        ("the spec nests deeper than 64 levels",),
    ),
    "deep-lists-crash": Generated(
        lambda: _valid_with("x-deep: " + "[" * 100_000 + "]" * 100_000 + "\n"),
        ("the spec nests deeper than 64 levels",),
        at="16",
        isolated=True,
        slow=True,
    ),
}


@dataclass(frozen=True)
class Case:
    name: str
    expects: tuple[str, ...]
    at: str | None
    isolated: bool = False
    heavy: bool = False
    slow: bool = False
    path: Path | None = None  # committed; generated cases are written on first use


def _header_text(path: Path) -> str:
    raw = path.read_bytes()
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return raw.decode("utf-16")
    return raw.decode("utf-8", errors="replace")


def _committed(path: Path) -> Case:
    if path.stem in SPECIAL:
        return Case(path.stem, (SPECIAL[path.stem],), None, path=path)
    lines = _header_text(path).splitlines()
    expects = tuple(line.removeprefix("# expect: ") for line in lines if line.startswith("# expect: "))
    at = next((line.removeprefix("# at: ") for line in lines if line.startswith("# at: ")), None)
    return Case(path.stem, expects, at, path=path)


ALL_CASES = [_committed(p) for p in CASES] + [
    Case(name, g.expects, g.at, g.isolated, g.heavy, g.slow) for name, g in GENERATED.items()
]


def _params(out_variant: bool = False, slow: bool = False) -> list:
    """The cases as parameters; for the snapshot test, the slow ones (`slow`) or the others, so that each
    has its own test function (a snapshot update of the default run then keeps the slow ones' messages)."""
    params = []
    for case in ALL_CASES:
        if out_variant and case.heavy:
            continue
        if not out_variant and case.slow != slow:
            continue
        bug = KNOWN_BUGS.get(case.name)
        marks = [pytest.mark.slow] if case.slow else []
        if bug is not None and not (out_variant and bug.exits_cleanly):
            marks.append(pytest.mark.xfail(strict=True, reason=bug.reason))
        params.append(pytest.param(case, id=case.name, marks=marks))
    return params


@pytest.fixture(scope="session")
def case_file(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Case], Path]:
    folder = tmp_path_factory.mktemp("generated-invalid")
    made: dict[str, Path] = {}

    def path_of(case: Case) -> Path:
        if case.path is not None:
            return case.path
        if case.name not in made:
            target = folder / f"{case.name}.yaml"
            target.write_bytes(GENERATED[case.name].build())
            made[case.name] = target
        return made[case.name]

    return path_of


# -- running --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Run:
    exit_code: int
    stderr: str
    crash: str  # a traceback or signal, "" when wlid exited on its own terms


def _render(case: Case, spec: Path, out: Path) -> Run:
    args = ["render", str(spec), "-o", str(out)]
    if case.isolated:
        env = {**os.environ, "PYTHONUTF8": "1"}
        proc = subprocess.run(
            [sys.executable, "-m", "wlid_render", *args],
            capture_output=True,
            encoding="utf-8",
            errors="replace",
            env=env,
            timeout=300,
        )
        crash = proc.stderr if "Traceback" in proc.stderr else ""
        if proc.returncode < 0:
            crash = f"killed by signal {-proc.returncode}\n{crash}"
        return Run(proc.returncode, proc.stderr, crash)
    result = CliRunner().invoke(main, args)
    crash = ""
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        crash = "".join(traceback.format_exception(result.exception))[-4000:]
    return Run(result.exit_code, result.stderr, crash)


def _check_library_problems(spec: Path) -> None:
    """Every problem the library reports is located in the spec and prints on one line."""
    with pytest.raises(SpecError) as raised:
        render_file(str(spec))
    for problem in raised.value.problems:
        text = problem.format()
        assert problem.file == str(spec), text
        assert problem.mark is not None, f"unlocated: {text}"
        assert not CONTROL_IN_PROBLEM.search(text), f"raw control character in: {text!r}"


def _check_location(spec: Path, first_line: str, at: str | None) -> None:
    match = re.match(rf"{re.escape(str(spec))}:(\d+):(\d+): ", first_line)
    assert match, f"the first line is not FILE:LINE:COL: {first_line[:300]!r}"
    if at is not None:
        got = f"{match[1]}:{match[2]}" if ":" in at else match[1]
        assert got == at, f"reported at {match[1]}:{match[2]}, expected {at}"


def test_there_is_a_case_for_every_rule():
    assert len(CASES) >= 45
    for case in ALL_CASES:
        assert case.expects or case.name in GENERATED, f"{case.name} says what it expects in '# expect: '"
    assert set(KNOWN_BUGS) <= {case.name for case in ALL_CASES}


@pytest.mark.parametrize("case", _params())
def test_invalid_spec(case: Case, case_file: Callable[[Case], Path], tmp_path: Path, snapshot):
    _check_invalid_spec(case, case_file, tmp_path, snapshot)


@pytest.mark.parametrize("case", _params(slow=True))
def test_large_invalid_spec(case: Case, case_file: Callable[[Case], Path], tmp_path: Path, snapshot):
    _check_invalid_spec(case, case_file, tmp_path, snapshot)


def _check_invalid_spec(case: Case, case_file: Callable[[Case], Path], tmp_path: Path, snapshot) -> None:
    spec = case_file(case)
    out = tmp_path / "out"
    run = _render(case, spec, out)
    assert not run.crash, run.crash
    assert run.exit_code == 2, run.stderr[:2000]
    stderr = run.stderr
    assert len(stderr) <= MAX_STDERR, f"{len(stderr)} characters on stderr: {stderr[:300]!r}..."
    assert "Traceback" not in stderr
    assert not CONTROL.search(stderr), f"raw control character on stderr: {stderr!r}"
    for text in case.expects:
        assert text in stderr
    _check_location(spec, stderr.splitlines()[0], case.at)
    assert not out.exists(), "an invalid spec writes nothing"
    if not case.isolated:
        _check_library_problems(spec)
    if case.name not in KNOWN_BUGS:  # a fixed bug records its new message with --snapshot-update
        assert stderr.replace(str(spec.parent), "CASES") == snapshot


# -- OUT stays as it was --------------------------------------------------------------------------
def _tree_state(out: Path) -> dict[str, tuple[bytes, int] | None]:
    state: dict[str, tuple[bytes, int] | None] = {}
    for path in sorted(out.rglob("*")):
        rel = path.relative_to(out).as_posix()
        state[rel] = (path.read_bytes(), path.stat().st_mtime_ns) if path.is_file() else None
    return state


@pytest.fixture(scope="session")
def rendered_lab(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("lab-rendered") / "out"
    result = CliRunner().invoke(main, ["render", str(LAB_SPEC), "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    return out


@pytest.mark.parametrize("case", _params(out_variant=True))
def test_invalid_spec_leaves_out_untouched(
    case: Case, case_file: Callable[[Case], Path], rendered_lab: Path, tmp_path: Path
):
    out = tmp_path / "out"
    shutil.copytree(rendered_lab, out)
    before = _tree_state(out)
    assert len(before) > 10
    run = _render(case, case_file(case), out)
    assert not run.crash, run.crash
    assert run.exit_code == 2, run.stderr[:2000]
    after = _tree_state(out)
    assert after.keys() == before.keys(), "files were added or removed"
    changed = [path for path in before if before[path] != after[path]]
    assert not changed, f"changed bytes or mtimes: {changed}"


# -- inputs that look odd but are valid -------------------------------------------------------------
def _render_tree(spec: Path, out: Path) -> dict[str, bytes]:
    result = CliRunner().invoke(main, ["render", str(spec), "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_a_utf8_byte_order_mark_is_accepted(tmp_path: Path):
    text = LAB_SPEC.read_text("utf-8")
    plain, bom = tmp_path / "plain" / "wlid.yaml", tmp_path / "bom" / "wlid.yaml"
    for path, data in ((plain, text.encode()), (bom, b"\xef\xbb\xbf" + text.encode())):
        path.parent.mkdir()
        path.write_bytes(data)
    assert bom.read_bytes().startswith(b"\xef\xbb\xbf")
    with_bom = _render_tree(bom, tmp_path / "out")
    shutil.rmtree(tmp_path / "out")  # the same OUT for both: generated files name it
    assert with_bom == _render_tree(plain, tmp_path / "out")
    assert not any(b"\xef\xbb\xbf" in data for data in with_bom.values())


def test_strings_that_other_yaml_readers_take_for_numbers_stay_strings(tmp_path: Path):
    """PyYAML (YAML 1.1) reads 1e3, 0o17, y and n as strings; YAML 1.2 readers (kustomize, Flux) do
    not. wlid accepts them as strings and writes them quoted, so every reader sees the same string."""
    values = {"A": "1e3", "B": "1E+3", "C": "0o17", "D": "y", "E": "n", "F": "Y"}
    env = "".join(f"          {k}: {v}\n" for k, v in values.items())
    spec = tmp_path / "wlid.yaml"
    spec.write_text(
        VALID_SPEC
        + "workloads:\n  - name: w\n    serviceAccount: sa\n    containers:\n      - name: c\n"
        + "        image: busybox\n        env:\n"
        + env,
        "utf-8",
    )
    tree = _render_tree(spec, tmp_path / "out")
    text = tree["k8s/base/default/pods.yaml"].decode()
    pod = yaml.safe_load(text)
    assert {e["name"]: e["value"] for e in pod["spec"]["containers"][0]["env"]} == values
    for value in values.values():
        assert f"value: '{value}'\n" in text
