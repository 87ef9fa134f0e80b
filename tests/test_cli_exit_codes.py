"""One mapping of outcomes to exit codes for every command: 0 ok, 1 drift only, 2 every error; a user's
mistake gives a message and never a traceback (click's runner, and real runs of the installed `wlid`)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import LAB_SPEC, ROOT

import wlid_render.brownfield as brownfield
from wlid_render.cli import EXIT_DRIFT, EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK, main

LAB = str(LAB_SPEC)
MULTI = str(ROOT / "specs" / "multi-env.yaml")
WLID = Path(sys.executable).with_name("wlid")  # the console script pip installed


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    out = tmp_path / "lab"
    assert CliRunner().invoke(main, ["render", LAB, "-o", str(out), "-q"]).exit_code == 0
    return out


@pytest.fixture
def bad_spec(tmp_path: Path) -> Path:
    spec = tmp_path / "bad.yaml"
    spec.write_text(Path(LAB).read_text("utf-8").replace("identity: myIdentity", "identity: nobody"), "utf-8")
    return spec


def _code(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_render(tmp_path: Path, tree: Path, bad_spec: Path):
    assert _code("render", LAB, "-o", str(tree))[0] == EXIT_OK
    assert _code("render", LAB, "-o", str(tree), "--check")[0] == EXIT_OK
    assert _code("render", LAB, "-o", str(tree), "--dry-run")[0] == EXIT_OK
    assert _code("render", LAB, "-o", "-")[0] == EXIT_OK
    (tree / "README.md").write_text("stale\n", "utf-8")
    assert _code("render", LAB, "-o", str(tree), "--check")[0] == EXIT_DRIFT
    assert _code("render", LAB, "-o", str(tree), "--dry-run")[0] == EXIT_OK, "a dry run reports, never fails"
    for args in (
        [str(bad_spec), "-o", str(tmp_path / "o")],  # an invalid spec
        [str(bad_spec), "-o", "-"],
        [str(bad_spec), "-o", str(tree), "--check"],
        [str(tmp_path / "missing.yaml")],  # a spec that does not exist
        [LAB, "--check", "--dry-run"],  # usage
        [LAB, "--no-such-option"],
        [LAB, "-o", str(tmp_path / "o"), "--outputs", "prod"],  # a malformed option value
        [LAB, "-o", str(tmp_path / "o"), "--outputs", f"default={tmp_path / 'none.json'}"],  # unreadable
        [MULTI, "-o", "-"],  # several environments and no --env
    ):
        code, output = _code("render", *args)
        assert code == EXIT_ERROR, (args, output)
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "x.txt").write_text("x\n")
    assert _code("render", LAB, "-o", str(foreign))[0] == EXIT_ERROR


def test_render_validate_failure_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from wlid_render.validate import run
    from wlid_render.validate.finding import Finding

    def failing(out, options):  # type: ignore[no-untyped-def]
        return [Finding(str(out / "azure" / "main.json"), 1, "ARM001", "error", "planted")]

    monkeypatch.setattr(run, "validate_tree", failing)
    code, output = _code("render", LAB, "-o", str(tmp_path / "o"), "--validate")
    assert code == EXIT_ERROR and "error ARM001: planted" in output


def test_validate(tree: Path, tmp_path: Path):
    assert _code("validate", str(tree), "--no-kubectl")[0] == EXIT_OK
    assert _code("validate", str(tree), "--no-kubectl", "--strict")[0] == EXIT_ERROR  # WI013 as an error
    (tree / "azure" / "main.json").write_text("{not json", "utf-8")
    assert _code("validate", str(tree), "--no-kubectl")[0] == EXIT_ERROR
    assert _code("validate", str(tmp_path / "nope"))[0] == EXIT_ERROR


def test_explain_and_schema(tmp_path: Path, bad_spec: Path):
    assert _code("explain", MULTI)[0] == EXIT_OK
    assert _code("explain", MULTI, "--env", "qa")[0] == EXIT_ERROR
    assert _code("explain", str(bad_spec))[0] == EXIT_ERROR
    assert _code("schema")[0] == EXIT_OK
    code, output = _code("schema", "-o", "/proc/wlid/schema.json")  # cannot be written
    assert code == EXIT_ERROR and output.startswith("error: ")


def test_whatif(tmp_path: Path, tree: Path, bad_spec: Path):
    assert _code("whatif", LAB, "-o", str(tree))[0] == EXIT_OK
    assert _code("whatif", LAB, "-o", str(tmp_path / "nope"))[0] == EXIT_ERROR
    assert _code("whatif", str(bad_spec), "-o", str(tree))[0] == EXIT_ERROR
    assert _code("whatif", LAB, "default")[0] == EXIT_ERROR  # the old form: usage
    (tree / "README.md").write_text("stale\n", "utf-8")
    assert _code("whatif", LAB, "-o", str(tree))[0] == EXIT_ERROR


def test_bind(tmp_path: Path):
    spec = tmp_path / "wlid.yaml"
    shutil.copy(LAB, spec)
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"myIdentity": {"clientId": "3f2504e0-4f89-41d3-9a0c-0305e82c3301"}}))
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"someone": {"clientId": "3f2504e0-4f89-41d3-9a0c-0305e82c3301"}}))
    assert _code("bind", "--spec", str(spec), str(good))[0] == EXIT_OK
    assert _code("bind", "--spec", str(spec), str(other))[0] == EXIT_ERROR
    assert _code("bind", "--spec", str(spec), "--env", "prod", str(good))[0] == EXIT_ERROR
    assert _code("bind", "--spec", str(spec))[0] == EXIT_ERROR  # OUTPUTS missing


def test_init_and_import(tmp_path: Path):
    path = tmp_path / "wlid.yaml"
    assert _code("init", str(path))[0] == EXIT_OK
    code, output = _code("init", str(path))
    assert code == EXIT_ERROR and "exists; pass --force" in output
    assert _code("import", "--subscription", "s", "--resource-group", "rg", "-o", str(path))[0] == EXIT_ERROR
    assert _code("import", "--subscription", "s")[0] == EXIT_ERROR  # usage: -o and --resource-group


def test_drift(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bad_spec: Path):
    class Report:
        def __init__(self, has_drift: bool) -> None:
            self.has_drift = has_drift

        def to_json(self) -> str:
            return json.dumps({"hasDrift": self.has_drift}) + "\n"

    found: list[bool] = []
    monkeypatch.setattr(brownfield, "read_environment_state", lambda plan, env: object())
    monkeypatch.setattr(brownfield, "drift", lambda plan, env, state, strict: Report(found[-1]))
    found.append(False)
    assert _code("drift", LAB, "--format", "json")[0] == EXIT_OK
    found.append(True)
    assert _code("drift", LAB, "--format", "json")[0] == EXIT_DRIFT
    assert _code("drift", str(bad_spec))[0] == EXIT_ERROR
    assert _code("drift", MULTI)[0] == EXIT_ERROR  # two environments, no --env

    def unreachable(plan, env):  # type: ignore[no-untyped-def]
        raise brownfield.BrownfieldError("cannot reach Azure: no credential")

    monkeypatch.setattr(brownfield, "read_environment_state", unreachable)
    code, output = _code("drift", LAB)
    assert code == EXIT_ERROR and "error: cannot reach Azure" in output


def test_interrupted_exits_130(monkeypatch: pytest.MonkeyPatch):
    import wlid_render.workflow.planning as render

    def interrupted(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt

    monkeypatch.setattr(render, "plan_source", interrupted)
    result = CliRunner().invoke(main, ["explain", LAB])
    assert result.exit_code == EXIT_INTERRUPTED and "interrupted" in result.stderr


@pytest.mark.parametrize(
    ("args", "code", "text"),
    [
        (["render", "{bad}", "-o", "{tmp}/o"], EXIT_ERROR, "1 error in {bad}; nothing written"),
        (["render", "{lab}", "-o", "{tmp}/o", "--check"], EXIT_DRIFT, "is out of date"),
        (["render", "{lab}", "-o", "-", "--env", "qa"], EXIT_ERROR, "error: no environment 'qa'"),
        (["explain", "{bad}"], EXIT_ERROR, "nobody"),
        (["validate", "{tmp}/none"], EXIT_ERROR, "does not exist"),
        (["render", "-", "-o", "-"], EXIT_ERROR, "<stdin>:"),
    ],
)
def test_real_runs_of_the_installed_wlid(
    tmp_path: Path, bad_spec: Path, args: list[str], code: int, text: str
):
    assert WLID.is_file(), f"the wlid script is not installed next to {sys.executable}"
    names = {"bad": str(bad_spec), "tmp": str(tmp_path), "lab": LAB}
    done = subprocess.run(
        [str(WLID), *(a.format(**names) for a in args)],
        capture_output=True,
        text=True,
        input="kind: [\n",
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == code, done.stderr
    assert text.format(**names) in done.stdout + done.stderr
    assert "Traceback" not in done.stderr


def test_deprecations_in_our_code_fail_the_test_run():
    """pyproject.toml turns a DeprecationWarning raised from wlid's code into an error, so that a deprecated
    API cannot come back unnoticed; other libraries' warnings stay warnings."""
    with pytest.raises(DeprecationWarning):
        warnings.warn_explicit("old API", DeprecationWarning, "cli.py", 1, module="wlid_render.cli")
    with pytest.warns(DeprecationWarning):
        warnings.warn_explicit("old API", DeprecationWarning, "x.py", 1, module="somelibrary.x")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{% if %}\n", "main.bicep.j2:{n}: Expected an expression"),
        ("{{ no_such_value | bicep_string }}\n", "fail: 'no_such_value' is undefined"),
        ("{{ 'unescaped' }}\n", "without a Bicep filter"),
    ],
)
def test_a_mistake_in_the_users_templates_is_a_message(tmp_path: Path, line: str, message: str):
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    main_template = templates / "bicep" / "main.bicep.j2"
    text = main_template.read_text("utf-8") + line
    main_template.write_text(text, "utf-8")
    for args in (["-o", str(tmp_path / "o")], ["-o", "-"]):
        code, output = _code("render", LAB, *args, "--templates", str(templates))
        assert code == EXIT_ERROR
        assert output.startswith("error: ") and message.format(n=text.count("\n")) in output
    assert not (tmp_path / "o").exists()


def test_a_reader_that_goes_away_ends_the_run_quietly(monkeypatch: pytest.MonkeyPatch):
    """`wlid render -o - | head`: stdout closes early; exit 141 (128 + SIGPIPE) without a traceback."""
    import wlid_render.workflow.stream as stream

    def closed(objects):  # type: ignore[no-untyped-def]
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(stream, "environment_stream", closed)
    result = CliRunner().invoke(main, ["render", LAB, "-o", "-"])
    assert result.exit_code == 141 and "Traceback" not in result.output and "error" not in result.output
