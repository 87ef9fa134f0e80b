"""The command line through click's CliRunner: exit codes, messages, check and dry-run."""

from __future__ import annotations

import os
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from conftest import LAB_SPEC, ROOT, imported_packages

from wlid_render import __version__
from wlid_render.cli import main

LAB = str(LAB_SPEC)


def every_command() -> dict[str, click.Command]:
    """Every command of the group, each module imported (as `wlid --help` does): `main.commands` holds
    only the ones asked for so far."""
    ctx = click.Context(main)
    found = {name: main.get_command(ctx, name) for name in main.list_commands(ctx)}
    assert all(found.values()), found
    return found  # type: ignore[return-value]


def _render(*args: str):
    return CliRunner().invoke(main, ["render", *args])


def test_version_and_help():
    assert CliRunner().invoke(main, ["--version"]).output.strip() == f"wlid, version {__version__}"
    result = CliRunner().invoke(main, ["render", "--help"])
    assert result.exit_code == 0 and "--check" in result.output and "--dry-run" in result.output


def test_render_writes_the_tree_and_warns_about_placeholders(tmp_path: Path):
    out = tmp_path / "lab"
    result = _render(LAB, "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "${WLID_CLIENT_ID_MYIDENTITY}" in result.stderr
    for path in [
        "README.md",
        "azure/main.json",
        "azure/main.bicep",
        "azure/params/default.parameters.json",
        "azure/params/default.bicepparam",
        "k8s/base/kustomization.yaml",
        "k8s/overlays/default/kustomization.yaml",
        ".wlid/manifest.json",
    ]:
        assert (out / path).is_file(), path
    for path in out.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert data.endswith(b"\n") and not data.endswith(b"\n\n") and b"\r" not in data, path


def test_default_out_is_out_slash_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["render", LAB])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out/lab/azure/main.json").is_file()


def test_check_reports_drift_and_writes_nothing(tmp_path: Path):
    out = tmp_path / "lab"
    assert _render(LAB, "-o", str(out)).exit_code == 0
    assert _render(LAB, "-o", str(out), "--check").exit_code == 0
    main_json = out / "azure" / "main.json"
    main_json.write_text("{}\n")
    (out / "k8s/base/kustomization.yaml").unlink()
    result = _render(LAB, "-o", str(out), "--check")
    assert result.exit_code == 1
    assert f"would change: {main_json.as_posix()}" in result.output
    assert "would create: " in result.output and "k8s/base/kustomization.yaml" in result.output
    assert main_json.read_text() == "{}\n", "--check never writes"


def test_rerender_without_change_rewrites_nothing(tmp_path: Path):
    out = tmp_path / "lab"
    assert _render(LAB, "-o", str(out)).exit_code == 0
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    for p in stamps:
        os.utime(p, ns=(1, 1))
    result = _render(LAB, "-o", str(out))
    assert result.exit_code == 0 and "0 created, 0 changed, 0 removed" in result.output
    assert all(p.stat().st_mtime_ns == 1 for p in stamps)


def test_owned_files_no_longer_produced_are_removed_and_foreign_files_kept(tmp_path: Path):
    out = tmp_path / "lab"
    assert _render(LAB, "-o", str(out)).exit_code == 0
    manifest = out / ".wlid" / "manifest.json"
    stale = out / "k8s" / "base" / "old.yaml"
    stale.write_text("kind: Old\n")
    manifest.write_text(
        manifest.read_text().replace('"files": [', '"files": [{"path": "k8s/base/old.yaml"},')
    )
    mine = out / "NOTES.md"
    mine.write_text("hand-written\n")
    check = _render(LAB, "-o", str(out), "--check")
    assert check.exit_code == 1 and "would remove: " in check.output
    result = _render(LAB, "-o", str(out))
    assert result.exit_code == 0
    assert not stale.exists() and mine.read_text() == "hand-written\n"
    assert "not ours, left alone" in result.stderr


def test_refuses_a_folder_it_never_wrote(tmp_path: Path):
    out = tmp_path / "somewhere"
    out.mkdir()
    (out / "file.txt").write_text("x\n")
    result = _render(LAB, "-o", str(out))
    assert result.exit_code == 2 and "--force" in result.stderr
    assert _render(LAB, "-o", str(out), "--force").exit_code == 0
    assert (out / "file.txt").read_text() == "x\n"


