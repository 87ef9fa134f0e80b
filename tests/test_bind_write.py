"""`wlid bind` replaces the spec all at once: never empty or cut short, mode and owner kept."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT
from generate import spec_text
from tmpfs import mount_tmpfs, umount

from wlid_render.cli import main
from wlid_render.write import WriteError, replace_file
from wlid_render.write import replace as write

MULTI = ROOT / "specs" / "multi-env.yaml"
KILLS = int(os.environ.get("WLID_KILLS", "30"))


def _outputs(folder: Path, digit: str) -> Path:
    value = {
        name: {"clientId": f"aaaaaaaa-0000-0000-0000-00000000000{digit}", "principalId": "p", "tenantId": "t"}
        for name in ("shop-api", "shop-reporting")
    }
    path = folder / f"outputs-{digit}.json"
    path.write_text(json.dumps({"identities": {"type": "Object", "value": value}}), "utf-8")
    return path


def _bind(spec: Path, outputs: Path):
    return CliRunner().invoke(main, ["bind", "--env", "prod", str(outputs), "--spec", str(spec)])


def _temps(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".wlid-" in p.name)


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    path = tmp_path / "wlid.yaml"
    shutil.copy(MULTI, path)
    return path


def test_a_full_disk_leaves_the_spec_intact_and_says_so(tmp_path: Path):
    disk = tmp_path / "disk"
    if not mount_tmpfs(disk, "1m"):
        pytest.skip("cannot mount a small tmpfs here (needs root and mount)")
    try:
        spec = disk / "wlid.yaml"
        text = MULTI.read_bytes()
        text += b"#" * (4096 - 20 - len(text) % 4096) + b"\n"  # the edit crosses a page: needs a new one
        spec.write_bytes(text)
        before = spec.read_bytes()
        outputs = _outputs(tmp_path, "1")
        fd = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT)
        try:
            while os.write(fd, b"x" * 4096):
                pass
        except OSError:
            pass
        finally:
            os.close(fd)
        result = _bind(spec, outputs)
        assert result.exit_code == 2, result.output
        assert "No space left on device" in result.stderr and "is unchanged" in result.stderr
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert spec.read_bytes() == before
        assert _temps(disk) == []
    finally:
        umount(disk)


def test_a_failing_write_leaves_the_spec_intact(spec: Path, tmp_path: Path, monkeypatch):
    before = spec.read_bytes()
    calls = []

    def short_write(fd, data):
        calls.append(len(data))
        if len(calls) > 1:
            raise OSError(28, "No space left on device")
        return os.write(fd, bytes(data[:100]))  # a partial write first: the rest must follow

    monkeypatch.setattr(write.os, "write", short_write)
    result = _bind(spec, _outputs(tmp_path, "1"))
    monkeypatch.undo()
    assert len(calls) == 2
    assert result.exit_code == 2 and "No space left on device" in result.stderr
    assert spec.read_bytes() == before
    assert _temps(spec.parent) == []


def test_a_spec_changed_since_it_was_read_is_not_overwritten(spec: Path, tmp_path: Path, monkeypatch):
    original = write._write_temp

    def edit_meanwhile(*args, **kwargs):
        with open(spec, "a", encoding="utf-8") as handle:
            handle.write("# an edit made while wlid was binding\n")
        return original(*args, **kwargs)

    monkeypatch.setattr(write, "_write_temp", edit_meanwhile)
    result = _bind(spec, _outputs(tmp_path, "1"))
    assert result.exit_code == 2 and "changed since wlid read it" in result.stderr
    assert spec.read_text("utf-8").endswith("# an edit made while wlid was binding\n")
    assert "aaaaaaaa-0000" not in spec.read_text("utf-8")
    assert _temps(spec.parent) == []


def test_mode_and_owner_are_kept(spec: Path, tmp_path: Path):
    os.chmod(spec, 0o640)
    if os.geteuid() == 0:
        os.chown(spec, 1234, 5678)
    result = _bind(spec, _outputs(tmp_path, "1"))
    assert result.exit_code == 0, result.output
    info = spec.stat()
    assert info.st_mode & 0o7777 == 0o640
    if os.geteuid() == 0:
        assert (info.st_uid, info.st_gid) == (1234, 5678)
    assert "aaaaaaaa-0000-0000-0000-000000000001" in spec.read_text("utf-8")


def test_a_symlinked_spec_is_followed_and_stays_a_link(tmp_path: Path):
    real = tmp_path / "real"
    real.mkdir()
    shutil.copy(MULTI, real / "wlid.yaml")
    link = tmp_path / "wlid.yaml"
    link.symlink_to("real/wlid.yaml")
    assert _bind(link, _outputs(tmp_path, "1")).exit_code == 0
    assert link.is_symlink()
    assert "aaaaaaaa-0000-0000-0000-000000000001" in (real / "wlid.yaml").read_text("utf-8")
    assert _temps(real) == [] and _temps(tmp_path) == []


def test_a_temporary_file_left_by_a_killed_bind_is_removed(spec: Path, tmp_path: Path):
    stale = spec.parent / ".wlid.yaml.wlid-tmp-123-456"
    stale.write_text("half")
    other = spec.parent / ".wlid.yaml.wlid-tmp-x"  # not of wlid's making: kept
    other.write_text("mine")
    assert _bind(spec, _outputs(tmp_path, "1")).exit_code == 0
    assert _temps(spec.parent) == [other.name]


def test_replace_file_refuses_bytes_other_than_expected(tmp_path: Path):
    path = tmp_path / "f"
    path.write_bytes(b"old")
    with pytest.raises(WriteError, match="changed since"):
        replace_file(path, b"new", b"older")
    replace_file(path, b"new", b"old")
    assert path.read_bytes() == b"new"


def test_a_kill_between_writing_and_renaming_leaves_the_old_spec(spec: Path, tmp_path: Path):
    before = spec.read_bytes()
    program = textwrap.dedent(
        """
        import os, signal, sys
        real_fsync = os.fsync
        def fsync_then_die(fd):
            real_fsync(fd)
            os.kill(os.getpid(), signal.SIGKILL)
        os.fsync = fsync_then_die
        from wlid_render.cli import main
        main(sys.argv[1:])
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", program, "bind", "--env", "prod", str(_outputs(tmp_path, "1")), "--spec", str(spec)],
        capture_output=True,
        check=False,
    )
    assert done.returncode == -signal.SIGKILL
    assert spec.read_bytes() == before
    assert len(_temps(spec.parent)) == 1  # the killed one's; the next bind removes it
    assert _bind(spec, _outputs(tmp_path, "1")).exit_code == 0
    assert _temps(spec.parent) == []


