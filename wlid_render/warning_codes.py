"""The catalogue of render-time warnings: stable codes and what each is about.

A warning is a `Problem(..., severity="warning", code=...)`; its code lets a user silence it per code
(`metadata.ignoreWarnings` in the spec, `--ignore` on the command line). Codes are never reused.
"""

from __future__ import annotations

WARNINGS: dict[str, str] = {
    # W250-W299: workloads
    "W250": "a container sets an environment variable the workload identity webhook would set",
}
