"""Regression guard: rendering grows linearly with the estate.

Not a timing test with an absolute bound: the same run renders N and 4N workloads and compares CPU
time. Linear growth gives 4.3x to 4.6x here (fixed costs weigh more at N); a quadratic step (a name
lookup in a list, a duplicate check of every pair, a dependsOn chain rebuilt per FIC) gives up to
16x. Checked by hand: one membership test per workload in a list of the workloads seen so far gives
6.1x. The sizes matter: the faster the linear work, the larger N must be for such a step to show. CPU time, not wall time, so that a loaded machine does not fail it.
"""

from __future__ import annotations

import gc
import sys
import time
from pathlib import Path

from wlid_render.load import load_text
from wlid_render.render import render_source

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from generate import spec_text

SMALL = 1000  # multiples of 20 keep 20 ServiceAccounts per identity
FACTOR = 4
BOUND = 5.5  # linear is 4.3x to 4.6x here (fixed costs), quadratic up to 16x


def _cpu_seconds(n: int) -> float:
    """Best CPU time of two renders, without the cyclic garbage collector (whose passes grow with the
    heap; the CLI switches it off for a render, as here)."""
    text = spec_text(n)
    best = float("inf")
    enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(2):
            start = time.process_time()
            rendering = render_source(load_text(text, f"n{n}.yaml"))
            best = min(best, time.process_time() - start)
            assert len(rendering.plan.workloads) == n
    finally:
        if enabled:
            gc.enable()
    return best


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
