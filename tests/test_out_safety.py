"""OUT is wlid's only: refused when foreign, nothing followed inside it, foreign entries kept.

Each test here is a reproduction from the issues about OUT (foreign folders, symbolic links, users'
files, read-only folders, recovery names, hostile manifests); each failed before the fix.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import LAB_SPEC, ROOT

from wlid_render import write
from wlid_render.cli import main
from wlid_render.plan.source import plan_source
from wlid_render.spec.load import load_text
from wlid_render.workflow.pipeline import render_plan
from wlid_render.write import ForeignEntries, UnownedTree, WriteError, apply, compare, locked, recover
from wlid_render.write import comparison as write_compare
from wlid_render.write import scan as write_scan

LAB = str(LAB_SPEC)
MULTI = str(ROOT / "specs" / "multi-env.yaml")


def _render(*args: str):
    return CliRunner().invoke(main, ["render", *args])


def _snapshot(folder: Path) -> dict[str, tuple]:
    """Every entry under `folder` (links not followed): kind, mode, contents or link target."""
    entries = {}
    for path in sorted(folder.rglob("*")):
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode):
            value: object = os.readlink(path)
        elif stat.S_ISREG(info.st_mode):
            value = path.read_bytes()
        else:
            value = None
        entries[path.relative_to(folder).as_posix()] = (
            stat.S_IFMT(info.st_mode),
            info.st_mode & 0o7777,
            value,
        )
    return entries


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".wlid-"))


# ------------------------------------------------------------------------------------ foreign OUT


def test_root_is_refused_in_well_under_a_second_with_exit_2():
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "wlid_render", "render", LAB, "-o", "/"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    elapsed = time.monotonic() - started
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "wlid did not write" in done.stderr and "--force" in done.stderr
    assert elapsed < 20  # the whole process on a busy machine; walking / would take minutes
    artifacts = render_plan(plan_source(load_text(Path(LAB).read_text(), LAB)))
    for folder in ("/", "/proc", "/usr"):
        started = time.monotonic()
        with pytest.raises(UnownedTree):
            compare(Path(folder), artifacts)
        assert time.monotonic() - started < 0.5, folder  # the refusal itself


@pytest.mark.parametrize("folder", ["/", "/proc", "/usr"])
@pytest.mark.parametrize("mode", [[], ["--check"], ["--dry-run"]])
def test_foreign_system_folders_are_refused_without_being_walked(folder, mode, monkeypatch):
    scandir = os.scandir

    def only_the_top(path="."):  # listing OUT itself (is it empty?) is all a refusal may cost
        if os.path.realpath(path) != os.path.realpath(folder):
            raise AssertionError(f"a foreign folder was walked: {path}")
        return scandir(path)

    def guarded(function):
        def call(*args, **kwargs):
            with monkeypatch.context() as patch:
                patch.setattr(os, "scandir", only_the_top)
                return function(*args, **kwargs)

        return call

    monkeypatch.setattr(write, "compare", guarded(write.compare))
    monkeypatch.setattr(write, "apply", guarded(write.apply))
    result = _render(LAB, "-o", folder, *mode)
    assert result.exit_code == 2
    assert "wlid did not write" in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_home_is_refused_and_force_does_not_adopt_it(tmp_path: Path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    (home / ".bashrc").write_text("export A=1\n")
    monkeypatch.setenv("HOME", str(home))
    before = _snapshot(home)
    assert _render(LAB, "-o", str(home)).exit_code == 2
    result = _render(LAB, "-o", str(home), "--force")
    assert result.exit_code == 2 and "home folder" in result.stderr
    assert _snapshot(home) == before


@pytest.mark.parametrize("folder", ["/", "/proc"])
def test_force_does_not_adopt_a_filesystem_root_or_mount_point(folder):
    result = _render(LAB, "-o", folder, "--force", "--dry-run")
    assert result.exit_code == 2 and "mount point" in result.stderr


def test_force_does_not_adopt_a_git_checkout_or_the_current_folder(tmp_path: Path, monkeypatch):
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "src.py").write_text("x = 1\n")
    result = _render(LAB, "-o", str(repo), "--force")
    assert result.exit_code == 2 and "Git checkout" in result.stderr
    here = tmp_path / "here"
    (here / "sub").mkdir(parents=True)
    (here / "notes.txt").write_text("mine\n")
    monkeypatch.chdir(here / "sub")
    result = _render(LAB, "-o", str(here), "--force")
    assert result.exit_code == 2 and "current folder" in result.stderr
    assert (here / "notes.txt").read_text() == "mine\n"


def test_force_does_not_adopt_a_large_foreign_folder(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(write_compare, "FORCE_MAX_ENTRIES", 50)
    big = tmp_path / "big"
    big.mkdir()
    for i in range(200):
        (big / f"f{i}").write_text("x")
    result = _render(LAB, "-o", str(big), "--force")
    assert result.exit_code == 2 and "choose an empty folder" in result.stderr
    assert len(list(big.iterdir())) == 200


def test_force_adopts_a_small_foreign_folder_and_keeps_what_is_in_it(tmp_path: Path):
    out = tmp_path / "out"
    (out / "docs").mkdir(parents=True)
    (out / "docs" / "notes.md").write_text("mine\n")
    (out / "README.md").write_text("my readme\n")  # where wlid writes its own: replaced (--force)
    result = _render(LAB, "-o", str(out), "--force")
    assert result.exit_code == 0, result.stderr
    assert (out / "docs" / "notes.md").read_text() == "mine\n"
    assert "replaced (--force): " in result.stderr and "README.md" in result.stderr
    assert "not ours, left alone: " in result.stderr and "docs" in result.stderr


def test_out_that_is_a_file_is_refused(tmp_path: Path):
    afile = tmp_path / "afile"
    afile.write_text("data\n")
    result = _render(LAB, "-o", str(afile))
    assert result.exit_code == 2 and "OUT is a file" in result.stderr
    assert afile.read_text() == "data\n"
    artifacts = render_plan(plan_source(load_text(Path(LAB).read_text(), LAB)))
    with pytest.raises(WriteError, match="OUT is a file"):
        compare(afile, artifacts)
    link = tmp_path / "link"
    link.symlink_to(afile)
    with pytest.raises(WriteError, match="OUT is a file"):
        apply(link, artifacts)
    assert afile.read_text() == "data\n" and link.is_symlink()


# ---------------------------------------------------------------------------------- symbolic links


def test_a_symlinked_folder_inside_out_is_not_written_through(tmp_path: Path):
    out = tmp_path / "out"
    elsewhere = tmp_path / "elsewhere"
    assert _render(LAB, "-o", str(out)).exit_code == 0
    import shutil

    shutil.rmtree(out / "k8s")
    elsewhere.mkdir()
    (out / "k8s").symlink_to("../elsewhere")
    result = _render(LAB, "-o", str(out))
    assert result.exit_code == 2 and "k8s" in result.stderr and "--force" in result.stderr
    assert list(elsewhere.iterdir()) == []
    result = _render(LAB, "-o", str(out), "--force")  # the link is replaced, never followed
    assert result.exit_code == 0, result.stderr
    assert list(elsewhere.iterdir()) == []
    assert (out / "k8s").is_dir() and not (out / "k8s").is_symlink()
    assert (out / "k8s" / "base" / "kustomization.yaml").is_file()
    assert _leftovers(tmp_path) == []


def test_a_symlinked_wlid_folder_is_not_read_or_written_through(tmp_path: Path):
    out = tmp_path / "out"
    assert _render(LAB, "-o", str(out)).exit_code == 0
    other = tmp_path / "other"
    other.mkdir()
    manifest = (out / ".wlid" / "manifest.json").read_bytes()
    (other / "manifest.json").write_bytes(manifest)
    import shutil

    shutil.rmtree(out / ".wlid")
    (out / ".wlid").symlink_to(other)
    (out / "README.md").write_text("changed\n")
    result = _render(LAB, "-o", str(out))
    assert result.exit_code == 2 and ".wlid is not a folder" in result.stderr
    assert (other / "manifest.json").read_bytes() == manifest
    assert _render(LAB, "-o", str(out), "--force").exit_code == 0
    assert (other / "manifest.json").read_bytes() == manifest
    assert not (out / ".wlid").is_symlink() and (out / ".wlid" / "manifest.json").is_file()


def test_a_symlink_to_a_file_where_wlid_writes_is_foreign(tmp_path: Path):
    out = tmp_path / "out"
    assert _render(LAB, "-o", str(out)).exit_code == 0
    secret = tmp_path / "secret.txt"
    secret.write_text("do not touch\n")
    (out / "README.md").unlink()
    (out / "README.md").symlink_to(secret)
    assert _render(LAB, "-o", str(out)).exit_code == 2
    assert _render(LAB, "-o", str(out), "--check").exit_code == 2
    assert _render(LAB, "-o", str(out), "--force").exit_code == 0
    assert secret.read_text() == "do not touch\n"
    assert not (out / "README.md").is_symlink()


def test_out_itself_a_symlink_is_followed_and_stays_a_link(tmp_path: Path):
    real = tmp_path / "real" / "out"
    links = tmp_path / "links"
    links.mkdir()
    assert _render(LAB, "-o", str(real)).exit_code == 0
    (real / "NOTES.md").write_text("mine\n")
    (links / "out").symlink_to("../real/out")
    readme = real / "README.md"
    readme.write_text("edited\n")
    result = _render(LAB, "-o", str(links / "out"))
    assert result.exit_code == 0, result.stderr
    assert (links / "out").is_symlink() and os.readlink(links / "out") == "../real/out"
    assert readme.read_text() != "edited\n"
    assert (real / "NOTES.md").read_text() == "mine\n"
    assert sorted(p.name for p in links.iterdir()) == ["out"]
    assert sorted(p.name for p in real.parent.iterdir()) == ["out"]
    assert _render(LAB, "-o", str(links / "out"), "--check").exit_code == 0


def test_out_a_dangling_symlink_creates_the_folder_it_names(tmp_path: Path):
    (tmp_path / "target-parent").mkdir()
    link = tmp_path / "out"
    link.symlink_to("target-parent/out")
    assert _render(LAB, "-o", str(link)).exit_code == 0
    assert link.is_symlink() and (tmp_path / "target-parent" / "out" / "README.md").is_file()


# ------------------------------------------------------------------------------- foreign entries


def test_a_users_file_where_wlid_starts_producing_one_is_refused(tmp_path: Path):
    out = tmp_path / "out"
    assert _render(MULTI, "-o", str(out), "--gitops", "none").exit_code == 0
    mine = out / "gitops" / "README.md"
    mine.parent.mkdir()
    mine.write_text("my own notes\n")
    for mode in ([], ["--check"], ["--dry-run"]):
        result = _render(MULTI, "-o", str(out), *mode)
        assert result.exit_code == 2, result.output
        assert "gitops/README.md" in result.stderr and "--force" in result.stderr
    assert mine.read_text() == "my own notes\n"
    assert _render(MULTI, "-o", str(out), "--force").exit_code == 0
    assert mine.read_text() != "my own notes\n"
    assert _render(MULTI, "-o", str(out)).exit_code == 0  # now it is ours


def test_a_users_file_with_the_very_bytes_wlid_writes_is_adopted(tmp_path: Path):
    reference = tmp_path / "reference"
    out = tmp_path / "out"
    assert _render(MULTI, "-o", str(reference)).exit_code == 0
    assert _render(MULTI, "-o", str(out), "--gitops", "none").exit_code == 0
    (out / "gitops").mkdir()
    (out / "gitops" / "README.md").write_bytes((reference / "gitops" / "README.md").read_bytes())
    assert _render(MULTI, "-o", str(out)).exit_code == 0  # nothing would be lost


def test_foreign_empty_folders_fifos_and_sockets_are_kept_and_the_mode_of_out(tmp_path: Path):
    out = tmp_path / "out"
    assert _render(LAB, "-o", str(out)).exit_code == 0
    os.chmod(out, 0o700)
    os.chmod(out / "k8s", 0o750)
    (out / "empty").mkdir()
    (out / "k8s" / "empty-too").mkdir()
    os.mkfifo(out / "k8s" / "base" / "pipe")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(out / "azure" / "sock"))
    try:
        (out / "README.md").write_text("edited\n")  # a change: OUT is swapped
        foreign_before = {
            k: v for k, v in _snapshot(out).items() if "empty" in k or k.endswith(("pipe", "sock"))
        }
        result = _render(LAB, "-o", str(out))
        assert result.exit_code == 0, result.stderr
        after = _snapshot(out)
        for path, entry in foreign_before.items():
            assert after[path] == entry, path
        assert stat.S_IMODE(out.stat().st_mode) == 0o700
        assert stat.S_IMODE((out / "k8s").stat().st_mode) == 0o750
        for name in ["empty", "k8s/empty-too", "k8s/base/pipe", "azure/sock"]:
            assert f"not ours, left alone: {(out / name).as_posix()}" in result.stderr
    finally:
        sock.close()
    assert _leftovers(tmp_path) == []


def test_a_changed_file_keeps_its_mode(tmp_path: Path):
    out = tmp_path / "out"
    assert _render(LAB, "-o", str(out)).exit_code == 0
    readme = out / "README.md"
    readme.write_text("edited\n")
    os.chmod(readme, 0o600)
    assert _render(LAB, "-o", str(out)).exit_code == 0
    assert readme.read_text() != "edited\n" and stat.S_IMODE(readme.stat().st_mode) == 0o600


@pytest.mark.parametrize("name", ["back\\slash.txt", "new\nline.txt", "tab\there", "\udcff-not-utf8"])
def test_foreign_files_with_unusual_names_do_not_break_later_renders(tmp_path: Path, name):
    out = tmp_path / "out"
    assert _render(LAB, "-o", str(out)).exit_code == 0
    odd = out / "k8s" / name
    odd.write_text("mine\n")
    for tag in ("1", "2"):
        (out / "README.md").write_text(f"edit {tag}\n")
        result = _render(LAB, "-o", str(out))
        assert result.exit_code == 0, result.stderr
        assert odd.read_text() == "mine\n"
        assert "\nline.txt" not in result.stderr  # a name never prints a raw line break


# ------------------------------------------------------------------------------ hostile manifests


@pytest.mark.parametrize(
    "content",
    [
        b"[" * 200_000 + b"]" * 200_000,
        b"\xff\xfe not utf-8",
        b'{"generator": "wlid", "files": [{"path": "../../etc/passwd"}]}',
        b'{"generator": "wlid", "files": [{"path": "/etc/passwd"}]}',
        b'{"generator": "wlid", "files": "everything"}',
        b"{" * 100_000,
    ],
    ids=["deep", "not-utf8", "dotdot", "absolute", "not-a-list", "unclosed"],
)
def test_a_corrupt_manifest_is_refused_with_a_message(tmp_path: Path, content: bytes):
    out = tmp_path / "out"
    assert _render(LAB, "-o", str(out)).exit_code == 0
    (out / ".wlid" / "manifest.json").write_bytes(content)
    for mode in ([], ["--check"], ["--dry-run"]):
        result = _render(LAB, "-o", str(out), *mode)
        assert result.exit_code == 2, result.output
        assert "manifest.json is not wlid's" in result.stderr
        assert result.exception is None or isinstance(result.exception, SystemExit)
    assert (out / ".wlid" / "manifest.json").read_bytes() == content
    assert _render(LAB, "-o", str(out), "--force").exit_code == 0  # the user takes the folder back


def test_a_huge_manifest_is_not_read_past_the_limit(tmp_path: Path, monkeypatch):
    out = tmp_path / "out"
    assert _render(LAB, "-o", str(out)).exit_code == 0
    monkeypatch.setattr(write_scan, "MANIFEST_MAX_BYTES", 1000)
    result = _render(LAB, "-o", str(out), "--check")
    assert result.exit_code == 2 and "larger than 1,000 bytes" in result.stderr


def test_the_manifest_records_the_wlid_version(tmp_path: Path):
    from wlid_render import __version__

    out = tmp_path / "out"
    assert _render(LAB, "-o", str(out)).exit_code == 0
    manifest = json.loads((out / ".wlid" / "manifest.json").read_text())
    assert manifest["generator"] == "wlid" and manifest["version"] == __version__


# ------------------------------------------------------------------------------------ read-only


def test_a_read_only_out_is_refused_and_nothing_is_left_beside_it(tmp_path: Path):
    out = tmp_path / "out"
    assert _render(LAB, "-o", str(out)).exit_code == 0
    (out / "README.md").write_text("edited\n")
    before = _snapshot(out)
    os.chmod(out, 0o555)
    try:
        result = _render(LAB, "-o", str(out))
        assert result.exit_code == 2 and "read-only" in result.stderr and "chmod u+w" in result.stderr
        assert _snapshot(out) == before
        assert stat.S_IMODE(out.stat().st_mode) == 0o555
        assert _leftovers(tmp_path) == []
        assert _render(LAB, "-o", str(out), "--check").exit_code == 1  # reading is fine
    finally:
        os.chmod(out, 0o755)
    assert _render(LAB, "-o", str(out)).exit_code == 0


def test_a_read_only_folder_inside_out_is_refused_only_where_wlid_writes(tmp_path: Path):
    out = tmp_path / "out"
    assert _render(LAB, "-o", str(out)).exit_code == 0
    (out / "notes").mkdir()
    (out / "notes" / "a.txt").write_text("mine\n")
    os.chmod(out / "notes", 0o555)  # foreign and read-only: carried over, the render goes on
    (out / "README.md").write_text("edited\n")
    assert _render(LAB, "-o", str(out)).exit_code == 0
    assert stat.S_IMODE((out / "notes").stat().st_mode) == 0o555
    assert (out / "notes" / "a.txt").read_text() == "mine\n"
    os.chmod(out / "azure", 0o555)
    (out / "azure" / "main.json").write_text("{}\n")
    result = _render(LAB, "-o", str(out))
    assert result.exit_code == 2 and f"read-only: {(out / 'azure').as_posix()}" in result.stderr
    assert _leftovers(tmp_path) == []
    os.chmod(out / "azure", 0o755)
    os.chmod(out / "notes", 0o755)


def test_a_leftover_tree_with_read_only_folders_is_cleaned_up(tmp_path: Path):
    out = tmp_path / "out"
    assert _render(LAB, "-o", str(out)).exit_code == 0
    leftover = tmp_path / ".wlid-staging-out-1-2"
    (leftover / "sub").mkdir(parents=True)
    (leftover / "sub" / "f").write_text("x")
    os.chmod(leftover / "sub", 0o500)
    os.chmod(leftover, 0o500)
    assert _render(LAB, "-o", str(out)).exit_code == 0
    assert _leftovers(tmp_path) == []


# -------------------------------------------------------------------------------------- recovery


def test_recovery_never_adopts_the_tree_of_a_folder_sharing_a_prefix(tmp_path: Path):
    x, xy = tmp_path / "x", tmp_path / "x-y"
    assert _render(LAB, "-o", str(x)).exit_code == 0
    assert _render(MULTI, "-o", str(xy)).exit_code == 0
    x_before, xy_before = _snapshot(x), _snapshot(xy)
    os.rename(xy, tmp_path / ".wlid-retired-x-y-123-456")  # a two-rename swap of x-y cut half-way
    with locked(x):
        recover(x)
    assert _snapshot(x) == x_before and not xy.exists()
    import shutil

    shutil.rmtree(x)
    with locked(x):
        recover(x)  # x is missing: still not x-y's tree
    assert not x.exists()
    with locked(xy):
        recover(xy)
    assert _snapshot(xy) == xy_before
    assert _leftovers(tmp_path) == []


def test_recovery_follows_out_when_it_is_a_symlink(tmp_path: Path):
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to("real/out")  # generated files name OUT as given: the link both times
    assert _render(LAB, "-o", str(tmp_path / "link")).exit_code == 0
    before = _snapshot(real / "out")
    os.rename(real / "out", real / ".wlid-retired-out-1-2")
    (real / ".wlid-staging-out-1-3").mkdir()
    result = _render(LAB, "-o", str(tmp_path / "link"), "-q")
    assert result.exit_code == 0, result.stderr
    assert _snapshot(real / "out") == before
    assert _leftovers(real) == [] and _leftovers(tmp_path) == []


def test_errors_are_write_errors_for_library_callers(tmp_path: Path):
    artifacts = render_plan(plan_source(load_text(Path(LAB).read_text(), LAB)))
    out = tmp_path / "out"
    out.mkdir()
    (out / "x").write_text("x")
    with pytest.raises(UnownedTree):
        compare(out, artifacts)
    apply(out, artifacts, force=True)
    (out / "README.md").unlink()
    (out / "README.md").mkdir()
    with pytest.raises(ForeignEntries):
        apply(out, artifacts)
