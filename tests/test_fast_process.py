"""fast/process.py: the `wlid` process without cyclic gc, without pydantic's plugin search and with a quick
exit prints, writes and exits exactly as the click group does when called as a library."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import LAB_SPEC, ROOT

from wlid_render.cli import main
from wlid_render.fast.process import skip_plugin_discovery, without_gc

LAB = str(LAB_SPEC)


def _environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONUNBUFFERED", "PYDANTIC_DISABLE_PLUGINS")}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")
    env["NO_COLOR"] = "1"
    return {**env, **extra}


def _program(body: str, **env: str) -> subprocess.Popen[str]:
    """`body` (Python defining `main()`) run as a whole process through run_program."""
    code = f"{body}\nfrom wlid_render.fast.process import run_program\nrun_program(main)\n"
    return subprocess.Popen(
        [sys.executable, "-c", code],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_environment(**env),
    )


def test_without_gc_restores_the_collector() -> None:
    assert gc.isenabled()
    with without_gc():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), without_gc():
        raise RuntimeError("a failing command")
    assert gc.isenabled()
    gc.disable()
    try:
        with without_gc():
            pass
        assert not gc.isenabled()  # left as the caller had it
    finally:
        gc.enable()


def test_the_plugin_switch_keeps_a_value_the_user_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYDANTIC_DISABLE_PLUGINS", raising=False)
    skip_plugin_discovery()
    assert os.environ["PYDANTIC_DISABLE_PLUGINS"] == "__all__"
    monkeypatch.setenv("PYDANTIC_DISABLE_PLUGINS", "some_plugin")
    skip_plugin_discovery()
    assert os.environ["PYDANTIC_DISABLE_PLUGINS"] == "some_plugin"


def test_the_program_runs_without_gc_and_plugins_and_keeps_code_and_output() -> None:
    body = (
        "import gc, os, sys\n"
        "def main():\n"
        "    print('switch', os.environ.get('PYDANTIC_DISABLE_PLUGINS'), 'gc', gc.isenabled())\n"
        "    print('to stderr', file=sys.stderr)\n"
        "    sys.exit(3)\n"
    )
    done = _program(body)
    stdout, stderr = done.communicate(timeout=60)
    assert (done.returncode, stdout, stderr) == (3, "switch __all__ gc False\n", "to stderr\n")
    kept = _program(body, PYDANTIC_DISABLE_PLUGINS="mine")
    assert kept.communicate(timeout=60)[0] == "switch mine gc False\n"


def test_sys_exit_with_a_message_prints_it_and_exits_2() -> None:
    done = _program("import sys\ndef main():\n    sys.exit('stopped: a reason')\n")
    assert done.communicate(timeout=60) == ("", "stopped: a reason\n") and done.returncode == 2


def test_a_reader_gone_before_the_final_flush_gives_141() -> None:
    """Output still buffered at the quick exit goes to a closed pipe: 128 + SIGPIPE, no traceback."""
    done = _program("import sys\ndef main():\n    print('buffered')\n    sys.stdin.read()\n")
    assert done.stdout is not None and done.stdin is not None and done.stderr is not None
    done.stdout.close()  # the reader goes away (`wlid ... | head`) ...
    done.stdin.close()  # ... then main() returns and the exit flushes stdout
    assert done.wait(timeout=60) == 141
    assert "Traceback" not in done.stderr.read()


@pytest.mark.parametrize(
    "args",
    [
        ["--version"],
        ["render", LAB, "-o", str(ROOT / "out" / "lab"), "--check"],
        ["render", LAB, "-o", "{tmp}/new", "--dry-run"],
        ["render", LAB, "-o", "-"],
        ["explain", LAB, "--format", "json"],
        ["render", "{tmp}/missing.yaml", "-o", "{tmp}/o"],
        ["render", "{tmp}/bad.yaml", "-o", "{tmp}/o"],
        ["render", "--no-such-option"],
    ],
)
def test_the_program_prints_and_exits_as_the_command_does(tmp_path: Path, args: list[str]) -> None:
    """`python -m wlid_render` (run_program around the group) against the group called in-process."""
    (tmp_path / "bad.yaml").write_text("apiVersion: wlid/v1\nkind: Nope\n", "utf-8")
    args = [a.format(tmp=tmp_path) for a in args]
    env = _environment()
    program = subprocess.run(
        [sys.executable, "-m", "wlid_render", *args], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    os.chdir(tmp_path)
    try:
        library = CliRunner().invoke(main, args, prog_name="python -m wlid_render", env={"NO_COLOR": "1"})
    finally:
        os.chdir(ROOT)
    assert (program.returncode, program.stdout, program.stderr) == (
        library.exit_code,
        library.stdout,
        library.stderr,
    )