@pytest.mark.slow
def test_a_killed_bind_leaves_the_spec_old_or_new(tmp_path: Path):
    """SIGKILL at random moments of `wlid bind` (a large spec, so that writing takes a while)."""
    text = spec_text(500)
    spec = tmp_path / "wlid.yaml"
    spec.write_text(text, "utf-8")
    outputs = {}
    for digit in "12":
        outputs[digit] = _outputs(tmp_path, digit)
        outputs[digit].write_text(
            json.dumps(
                {
                    "identities": {
                        "type": "Object",
                        "value": {
                            f"id-{i:05d}": {"clientId": f"aaaaaaaa-0000-0000-0000-{i:011d}{digit}"}
                            for i in range(25)
                        },
                    }
                }
            )
        )
    # The states the spec may be in: as written, bound to outputs 1, then 2, then 1 again (= 1).
    reference = tmp_path / "reference.yaml"
    reference.write_text(text, "utf-8")
    states = {"0": reference.read_bytes()}
    for digit in "121":
        started = time.monotonic()
        assert _bind_process(reference, outputs[digit], wait=True) == 0
        duration = time.monotonic() - started  # kills fall before, during and after the write
        assert states.setdefault(digit, reference.read_bytes()) == reference.read_bytes()
    rng = random.Random(20261202)
    outcomes = {"old": 0, "new": 0}
    current = "0"
    for _ in range(KILLS):
        target = "2" if current == "1" else "1"
        proc = _bind_process(spec, outputs[target])
        time.sleep(rng.uniform(0.05, 1.6 * duration))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        data = spec.read_bytes()
        assert data in (states[current], states[target]), "the spec is neither the old nor the new one"
        outcomes["new" if data == states[target] else "old"] += 1
        current = target if data == states[target] else current
    if (
        KILLS >= 20
    ):  # the kills fall on both sides of the rename (on a quiet machine a miss has odds of 1 in 100,000)
        assert outcomes["old"] and outcomes["new"], outcomes
    assert _bind_process(spec, outputs["1"], wait=True) == 0
    assert _temps(tmp_path) == []


def _bind_process(spec: Path, outputs: Path, wait: bool = False):
    command = [sys.executable, "-m", "wlid_render", "bind", "--env", "prod", str(outputs), "--spec", str(spec)]
    if wait:
        return subprocess.run(command, capture_output=True, check=False).returncode
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
