"""A fleet in identityBinding mode (50 clusters x 1,000 workloads): rendering grows linearly, and every
template stays inside ARM's limits (the identities split over several deployments as before)."""

from __future__ import annotations

import json

import pytest
from cpu_timing import best_cpu_seconds
from generate_clusters import clusters_spec_text

from wlid_render.spec.load import load_text
from wlid_render.workflow.pipeline import render_source

CLUSTERS = 50
SMALL = 250
FACTOR = 4
BOUND = 5.5  # as tests/test_scaling.py: linear is about 4x plus fixed costs, quadratic up to 16x
MAX_RESOURCES = 800  # per template, nested templates' resources included
MAX_PARAMETERS = 256
MAX_TEMPLATE_BYTES = 4 * 1024 * 1024


def _render(n: int):  # type: ignore[no-untyped-def]
    return render_source(load_text(clusters_spec_text(n, CLUSTERS), f"fleet{n}.yaml"))


def _cpu_seconds(n: int) -> float:
    def render() -> None:
        assert len(_render(n).plan.workloads) == n

    return best_cpu_seconds(render)


@pytest.mark.slow
def test_a_fleet_in_bindings_mode_renders_linearly() -> None:
    _cpu_seconds(20)
    small = _cpu_seconds(SMALL)
    large = _cpu_seconds(SMALL * FACTOR)
    ratio = large / small
    assert ratio < BOUND, (
        f"{SMALL * FACTOR} workloads on {CLUSTERS} clusters took {ratio:.1f}x the time of {SMALL}"
    )


def _count(resources: list[dict]) -> int:
    total = 0
    for resource in resources:
        total += 1
        nested = resource.get("properties", {}).get("template")
        if isinstance(nested, dict):
            total += _count(nested.get("resources", []))
    return total


@pytest.mark.slow
def test_a_fleet_of_50_clusters_and_1000_workloads_stays_inside_arm_limits() -> None:
    rendering = _render(1000)
    plan = rendering.plan
    assert sum(len(i.bindings) for i in plan.identities) == 50 * CLUSTERS  # 50 identities x 50 clusters
    assert all(i.credentials == () for i in plan.identities)
    templates = {
        a.path: a.text
        for a in rendering.artifacts
        if a.path.startswith("azure/")
        and a.path.endswith(".json")
        and "/params/" not in a.path
        and a.path != "azure/targets.json"
    }
    assert len(templates) > 2, "the identities are split over several deployments"
    for path, text in templates.items():
        doc = json.loads(text)
        assert _count(doc["resources"]) <= MAX_RESOURCES, path
        assert len(doc["parameters"]) <= MAX_PARAMETERS, path
        assert len(text.encode()) <= MAX_TEMPLATE_BYTES, path
