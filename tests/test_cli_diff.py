"""`render --check --diff` and `--dry-run --diff`: a unified diff per created, changed or removed file
(the manifest in one line), coloured on a terminal only (never with NO_COLOR), that `patch` reads."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import LAB_SPEC, ROOT

from wlid_render.cli import diagnostics, main
from wlid_render.cli.diffs import file_diff, read_current

LAB = LAB_SPEC
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _render(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, ["render", str(LAB), *args])


def _stale_tree(tmp_path: Path) -> Path:
    """out/lab rendered, then: README.md edited, main.bicep deleted, an owned file no longer produced."""
    out = tmp_path / "out" / "lab"
    assert _render("-o", str(out), "-q").exit_code == 0
    readme = out / "README.md"
    readme.write_text(readme.read_text("utf-8").replace("# ", "# Edited: ", 1), "utf-8")
    (out / "azure" / "main.bicep").unlink()
    manifest = out / ".wlid" / "manifest.json"
    manifest.write_text(
        manifest.read_text("utf-8").replace('"files": [', '"files": [{"path": "k8s/old.yaml"},'), "utf-8"
    )
    (out / "k8s" / "old.yaml").write_text("kind: Old\n", "utf-8")
    return out


def test_check_diff_shows_every_change(tmp_path: Path):
    out = _stale_tree(tmp_path)
    result = _render("-o", str(out), "--check", "--diff")
    assert result.exit_code == 1
    text = result.stdout
    readme = (out / "README.md").as_posix()
    assert f"--- {readme}\n+++ {readme}\n@@ " in text
    assert "\n-# Edited: " in text and "\n+# " in text
    bicep = (out / "azure" / "main.bicep").as_posix()
    assert f"--- /dev/null\n+++ {bicep}\n@@ -0,0 +1," in text, "a created file"
    old = (out / "k8s" / "old.yaml").as_posix()
    assert f"--- {old}\n+++ /dev/null\n@@ -1 +0,0 @@\n-kind: Old\n" in text, "a removed file"
    manifest = (out / ".wlid" / "manifest.json").as_posix()
    assert f"\n{manifest}: would change (the list of the files wlid wrote, with their hashes)\n" in text
    assert f"--- {manifest}" not in text, "the manifest's hashes are not shown"
    assert "would change: " not in text, "the diffs replace the list"
    assert text.rstrip().splitlines()[-1].startswith(f"{out.as_posix()} is out of date (4 files); run: ")
    assert not ANSI.search(text), "no colour when stdout is not a terminal"
    assert (out / "k8s" / "old.yaml").exists(), "--check writes nothing"


@pytest.mark.skipif(shutil.which("patch") is None, reason="patch is not installed")
def test_patch_applies_the_diff_and_the_tree_is_up_to_date(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """GNU patch reads the diff as a unified diff and makes the tree what a render writes."""
    monkeypatch.chdir(tmp_path)  # a relative OUT: the paths that patch -p0 resolves from tmp_path
    out = _stale_tree(Path("."))  # out/lab, named the same way in every render (files name OUT)
    diff = _render("-o", "out/lab", "--check", "--diff")
    assert diff.exit_code == 1
    body = "".join(line + "\n" for line in diff.stdout.splitlines() if "is out of date" not in line)
    done = subprocess.run(
        ["patch", "-p0", "--batch", "--remove-empty-files"],
        input=body,
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert not (out / "k8s" / "old.yaml").exists()
    check = _render("-o", str(out), "--check", "--format", "json")
    tree = json.loads(check.stdout)["trees"][0]
    assert (tree["created"], tree["changed"], tree["removed"]) == ([], [".wlid/manifest.json"], [])


def test_dry_run_diff_of_a_new_tree(tmp_path: Path):
    out = tmp_path / "new"
    result = _render("-o", str(out), "--dry-run", "--diff")
    assert result.exit_code == 0
    files = [p for p in (ROOT / "out" / "lab").rglob("*") if p.is_file()]  # the committed tree
    assert result.stdout.count("--- /dev/null\n") == len(files) - 1, "every file but the manifest"
    assert result.stdout.rstrip().endswith("unchanged")
    assert f"{out.as_posix()}: would create " in result.stdout
    assert not out.exists()


def test_up_to_date_tree_has_no_diff(tmp_path: Path):
    out = tmp_path / "lab"
    assert _render("-o", str(out), "-q").exit_code == 0
    result = _render("-o", str(out), "--check", "--diff")
    files = sum(1 for p in out.rglob("*") if p.is_file())
    assert result.exit_code == 0 and result.stdout == f"{out.as_posix()} is up to date ({files} files)\n"


def test_colour_on_a_terminal_only_and_never_with_no_color(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    out = _stale_tree(tmp_path)
    monkeypatch.delenv("NO_COLOR", raising=False)
    plain = _render("-o", str(out), "--check", "--diff").stdout
    monkeypatch.setattr(diagnostics, "is_terminal", lambda stream: True)
    coloured = _render("-o", str(out), "--check", "--diff").stdout
    assert "\x1b[31m-# Edited: " in coloured and "\x1b[32m+# " in coloured, "removals red, additions green"
    assert "\x1b[36m@@ " in coloured, "hunk ranges cyan"
    assert ANSI.sub("", coloured) == plain
    monkeypatch.setenv("NO_COLOR", "1")
    assert not ANSI.search(_render("-o", str(out), "--check", "--diff").stdout)


def test_diff_needs_check_or_dry_run(tmp_path: Path):
    result = _render("-o", str(tmp_path / "o"), "--diff")
    assert result.exit_code == 2 and "--diff needs --check or --dry-run" in result.stderr
    assert not (tmp_path / "o").exists()


def test_file_diff_edge_cases():
    assert file_diff("x", b"a\n", b"a\n") == []
    assert file_diff("x", b"a", b"a\n") == [
        "--- x",
        "+++ x",
        "@@ -1 +1 @@",
        "-a",
        "\\ No newline at end of file",
        "+a",
    ]
    assert file_diff("x", b"\0bin", b"text\n") == ["Binary files x and x differ"]
    assert file_diff("x", None, b"") == [], "an empty file has no line to show (wlid writes none)"


def test_a_symlink_in_out_is_never_followed(tmp_path: Path):
    secret = tmp_path / "secret.txt"
    secret.write_text("do not show\n", "utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "README.md").symlink_to(secret)
    assert read_current(out, "README.md") is None
    assert read_current(out, "missing.md") is None
    (out / "plain.md").write_text("ok\n", "utf-8")
    assert read_current(out, "plain.md") == b"ok\n"
