"""Commands that write one file (init, schema) write it whole or not at all, and fail with exit 2."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from wlid_render.cli import main


@pytest.mark.parametrize(
    "args", [["init", "/proc/wlid.yaml"], ["schema", "-o", "/proc/wlid.schema.json"]], ids=["init", "schema"]
)
def test_a_file_that_cannot_be_written_is_exit_2_with_a_message(args):
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert f"cannot write {args[-1]}" in result.stderr and "is unchanged" in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_init_makes_the_folder_and_a_file_with_the_usual_mode(tmp_path: Path):
    path = tmp_path / "new" / "wlid.yaml"
    umask = os.umask(0o022)
    try:
        assert CliRunner().invoke(main, ["init", str(path)]).exit_code == 0
    finally:
        os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert sorted(p.name for p in path.parent.iterdir()) == ["wlid.yaml"]


def test_schema_over_an_existing_file_keeps_its_mode(tmp_path: Path):
    path = tmp_path / "schema.json"
    path.write_text("{}\n")
    os.chmod(path, 0o600)
    assert CliRunner().invoke(main, ["schema", "-o", str(path)]).exit_code == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and len(path.read_text()) > 100
