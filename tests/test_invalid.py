"""Every bad-input case: exit 2, FILE:LINE:COL, the expected message, no traceback, nothing written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from wlid_render.cli import main

CASES = sorted((Path(__file__).parent / "cases" / "invalid").glob("*.yaml"))
SPECIAL = {"empty": "the file is empty"}


def _expected(case: Path) -> list[str]:
    if case.stem in SPECIAL:
        return [SPECIAL[case.stem]]
    lines = case.read_text("utf-8").splitlines()
    return [line.removeprefix("# expect: ") for line in lines if line.startswith("# expect: ")]


def test_there_is_a_case_for_every_rule():
    assert len(CASES) >= 20


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_invalid_spec(case: Path, tmp_path: Path, snapshot):
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["render", str(case), "-o", str(out)])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    stderr = result.stderr
    assert "Traceback" not in stderr
    expected = _expected(case)
    assert expected, f"{case.name} says what it expects in a '# expect: ' line"
    for text in expected:
        assert text in stderr
    first = stderr.splitlines()[0]
    assert re.match(rf"{re.escape(str(case))}:\d+:\d+: ", first), first
    assert not out.exists(), "an invalid spec writes nothing"
    assert stderr.replace(str(case.parent), "CASES") == snapshot
