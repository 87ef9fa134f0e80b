"""The plan-level facts of the cluster step, and the commands that the pipelines, the README and
`wlid whatif` build from them (views/az.py)."""

from __future__ import annotations

import json
import shlex

from conftest import ROOT

from wlid_render.plan.cluster import cluster_steps
from wlid_render.plan.source import plan_source
from wlid_render.spec.load import load_file
from wlid_render.views.az import FLAGS_QUERY, cluster_flags_check, cluster_flags_fix, cluster_flags_message


def test_each_environment_names_its_cluster_and_whether_the_template_writes_it() -> None:
    plan = plan_source(load_file(str(ROOT / "specs" / "platform.yaml")))
    steps = {s.environment: s for s in cluster_steps(plan)}
    assert set(steps) == {"dev", "staging", "prod"}
    assert steps["dev"].written_by_template and not steps["prod"].written_by_template
    prod = steps["prod"]
    assert (prod.subscription_id, prod.resource_group, prod.name) == (
        "11111111-1111-1111-1111-111111111111",
        "rg-platform-aks",
        "aks-platform-prod",
    )
    check = cluster_flags_check(prod)
    assert check is not None and shlex.join(check) == (
        "az aks show --subscription 11111111-1111-1111-1111-111111111111 --resource-group rg-platform-aks "
        f"--name aks-platform-prod --query '{FLAGS_QUERY}' --output json"
    )
    assert cluster_flags_fix(prod).endswith(" --enable-oidc-issuer --enable-workload-identity")
    assert cluster_flags_fix(prod) in cluster_flags_message(prod)
    assert "restarts the API server" in cluster_flags_message(prod)
    assert cluster_flags_check(steps["dev"]) is None  # the template turns the flags on: nothing to check


def test_the_steps_agree_with_the_parameters_files() -> None:
    """The cluster a pipeline checks is the cluster the template reads in that environment."""
    plan = plan_source(load_file(str(ROOT / "specs" / "platform.yaml")))
    for step in cluster_steps(plan):
        params = json.loads(
            (ROOT / f"out/platform/azure/params/{step.environment}.parameters.json").read_text()
        )
        values = {k: v["value"] for k, v in params["parameters"].items()}
        assert values["clusterName"] == step.name
        assert values["clusterResourceGroup"] == step.resource_group
        assert values["clusterSubscriptionId"] == step.subscription_id
        assert values.get("enableWorkloadIdentity", False) is step.written_by_template
