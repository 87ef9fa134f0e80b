"""Shared fixtures, constants and helpers of the tests (tests/ and benchmarks/ are on the import path
through pytest's `pythonpath` setting in pyproject.toml: `from conftest import ROOT`, `from generate
import spec_text`)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from k8s_trees import MULTI_SPEC, by_path, plan_of

from wlid_render.emit.artifact import Artifact
from wlid_render.emit.k8s import emit_kubernetes
from wlid_render.plan.model import Plan

ROOT = Path(__file__).resolve().parents[1]  # the repository
SPECS = sorted((ROOT / "specs").glob("*.yaml"))  # the example specs; out/<stem>/ is each one's rendering
LAB_SPEC = ROOT / "specs" / "lab.yaml"

# Helper modules that import the constants above from here (after them, so that the import is not circular):
from bicep_plans import PLANS  # noqa: E402


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


def copy_example(name: str, into: Path) -> Path:
    """A copy of the committed tree out/<name> at into/<name>, for a test to edit."""
    copy = into / name
    shutil.copytree(ROOT / "out" / name, copy, symlinks=True)
    return copy


@pytest.fixture
def lab_copy(tmp_path: Path) -> Path:
    """A copy of out/lab that the test may edit."""
    return copy_example("lab", tmp_path)


@pytest.fixture
def platform_copy(tmp_path: Path) -> Path:
    """A copy of out/platform that the test may edit."""
    return copy_example("platform", tmp_path)


def imported_packages(*args: str) -> set[str]:
    """The top-level packages a `python -m wlid_render ARGS...` process imports (python -X importtime),
    run from the repository; it must exit 0."""
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "wlid_render", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [line.split("|")[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")]
    return {name.split(".")[0] for name in lines[1:]}  # the first line is the header


def write_tree(artifacts: Iterable[Artifact], root: Path) -> None:
    """Write rendered files under `root` as they are, without the writer's manifest or checks."""
    for artifact in artifacts:
        target = root / artifact.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(artifact.data)


# -- the Kubernetes emitter's plans and trees (tests/test_k8s*.py) -----------------------------------
@pytest.fixture(scope="session")
def lab_plan() -> Plan:
    return plan_of(LAB_SPEC.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def lab(lab_plan: Plan) -> dict[str, Any]:
    """The lab's Kubernetes files by path, parsed (see k8s_trees.by_path)."""
    return by_path(emit_kubernetes(lab_plan))


@pytest.fixture(scope="session")
def multi_plan() -> Plan:
    return plan_of(MULTI_SPEC)


@pytest.fixture(scope="session")
def multi(multi_plan: Plan) -> dict[str, Any]:
    """The Kubernetes files of k8s_trees.MULTI_SPEC by path, parsed."""
    return by_path(emit_kubernetes(multi_plan))


# -- the plans the Bicep tests emit (tests/test_bicep*.py) ------------------------------------------
@pytest.fixture(scope="session", params=sorted(PLANS))
def bicep_plan(request: pytest.FixtureRequest) -> Plan:
    """Each plan of bicep_plans.PLANS in turn (plans are frozen: one per session)."""
    return PLANS[request.param]()