def test_dry_run_lists_and_writes_nothing(tmp_path: Path):
    out = tmp_path / "lab"
    result = _render(LAB, "-o", str(out), "--dry-run")
    assert result.exit_code == 0
    assert f"create: {(out / 'azure/main.json').as_posix()}" in result.output
    assert not out.exists()


def test_usage_errors_exit_2(tmp_path: Path):
    assert _render(LAB, "--check", "--dry-run").exit_code == 2
    assert _render(str(tmp_path / "missing.yaml")).exit_code == 2
    assert CliRunner().invoke(main, ["render"]).exit_code == 2


def test_python_dash_m(tmp_path: Path):
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "wlid_render", "--version"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0 and __version__ in done.stdout


def test_templates_option_overrides_the_bundled_bicep_templates(tmp_path: Path):
    templates = tmp_path / "templates"
    (templates / "bicep").mkdir(parents=True)
    for source in (ROOT / "templates" / "bicep").glob("*.j2"):
        text = source.read_text("utf-8")
        if source.name == "main.bicep.j2":
            text = text + "// house style footer\n"
        (templates / "bicep" / source.name).write_text(text, "utf-8")
    out = tmp_path / "lab"
    result = _render(LAB, "-o", str(out), "--templates", str(templates))
    assert result.exit_code == 0, result.output
    assert (out / "azure" / "main.bicep").read_text("utf-8").endswith("// house style footer\n")
    assert _render(LAB, "-o", str(out), "--templates", str(tmp_path / "nope")).exit_code == 2


def test_rendered_files_are_ordinary_files(tmp_path: Path):
    old = os.umask(0o022)
    try:
        assert _render(LAB, "-o", str(tmp_path / "lab")).exit_code == 0
    finally:
        os.umask(old)
    modes = {p.stat().st_mode & 0o777 for p in (tmp_path / "lab").rglob("*") if p.is_file()}
    assert modes == {0o644}


def test_the_program_exits_with_the_command_code_and_flushed_output(tmp_path: Path) -> None:
    """`python -m wlid_render` (and the `wlid` script) ends with a quick exit: codes and output stay."""
    import subprocess
    import sys

    def wlid(*args: str) -> subprocess.CompletedProcess[str]:
        root = str(Path(__file__).parents[1])  # this checkout, whatever is installed
        env = {**os.environ, "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", "")}
        return subprocess.run(
            [sys.executable, "-m", "wlid_render", *args], capture_output=True, text=True, cwd=tmp_path, env=env
        )

    version = wlid("--version")
    assert version.returncode == 0 and version.stdout.startswith("wlid, version ")
    missing = wlid("render", "missing.yaml")
    assert missing.returncode == 2 and "missing.yaml" in missing.stderr
    usage = wlid("render", "--no-such-option")
    assert usage.returncode == 2 and "No such option" in usage.stderr
    out = tmp_path / "out"
    rendered = wlid("render", str(Path(__file__).parents[1] / "specs" / "lab.yaml"), "-o", str(out))
    assert rendered.returncode == 0, rendered.stderr
    assert (out / ".wlid" / "manifest.json").is_file()
    drift = wlid("render", str(Path(__file__).parents[1] / "specs" / "lab.yaml"), "-o", str(out), "--check")
    assert drift.returncode == 0
    (out / "README.md").write_text("changed\n")
    drift = wlid("render", str(Path(__file__).parents[1] / "specs" / "lab.yaml"), "-o", str(out), "--check")
    assert drift.returncode == 1 and "README.md" in drift.stdout + drift.stderr


@pytest.mark.parametrize("flag", ["--version", "--help"])
def test_help_and_version_import_nothing_heavy(flag: str) -> None:
    imported = imported_packages(flag)
    assert "click" in imported  # the measurement works
    assert not imported & {"pydantic", "pydantic_core", "yaml", "jinja2", "jsonschema", "jsonschema_rs"}


def test_render_imports_no_validator_and_no_azure_sdk(tmp_path: Path) -> None:
    imported = imported_packages("render", "specs/lab.yaml", "-o", str(tmp_path / "out"), "-q")
    assert {"pydantic", "yaml", "jinja2"} <= imported
    assert not imported & {"jsonschema", "jsonschema_rs", "tree_sitter", "tree_sitter_bicep", "azure"}


