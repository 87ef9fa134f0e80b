"""What wlid guarantees about OUT: all or nothing, owned files only, one writer at a time."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from generate import spec_text
from tmpfs import mount_tmpfs, umount

from wlid_render.plan.source import plan_source
from wlid_render.spec.load import load_text
from wlid_render.workflow.pipeline import render_plan
from wlid_render.write import WriteError, apply, locked, recover

KILLS = int(os.environ.get("WLID_KILLS", "30"))


def _tree(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def _spec(n: int, tag: str) -> str:
    return spec_text(n).replace("-1.0.0", f"-{tag}").replace(":1.0.0", f":{tag}")


def _render_into(out: Path, text: str) -> None:
    artifacts = render_plan(plan_source(load_text(text, "spec.yaml")))
    apply(out, artifacts)


@pytest.mark.slow
def test_a_killed_render_leaves_out_old_or_new(tmp_path: Path):
    specs = {"a": _spec(300, "1.0.0"), "b": _spec(300, "2.0.0")}
    states = {}
    out = tmp_path / "work" / "out"
    for name, text in specs.items():
        (tmp_path / f"{name}.yaml").write_text(text, "utf-8")
        _cli_render(tmp_path / f"{name}.yaml", out)  # at OUT's own path: generated files name it
        states[name] = _tree(out)
        shutil.rmtree(out)
    assert states["a"] != states["b"]
    _cli_render(tmp_path / "a.yaml", out)
    (out / "NOTES.md").write_text("kept\n")  # not ours: must survive every kill
    current = "a"
    rng = random.Random(20261128)
    outcomes = {"old": 0, "new": 0}
    for _ in range(KILLS):
        target = "b" if current == "a" else "a"
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "wlid_render",
                "render",
                str(tmp_path / f"{target}.yaml"),
                "-o",
                str(out),
                "-q",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.05, 1.6))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        tree = _tree(out)
        assert tree.pop("NOTES.md") == b"kept\n"
        assert tree in (states["a"], states["b"]), "OUT is neither the old nor the new tree"
        state = "a" if tree == states["a"] else "b"
        outcomes["new" if state == target else "old"] += 1
        current = state
    assert sum(outcomes.values()) == KILLS
    _cli_render(tmp_path / "a.yaml", out)  # the next render cleans up what the killed ones left
    leftovers = [p.name for p in out.parent.iterdir() if p.name != "out"]
    assert leftovers == []


def _cli_render(spec: Path, out: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "wlid_render", "render", str(spec), "-o", str(out), "-q"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_unchanged_files_keep_their_mtime_when_others_change(tmp_path: Path):
    out = tmp_path / "out"
    _render_into(out, _spec(20, "1.0.0"))
    base = out / "k8s" / "base" / "team-00" / "serviceaccounts.yaml"
    os.utime(base, ns=(10**9, 10**9))
    changed = out / "k8s" / "base" / "team-00" / "deployments.yaml"
    _render_into(out, _spec(20, "2.0.0"))
    assert base.stat().st_mtime_ns == 10**9
    assert b"2.0.0" in changed.read_bytes()


def test_a_second_writer_waits_then_gives_up_clearly(tmp_path: Path):
    out = tmp_path / "out"
    with (
        locked(out),
        pytest.raises(WriteError, match="another wlid render is writing"),
        locked(out, timeout=0.2),
    ):
        pass
    with locked(out, timeout=0.2):  # released again
        pass


def test_recover_puts_back_a_tree_whose_swap_stopped_half_way(tmp_path: Path):
    out = tmp_path / "out"
    _render_into(out, _spec(10, "1.0.0"))
    before = _tree(out)
    retired = tmp_path / ".wlid-retired-out-1-2"
    os.rename(out, retired)  # as if the process died between the two renames of the fallback path
    (tmp_path / ".wlid-staging-out-1-3").mkdir()
    with locked(out):
        recover(out)
    assert _tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_full_disk_fails_clearly_and_leaves_out_intact(tmp_path: Path):
    disk = tmp_path / "disk"
    if not mount_tmpfs(disk, "2m"):
        pytest.skip("cannot mount a small tmpfs here (needs root and mount)")
    try:
        out = disk / "out"
        _render_into(out, _spec(10, "1.0.0"))
        before = _tree(out)
        filler = disk / "filler"
        with open(filler, "wb") as handle:
            try:
                while True:
                    handle.write(b"x" * 65536)
                    handle.flush()
            except OSError:
                pass
        with pytest.raises(WriteError, match="is unchanged"):
            _render_into(out, _spec(200, "2.0.0"))
        assert _tree(out) == before
        assert sorted(p.name for p in disk.iterdir()) == ["filler", "out"]
    finally:
        umount(disk)


def test_a_read_only_out_fails_clearly_and_stays_intact(tmp_path: Path):
    disk = tmp_path / "disk"
    if not mount_tmpfs(disk, "8m"):
        pytest.skip("cannot mount a tmpfs here (needs root and mount)")
    try:
        out = disk / "out"
        _render_into(out, _spec(10, "1.0.0"))
        before = _tree(out)
        remount = subprocess.run(["mount", "-o", "remount,ro", str(disk)], capture_output=True)
        if remount.returncode != 0:
            pytest.skip("cannot remount the tmpfs read-only here")
        with pytest.raises(WriteError, match="is unchanged"):
            _render_into(out, _spec(10, "2.0.0"))
        assert _tree(out) == before
    finally:
        umount(disk)
