"""Operations that need the plan only, not the rendered files: `explain`, and the environment that
`wlid drift` compares with Azure."""

from __future__ import annotations

from typing import NamedTuple

from wlid_render.plan.model import Plan
from wlid_render.plan.source import plan_source
from wlid_render.spec.load import Source
from wlid_render.views.explain import EnvironmentView, environment_views
from wlid_render.workflow.inputs import SpecInput, plan_environment


class Planned(NamedTuple):
    source: Source
    plan: Plan


def plan_spec(spec: SpecInput) -> Planned:
    """Load and plan a spec. Raises SpecError with every problem, located."""
    source = spec.load()
    return Planned(source, plan_source(source))


class Explained(NamedTuple):
    file: str  # the spec, as problems name it
    name: str  # its metadata.name
    views: list[EnvironmentView]  # per environment, in plan order


def explain(spec: SpecInput, env: str | None, ignored: tuple[str, ...] = ()) -> Explained:
    """What is wired to what in every environment of `spec` (only `env` when given), with the warnings
    of the plan (but those with codes in `ignored`) located in the spec."""
    from wlid_render.warning_codes import without_ignored

    source, plan = plan_spec(spec)
    if env is not None:
        plan_environment(plan, env)  # ChoiceError unless the spec has it
    warnings = [
        w.located(source.file, source.marks, source.key_marks)
        for w in without_ignored(plan.warnings, ignored)
    ]
    return Explained(source.file, plan.name, environment_views(plan, env, warnings))


def planned_environment(spec: SpecInput, env: str | None) -> tuple[Plan, str]:
    """The plan of `spec` and the environment chosen (`env`, or the only one)."""
    _, plan = plan_spec(spec)
    return plan, plan_environment(plan, env)
