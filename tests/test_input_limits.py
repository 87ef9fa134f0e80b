"""Hostile inputs (endless, huge, deep, not UTF-8) end in exit 2 and a message, in bounded memory."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import LAB_SPEC, ROOT
from generate import spec_text

from wlid_render import input_limits
from wlid_render.cli import main
from wlid_render.errors import SpecError
from wlid_render.input_limits import InputError, load_json, read_bounded
from wlid_render.spec.load import load_file
from wlid_render.workflow.outputs import read_outputs

LAB = LAB_SPEC
MULTI = ROOT / "specs" / "multi-env.yaml"
DEEP_JSON = "[" * 100_000
MEMORY_LIMIT = 1024 * 1024 * 1024  # bytes of address space a hostile input may not push wlid past


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def _wlid(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """A real process with 1 GiB of address space: reading /dev/zero whole would die of it."""
    return subprocess.run(
        [sys.executable, "-m", "wlid_render", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=_limited,
        check=False,
    )


def _no_traceback(done: subprocess.CompletedProcess[str]) -> None:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and "Error:" not in done.stderr.replace("error:", "")


def _outputs(folder: Path) -> Path:
    path = folder / "outputs.json"
    value = {"shop-api": {"clientId": "aaaaaaaa-0000-0000-0000-000000000001"}}
    path.write_text(json.dumps({"identities": {"type": "Object", "value": value}}))
    return path


def test_dev_zero_as_the_spec(tmp_path: Path):
    done = _wlid("render", "/dev/zero", "-o", str(tmp_path / "out"))
    _no_traceback(done)
    assert "/dev/zero: the spec is larger than 32 MiB" in done.stderr
    assert not (tmp_path / "out").exists()


def test_dev_zero_as_an_outputs_file(tmp_path: Path):
    spec = tmp_path / "wlid.yaml"
    spec.write_bytes(MULTI.read_bytes())
    done = _wlid("render", str(spec), "-o", str(tmp_path / "out"), "--outputs", "prod=/dev/zero")
    _no_traceback(done)
    assert "the outputs file is larger than" in done.stderr
    done = _wlid("bind", "--env", "prod", "/dev/zero", "--spec", str(spec))
    _no_traceback(done)
    assert spec.read_bytes() == MULTI.read_bytes()


def test_dev_zero_as_the_spec_of_bind(tmp_path: Path):
    done = _wlid("bind", "--env", "prod", str(_outputs(tmp_path)), "--spec", "/dev/zero")
    _no_traceback(done)
    assert "the spec is larger than" in done.stderr


def test_a_fifo_nobody_writes_to_does_not_hang(tmp_path: Path):
    fifo = tmp_path / "spec.yaml"
    os.mkfifo(fifo)
    done = _wlid("render", str(fifo), "-o", str(tmp_path / "out"), timeout=20)
    _no_traceback(done)
    assert "the file is empty" in done.stderr
    done = _wlid("render", str(MULTI), "-o", str(tmp_path / "out"), "--outputs", f"prod={fifo}", timeout=20)
    _no_traceback(done)


def test_a_pipe_with_a_writer_is_read_to_its_end(tmp_path: Path):
    done = subprocess.run(
        ["bash", "-c", f'"{sys.executable}" -m wlid_render render <(cat "{LAB}") -o "{tmp_path / "out"}" -q'],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "azure" / "main.json").is_file()


def test_deep_json_as_an_outputs_file(tmp_path: Path):
    deep = tmp_path / "deep.json"
    deep.write_text(DEEP_JSON)
    with pytest.raises(SpecError, match="nests deeper than 64 levels"):
        read_outputs(str(deep))
    spec = tmp_path / "wlid.yaml"
    spec.write_bytes(MULTI.read_bytes())
    for args in (
        ["render", str(spec), "-o", str(tmp_path / "o"), "--outputs", f"prod={deep}"],
        ["bind", "--env", "prod", str(deep), "--spec", str(spec)],
    ):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2, result.output
        assert "nests deeper than 64 levels" in result.stderr
        assert result.exception is None or isinstance(result.exception, SystemExit)
    assert spec.read_bytes() == MULTI.read_bytes()
    balanced = tmp_path / "balanced.json"
    balanced.write_text("[" * 200_000 + "]" * 200_000)
    with pytest.raises(SpecError, match="nests deeper"):
        read_outputs(str(balanced))


def test_a_spec_that_is_not_utf8_for_bind(tmp_path: Path):
    spec = tmp_path / "wlid.yaml"
    spec.write_bytes(b"apiVersion: wlid/v1\n\xff\xfe\n")
    result = CliRunner().invoke(main, ["bind", "--env", "prod", str(_outputs(tmp_path)), "--spec", str(spec)])
    assert result.exit_code == 2 and "not UTF-8" in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_a_spec_over_the_limit_is_refused_before_it_is_parsed(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(input_limits, "SPEC_MAX_BYTES", 1000)
    spec = tmp_path / "wlid.yaml"
    spec.write_bytes(LAB.read_bytes() + b"#" * 1000)
    with pytest.raises(SpecError, match="the spec is larger than 1,000 bytes"):
        load_file(str(spec))


def test_read_bounded_reads_at_most_the_limit_plus_one(tmp_path: Path):
    path = tmp_path / "f"
    path.write_bytes(b"x" * 10)
    assert read_bounded(path, 10) == b"x" * 10
    with pytest.raises(InputError, match="larger than 9 bytes"):
        read_bounded(path, 9)
    with pytest.raises(InputError, match="larger than 1,000 bytes"):
        read_bounded("/dev/zero", 1000)
    with pytest.raises(InputError, match="it is a folder"):
        read_bounded(tmp_path, 1000)
    with pytest.raises(InputError, match="No such file"):
        read_bounded(tmp_path / "missing", 1000)


def test_load_json_depth():
    nested = "[" * 64 + "]" * 64
    assert load_json(nested) is not None
    with pytest.raises(InputError, match="deeper than 64"):
        load_json("[" * 65 + "]" * 65)
    with pytest.raises(InputError, match="deeper than 64"):
        load_json('{"a":' * 65 + "1" + "}" * 65)
    with pytest.raises(InputError, match="deeper than 64"):
        load_json(DEEP_JSON)
    with pytest.raises(json.JSONDecodeError):
        load_json("[1,")


def test_the_benchmark_sizes_fit_the_limits():
    """The limits leave room for real estates: the 10,000-workload spec is far below them."""
    assert len(spec_text(10_000).encode()) * 10 < input_limits.SPEC_MAX_BYTES


def test_docs_state_the_limits_in_force():
    from wlid_render import write
    from wlid_render.spec import compose
    from wlid_render.validate import tree, yaml_stream

    text = (ROOT / "docs" / "safety.md").read_text("utf-8")
    limits = text[text.index("## Input limits") : text.index("## Recovery")]
    mib = input_limits.MiB
    for stated in [
        f"| {input_limits.SPEC_MAX_BYTES // mib} MiB |",
        f"| {input_limits.OUTPUTS_MAX_BYTES // mib} MiB; JSON nesting {input_limits.JSON_MAX_DEPTH} levels |",
        f"| {input_limits.MANIFEST_MAX_BYTES // mib} MiB; JSON nesting {input_limits.JSON_MAX_DEPTH} levels;",
        f"| {input_limits.TREE_FILE_MAX_BYTES // mib} MiB; JSON: {input_limits.JSON_MAX_DEPTH} levels, "
        f"{tree.JSON_VALUE_BUDGET:,} brackets",
        f"{yaml_stream.EVENT_BUDGET:,} nodes per file",
        f"| {input_limits.YAML_MAX_DEPTH} nesting levels, {input_limits.YAML_ALIAS_BUDGET} aliases, {input_limits.YAML_EXPANSION_BUDGET:,} values "
        f"reached through aliases, {compose.NODE_BUDGET:,} YAML nodes",
        f"| {tree.TREE_MAX_ENTRIES:,} entries;",
        f"| {input_limits.REGIONS_MAX_BYTES // mib} MiB |",
        f"| {write.FORCE_MAX_ENTRIES:,} entries |",
    ]:
        assert stated in limits, stated


def test_read_stream_bounded_for_standard_input():
    import io

    from wlid_render.input_limits import read_stream_bounded

    assert read_stream_bounded(io.BytesIO(b"spec"), 4) == b"spec"
    with pytest.raises(InputError, match="standard input is larger than 3 bytes"):
        read_stream_bounded(io.BytesIO(b"spec"), 3)
