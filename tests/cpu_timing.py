"""CPU time of a piece of work, as the scaling tests compare it."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable


def best_cpu_seconds(work: Callable[[], object], runs: int = 2) -> float:
    """Best CPU time of `runs` calls of `work`, without the cyclic garbage collector (whose passes grow
    with the heap; the CLI switches it off for a render, as here)."""
    best = float("inf")
    enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(runs):
            start = time.process_time()
            work()
            best = min(best, time.process_time() - start)
    finally:
        if enabled:
            gc.enable()
    return best
