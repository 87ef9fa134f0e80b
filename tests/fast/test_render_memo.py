"""fast/render_memo.py: a quiet re-render or check of an unchanged spec and OUT is answered without
rendering, and every change to the inputs or to OUT renders as usual, with the usual output."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from wlid_render.cli import main
from wlid_render.fast import process, render_memo
from wlid_render.fast.render_memo import Memo

ROOT = Path(__file__).resolve().parents[2]
RENDERED = "wlid_render.workflow.pipeline"  # imported by every render, never by an answer from the memo


def wlid(tmp_path: Path, *args: str, **env: str) -> tuple[int, str, str, bool]:
    """A whole `wlid` process: exit code, stdout, stderr (import lines left out), and whether it
    rendered."""
    environment = {k: v for k, v in os.environ.items() if k != render_memo.OFF}
    environment.update(PYTHONPATH=str(ROOT), XDG_CACHE_HOME=str(tmp_path / "cache"), NO_COLOR="1", **env)
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "wlid_render", *args],
        capture_output=True,
        text=True,
        env=environment,
        cwd=tmp_path,
        check=False,
    )
    lines = done.stderr.splitlines(keepends=True)
    rendered = any(line.rstrip().endswith(f"| {RENDERED}") or line.rstrip().endswith(RENDERED) for line in lines)
    stderr = "".join(line for line in lines if not line.startswith("import time:"))
    return done.returncode, done.stdout, stderr, rendered


@pytest.fixture
def tree(tmp_path: Path) -> tuple[str, str]:
    """The multi-env spec, copied, and its rendered OUT (relative to tmp_path)."""
    shutil.copy(ROOT / "specs" / "multi-env.yaml", tmp_path / "spec.yaml")
    code, _, stderr, _ = wlid(tmp_path, "render", "spec.yaml", "-o", "out", "-q")
    assert code == 0, stderr
    return "spec.yaml", "out"


@pytest.mark.parametrize("mode", [["--check"], []])
def test_the_second_identical_command_is_answered_from_the_memo(
    tmp_path: Path, tree: tuple[str, str], mode: list[str]
) -> None:
    spec, out = tree
    command = ["render", spec, "-o", out, *mode, "-q"]
    assert wlid(tmp_path, *command) == (0, "", "", True)  # renders, finds OUT up to date, notes it
    assert wlid(tmp_path, *command) == (0, "", "", False)  # answered from the memo
    assert wlid(tmp_path, *command, WLID_NO_MEMO="1") == (0, "", "", True)
    assert len(list((tmp_path / "cache" / "wlid" / "render").iterdir())) == 1


@pytest.mark.parametrize("mode", [["--check"], []])
def test_what_a_command_printed_is_printed_again_from_the_memo(
    tmp_path: Path, tree: tuple[str, str], mode: list[str]
) -> None:
    """Not quiet, to pipes: the warnings and the summary line, the same bytes as a render prints."""
    spec, out = tree
    command = ["render", spec, "-o", out, *mode]
    code, stdout, stderr, rendered = wlid(tmp_path, *command)
    assert (code, rendered) == (0, True)
    assert "warning" in stderr
    assert ("is up to date" if mode else "0 changed") in stdout
    assert wlid(tmp_path, *command) == (code, stdout, stderr, False)
    assert wlid(tmp_path, *command, WLID_NO_MEMO="1") == (code, stdout, stderr, True)


def test_output_to_a_terminal_is_never_answered_from_the_memo(
    tmp_path: Path, tree: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from wlid_render.cli.commands import render as command

    monkeypatch.setattr(process, "whole_process", True)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv(render_memo.OFF, raising=False)
    monkeypatch.chdir(tmp_path)
    spec, out = tree
    asked = []
    monkeypatch.setattr(command, "_memo", lambda *args: asked.append(args))
    monkeypatch.setattr(command, "terminal", lambda: True)
    result = CliRunner().invoke(main, ["render", spec, "-o", out, "--check"])
    assert (result.exit_code, asked) == (0, [])
    result = CliRunner().invoke(main, ["render", spec, "-o", out, "--check", "-q"])
    assert (result.exit_code, asked) == (0, [((spec,), out)])


def edit_same_size(path: Path) -> None:
    text = path.read_text("utf-8")
    changed = text.replace("prune: true", "prune: fals", 1) if "prune: true" in text else text[:-2] + "#\n"
    assert len(changed) == len(text) and changed != text
    path.write_text(changed, "utf-8")


CHANGES = {
    "a rendered file, same size and a new modification time": lambda root: edit_same_size(
        root / "out/gitops/flux/dev.yaml"
    ),
    "a rendered file, same size, its modification time put back": lambda root: _edit_keeping_mtime(
        root / "out/gitops/flux/dev.yaml"
    ),
    "a rendered file removed": lambda root: (root / "out/gitops/flux/dev.yaml").unlink(),
    "a file wlid did not write": lambda root: (root / "out/notes.txt").write_text("mine\n"),
    "the spec": lambda root: (root / "spec.yaml").write_text((root / "spec.yaml").read_text() + "# note\n"),
    "the manifest": lambda root: (root / "out/.wlid/manifest.json").write_text(
        (root / "out/.wlid/manifest.json").read_text() + " "
    ),
    "a Git repository around OUT": lambda root: (root / ".git").mkdir(),
}


def _edit_keeping_mtime(path: Path) -> None:
    before = path.stat()
    edit_same_size(path)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_mtime_ns == before.st_mtime_ns


# The default run keeps the strictest change (same size, modification time put back: only the bytes
# tell); every other change runs under -m slow, which .ci/run runs too.
QUICK_CHANGE = "a rendered file, same size, its modification time put back"


@pytest.mark.parametrize(
    "change",
    [c if c == QUICK_CHANGE else pytest.param(c, marks=pytest.mark.slow) for c in sorted(CHANGES)],
)
def test_any_change_renders_as_usual_with_the_usual_output(
    tmp_path: Path, tree: tuple[str, str], change: str
) -> None:
    spec, out = tree
    command = ["render", spec, "-o", out, "--check", "-q"]
    assert wlid(tmp_path, *command) == (0, "", "", True)
    assert wlid(tmp_path, *command)[3] is False
    CHANGES[change](tmp_path)
    code, stdout, stderr, rendered = wlid(tmp_path, *command)
    assert rendered
    assert (code, stdout, stderr) == wlid(tmp_path, *command, WLID_NO_MEMO="1")[:3]


def test_an_interrupted_render_beside_out_is_recovered_as_usual(tmp_path: Path, tree: tuple[str, str]) -> None:
    spec, out = tree
    command = ["render", spec, "-o", out, "-q"]
    wlid(tmp_path, *command)
    (tmp_path / ".wlid-staging-out-1-2").mkdir()
    assert wlid(tmp_path, *command)[3] is True


def test_library_callers_never_use_a_memo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    shutil.copy(ROOT / "specs" / "lab.yaml", tmp_path / "spec.yaml")
    for _ in range(2):
        result = CliRunner().invoke(main, ["render", "spec.yaml", "-o", "out", "-q"])
        assert result.exit_code == 0, result.output
    assert not process.whole_process
    assert not (tmp_path / "cache").exists()


def test_the_code_that_renders_is_part_of_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    library = tmp_path / "lib" / "some_library"
    library.mkdir(parents=True)
    (library / "__init__.py").write_text("VALUE = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path / "lib"))
    monkeypatch.setattr(render_memo, "LIBRARIES", ("some_library",))
    monkeypatch.setattr(process, "whole_process", True)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    spec = ROOT / "specs" / "lab.yaml"
    (tmp_path / "out").mkdir()
    memo = Memo.of(str(spec), str(tmp_path / "out"), ["render"])
    assert memo is not None
    first = memo.key()
    assert first is not None and memo.key() == first
    (library / "__init__.py").write_text("VALUE = 22\n")  # an upgraded library
    second = memo.key()
    assert second is not None and second != first
    monkeypatch.setenv("SOME_SETTING", "x")  # and the environment
    assert memo.key() not in (first, second, None)


def test_a_new_out_has_no_memo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(process, "whole_process", True)
    assert Memo.of(str(ROOT / "specs" / "lab.yaml"), str(tmp_path / "new"), ["render"]) is None


def test_the_folder_keeps_the_newest_memos_only(tmp_path: Path) -> None:
    folder = tmp_path / "render"
    folder.mkdir()
    for i in range(render_memo.KEPT + 3):
        memo = folder / f"{i:04d}.json"
        memo.write_text("{}")
        os.utime(memo, ns=(i * 10**9, i * 10**9))
    (folder / "0000.json.123").write_text("")  # a memo being written: not a memo yet
    render_memo._prune(folder)
    left = sorted(p.name for p in folder.iterdir())
    assert left[0] == "0000.json.123"
    assert left[1:] == [f"{i:04d}.json" for i in range(3, render_memo.KEPT + 3)]
