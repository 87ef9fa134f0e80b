"""A loaded spec -> its Plan, with every problem located in the spec file."""

from __future__ import annotations

from collections.abc import Mapping

from wlid_render.errors import SpecError
from wlid_render.plan.build import build_plan
from wlid_render.plan.model import Plan
from wlid_render.plan.secrets import secret_problems
from wlid_render.spec.load import Source
from wlid_render.spec.parse import parse_environments


def plan_source(source: Source, bound: Mapping[str, Mapping[str, str]] | None = None) -> Plan:
    """Validate and resolve a loaded spec; problems come back located in the spec file.

    `bound`: client IDs per environment read from deployment outputs (see workflow/outputs.py read_outputs).
    """
    leaks = secret_problems(source.data, source.not_secrets)  # every string: it all goes to Git
    try:
        plan = build_plan(parse_environments(source), bound)
    except SpecError as exc:
        raise SpecError(
            p.located(source.file, source.marks, source.key_marks) for p in (*leaks, *exc.problems)
        ) from None
    if leaks:
        raise SpecError(p.located(source.file, source.marks, source.key_marks) for p in leaks)
    return plan
