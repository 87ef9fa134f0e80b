"""Regression guard: rendering grows linearly with the estate.

Not a timing test with an absolute bound: the same run renders N and 4N workloads and compares CPU
time. Linear growth gives 4.3x to 4.6x here (fixed costs weigh more at N); a quadratic step (a name
lookup in a list, a duplicate check of every pair, a dependsOn chain rebuilt per FIC) gives up to
16x. Checked by hand: one membership test per workload in a list of the workloads seen so far gives
6.1x. The sizes matter: the faster the linear work, the larger N must be for such a step to show. CPU time, not wall time, so that a loaded machine does not fail it.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from cpu_timing import best_cpu_seconds
from generate import environments_spec_text, spec_text

from wlid_render.errors import SpecError
from wlid_render.spec.load import load_text
from wlid_render.workflow.pipeline import render_source

SMALL = 1000  # multiples of 20 keep 20 ServiceAccounts per identity
FACTOR = 4
BOUND = 5.5  # linear is 4.3x to 4.6x here (fixed costs), quadratic up to 16x


def _cpu_seconds(n: int) -> float:
    """Best CPU time of two renders of `n` workloads (tests/cpu_timing.py)."""
    text = spec_text(n)

    def render() -> None:
        rendering = render_source(load_text(text, f"n{n}.yaml"))
        assert len(rendering.plan.workloads) == n

    return best_cpu_seconds(render)


@pytest.mark.slow
def test_rendering_grows_linearly() -> None:
    _cpu_seconds(20)  # warm imports and template caches
    small = _cpu_seconds(SMALL)
    large = _cpu_seconds(SMALL * FACTOR)
    ratio = large / small
    assert ratio < BOUND, (
        f"rendering {SMALL * FACTOR} workloads took {ratio:.1f}x the time of {SMALL} "
        f"({large:.2f} s against {small:.2f} s CPU); linear growth is about {FACTOR}x. "
        "Profile with `python -m cProfile -s cumtime -m wlid_render render SPEC -o /tmp/out` on "
        "`python benchmarks/generate.py 4000` to find the super-linear step."
    )


# One workload in many environments (benchmarks/generate.py --environments). Validating the whole spec
# for each environment made this quadratic, since the spec holds the environments: 12x to 16x for 4x
# the environments (1,000 environments took 8 s of CPU and 1.8 GB). Linear gives 3.9x to 4.7x here.
ENV_BOUND = 6.0
ENV_SIZES = {"valid": 250, "invalid": 500}  # an invalid spec stops early: more environments to see it


def _environments_cpu_seconds(n: int, broken: bool) -> float:
    """Best CPU time of two renders of one workload in `n` environments; `broken`: every environment
    has an error (an unknown variable), and the time is that of finding and reporting them all."""
    text = environments_spec_text(n, broken)

    def render() -> None:
        try:
            rendering = render_source(load_text(text, f"e{n}.yaml"))
            assert not broken and len(rendering.plan.environments) == n
        except SpecError as exc:
            assert broken and len(exc.problems) == n, exc.problems[:3]

    return best_cpu_seconds(render)


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(ENV_SIZES))
def test_rendering_grows_linearly_with_environments(case: str) -> None:
    broken = case == "invalid"
    _environments_cpu_seconds(5, broken)  # warm imports and caches
    small = ENV_SIZES[case]
    ratio = _environments_cpu_seconds(small * FACTOR, broken) / _environments_cpu_seconds(small, broken)
    assert ratio < ENV_BOUND, (
        f"a {case} spec with {small * FACTOR} environments took {ratio:.1f}x the time of {small}; linear "
        f"growth is about {FACTOR}x. Profile `python benchmarks/generate.py --environments "
        f"{small * FACTOR}` as described above."
    )


# The checks of the spec as a whole run once for each distinct part of the spec they read, not once for
# each environment (plan/steps/scope.py): run per environment and deduplicated, they grew with
# environments times entries.
def _counted(monkeypatch: pytest.MonkeyPatch, module: object, names: list[str]) -> Counter[str]:
    calls: Counter[str] = Counter()
    for name in names:
        real = getattr(module, name)

        def counting(*args: object, _real: Any = real, _name: str = name) -> Any:
            calls[_name] += 1
            return _real(*args)

        monkeypatch.setattr(module, name, counting)
    return calls


def test_spec_wide_checks_run_once_for_all_environments(monkeypatch: pytest.MonkeyPatch) -> None:
    from wlid_render.plan import build

    names = ["placeholder_collisions", "duplicate_identities", "duplicate_service_accounts"]
    calls = _counted(monkeypatch, build, names)
    rendering = render_source(load_text(environments_spec_text(40), "e40.yaml"))
    assert len(rendering.plan.environments) == 40
    assert calls == dict.fromkeys(names, 1)


def test_entries_the_same_in_every_environment_are_checked_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The workloads and roles of benchmarks/generate.py use no ${env}: each is checked and planned
    once for its three environments. (Its one workload in many environments uses ${vars.imageTag}:
    that one is checked in each.)"""
    from wlid_render.plan.steps import role_assignments, workloads

    workload_calls = _counted(monkeypatch, workloads, ["workload_problems"])
    role_calls = _counted(monkeypatch, role_assignments, ["_role_deployments"])
    rendering = render_source(load_text(spec_text(100), "n100.yaml"))
    assert len(rendering.plan.environments) == 3
    assert workload_calls == {"workload_problems": 100}
    assert role_calls == {"_role_deployments": 5}
    monkeypatch.undo()
    workload_calls = _counted(monkeypatch, workloads, ["workload_problems"])
    render_source(load_text(environments_spec_text(7), "e7.yaml"))
    assert workload_calls == {"workload_problems": 7}