def test_every_command_has_a_one_line_description_and_examples():
    top = CliRunner().invoke(main, ["--help"], terminal_width=80)
    assert top.exit_code == 0 and "Examples:" in top.output
    listed = top.output.split("Commands:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert sorted(line.split()[0] for line in listed) == sorted(every_command())
    for line in listed:
        assert not line.endswith("..."), f"a description cut short: {line!r}"
    for name, command in every_command().items():
        result = CliRunner().invoke(main, [name, "--help"], terminal_width=80)
        assert result.exit_code == 0, name
        assert "\n  Examples:\n    " in result.output, f"wlid {name} --help has no examples"
        examples = result.output.split("Examples:\n", 1)[1]
        assert f"\n    wlid {name}" in examples, f"wlid {name} --help shows no example of itself"
        assert command.get_short_help_str(limit=80).endswith("."), name


def test_help_of_import_and_drift_documents_every_option():
    for name in ("import", "drift"):
        command = every_command()[name]
        for param in command.params:
            if param.param_type_name == "option" and param.name != "help":
                assert param.help, f"wlid {name} {param.opts[0]} has no help"


def test_the_readme_tour_is_what_the_commands_print(tmp_path: Path):
    """The 60-second tour shows real output: `python scripts/readme_tour.py` refreshes it."""
    import importlib.util

    location = Path(__file__).parents[1] / "scripts" / "readme_tour.py"
    spec = importlib.util.spec_from_file_location("readme_tour", location)
    assert spec and spec.loader
    tour = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tour)
    readme = (ROOT / "README.md").read_text("utf-8")
    assert tour.refreshed(readme, tour.tour(tmp_path)) == readme, "run: python scripts/readme_tour.py"
    assert (ROOT / "docs" / "lab-graph.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    intro = readme.split("```", 1)[0].splitlines()[1:]  # after the title, before the set-up commands
    assert len([line for line in intro if line.strip()]) == 3, "what wlid is, in three lines"


def test_the_readme_commands_show_every_command_in_its_current_form():
    readme = (ROOT / "README.md").read_text("utf-8")
    commands = readme.split("\n## Commands\n", 1)[1].split("```", 2)[1]
    for name in every_command():
        assert f"\nwlid {name} " in commands, name
    for old in ("wlid bind ENV", "wlid whatif SPEC ENV", "wlid drift SPEC --env"):
        assert old not in commands, f"the old form {old!r}"
    for option in ("--diff", "--format json", "-o - --env ENV", "--format text|mermaid|json"):
        assert option in commands, option


def test_the_minimum_constraints_are_the_declared_lower_bounds():
    """.ci/minimum-constraints.txt pins every dependency at the lower bound pyproject.toml declares."""
    import re

    pyproject = (ROOT / "pyproject.toml").read_text("utf-8")
    declared = {
        name.lower(): version for name, version in re.findall(r'"([A-Za-z0-9_.-]+)>=([0-9][0-9.]*)', pyproject)
    }
    pinned = dict(
        line.split("==")
        for line in (ROOT / ".ci" / "minimum-constraints.txt").read_text("utf-8").splitlines()
        if line and not line.startswith("#")
    )
    pinned = {name.lower(): version for name, version in pinned.items()}
    assert "<" not in re.sub(r"#.*", "", pyproject.split("[project.scripts]")[0]), "no upper bounds"

    def release(version: str) -> tuple[int, ...]:
        parts = tuple(int(p) for p in version.split("."))
        return parts + (0,) * (3 - len(parts))

    assert set(pinned) == set(declared)
    for name, version in declared.items():
        assert release(pinned[name]) == release(version), name


def test_ci_installs_into_a_new_environment_every_run():
    script = (ROOT / ".ci" / "run").read_text("utf-8")
    order = [
        "command -v kubectl",
        "Kustomize Version: v5",
        "rm -rf .venv-ci",
        "-m venv .venv-ci",
        "source .venv-ci/bin/activate",
        "pip install -e '.[test]' && python -m pytest",
        "ruff check wlid_render tests benchmarks",
    ]
    positions = [script.index(step) for step in order]
    assert positions == sorted(positions)
    assert ".venv-ci/" in (ROOT / ".gitignore").read_text("utf-8").splitlines()


def test_the_group_knows_the_module_of_every_command() -> None:
    """A command added to a module of cli/commands without its line in COMMAND_MODULES would be found
    only after another command of its module ran."""
    import importlib
    import pkgutil

    import wlid_render.cli.commands as package
    from wlid_render.cli.group import COMMAND_MODULES

    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{module.name}")
    defined = {name: command.callback.__module__.rsplit(".", 1)[1] for name, command in main.commands.items()}
    assert defined == COMMAND_MODULES
