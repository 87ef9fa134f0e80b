from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SPECS = sorted((ROOT / "specs").glob("*.yaml"))
sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """With WLID_REQUIRE_KUBECTL=1 (set by .ci/run), a kubectl test that skips is a failure."""
    outcome = yield
    report = outcome.get_result()
    if (
        report.skipped
        and item.get_closest_marker("kubectl")
        and os.environ.get("WLID_REQUIRE_KUBECTL") == "1"
    ):
        report.outcome = "failed"
        report.longrepr = (
            f"{item.nodeid}: skipped, but kubectl tests are mandatory here (WLID_REQUIRE_KUBECTL=1)"
        )


def spec_models() -> set[type]:
    """Every pydantic model reachable from the spec's root model."""
    import typing

    from pydantic import BaseModel

    from wlid_render.spec.models import Spec

    seen: set[type] = set()
    stack: list[type] = [Spec]
    while stack:
        model = stack.pop()
        if model in seen:
            continue
        seen.add(model)
        for field in model.model_fields.values():
            annotations = [field.annotation]
            while annotations:
                current = annotations.pop()
                annotations.extend(typing.get_args(current))
                if isinstance(current, type) and issubclass(current, BaseModel):
                    stack.append(current)
    return seen
