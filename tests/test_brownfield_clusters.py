"""`wlid drift` over every cluster of an environment's `clusters:` list, on recorded ARM responses
(tests/cases/azure/clusters.json: two clusters, each with its own issuer; no network)."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("azure.mgmt.msi", reason="the wlid[azure] extra is not installed")

from azure_replay import CASES, FakeCredential, Replay

from wlid_render.brownfield import drift, read_environment_state
from wlid_render.plan.source import plan_source
from wlid_render.spec.load import load_text

ISSUER2 = "https://eastus.oic.prod-aks.azure.com/22222222-2222-2222-2222-222222222222/88888888-8888-8888-8888-888888888888/"
SPEC = """
apiVersion: wlid/v1
kind: WorkloadIdentitySpec
metadata: {name: lab}
azure: {subscriptionId: 11111111-1111-1111-1111-111111111111, resourceGroup: rg-wlid-lab, location: eastus}
clusters:
  - {name: aks-wlid-lab}
  - {name: aks-wlid-lab-2, resourceGroup: rg-wlid-lab-2}
identities:
  - {name: myIdentity}
  - {name: shop, federation: identityBinding}
serviceAccounts:
  - {name: workload-identity-sa, identity: myIdentity}
  - {name: shop-api, identity: shop}
"""
FIC2 = "default-workload-identity-sa-aks-wlid-lab-2"


def _interactions() -> list[dict]:
    return json.loads((CASES / "clusters.json").read_text("utf-8"))["interactions"]


def _answer(interactions: list[dict], path_end: str) -> dict:
    return next(i["response"]["body"] for i in interactions if i["request"]["path"].endswith(path_end))


def _drift(interactions: list[dict], spec: str = SPEC):  # type: ignore[no-untyped-def]
    plan = plan_source(load_text(spec, "spec.yaml"))
    transport = Replay(interactions)
    state = read_environment_state(
        plan, "default", credential=FakeCredential(), transport=transport, roles=False, retry_total=0
    )
    assert transport.all_used()
    return state, transport, drift(plan, "default", state)


def _kinds(report) -> list[tuple[str, str, str | None, str]]:  # type: ignore[no-untyped-def]
    return [(f.kind, f.identity, f.fic, f.severity) for f in report.findings]


def test_every_cluster_is_read_in_its_own_resource_group_and_everything_matches():
    state, transport, report = _drift(_interactions())
    assert [(c.name, c.resource_group, c.issuer_url) for c in state.clusters][1] == (
        "aks-wlid-lab-2",
        "rg-wlid-lab-2",
        ISSUER2,
    )
    assert state.cluster is state.clusters[0] and state.cluster.name == "aks-wlid-lab"
    assert all(c.bindings is not None for c in state.clusters)
    urls = [url for _, url, _ in transport.requests]
    assert any(
        "/resourceGroups/rg-wlid-lab-2/providers/Microsoft.ContainerService/managedClusters/aks-wlid-lab-2/identityBindings"
        in u
        for u in urls
    )
    assert report.findings == () and not report.has_drift


def test_a_fic_of_the_second_cluster_with_a_wrong_issuer_is_reported():
    interactions = _interactions()
    fics = _answer(interactions, "/myIdentity/federatedIdentityCredentials")["value"]
    wrong = "https://eastus.oic.prod-aks.azure.com/22222222-2222-2222-2222-222222222222/00000000-0000-0000-0000-000000000000/"
    next(f for f in fics if f["name"] == FIC2)["properties"]["issuer"] = wrong
    _, _, report = _drift(interactions)
    assert _kinds(report) == [("fic-issuer", "myIdentity", FIC2, "drift")]
    assert f"the spec's is {ISSUER2}" in report.findings[0].message


def test_a_missing_binding_on_the_second_cluster_is_reported():
    interactions = _interactions()
    _answer(interactions, "/aks-wlid-lab-2/identityBindings")["value"] = []
    _, _, report = _drift(interactions)
    assert _kinds(report) == [("missing-binding", "shop", None, "drift")]
    assert "no identity binding shop on cluster aks-wlid-lab-2" in report.findings[0].message


def test_the_checks_of_the_second_cluster_run_on_it():
    interactions = _interactions()
    props = _answer(interactions, "/managedClusters/aks-wlid-lab-2")["properties"]
    props["securityProfile"]["workloadIdentity"]["enabled"] = False
    _, _, report = _drift(interactions)
    assert _kinds(report) == [("cluster", "", None, "warning")]
    assert "cluster aks-wlid-lab-2" in report.findings[0].message


def test_a_pinned_issuer_of_the_second_cluster_is_compared_with_that_cluster():
    pinned = SPEC.replace(
        "resourceGroup: rg-wlid-lab-2}",
        "resourceGroup: rg-wlid-lab-2, oidcIssuerUrl: 'https://example.com/x/'}",
    )
    _, _, report = _drift(_interactions(), pinned)
    kinds = _kinds(report)
    assert ("cluster-issuer", "", None, "error") in kinds
    assert ("fic-issuer", "myIdentity", FIC2, "drift") in kinds  # FICs of cluster 2 get the pinned one
    assert not any(f.fic == "default-workload-identity-sa-aks-wlid-lab" for f in report.findings)


def test_a_hand_made_fic_trusting_the_second_cluster_is_extra_not_foreign():
    interactions = _interactions()
    fics = _answer(interactions, "/myIdentity/federatedIdentityCredentials")["value"]
    fics.append(
        {
            "name": "debug",
            "properties": {
                "issuer": ISSUER2,
                "subject": "system:serviceaccount:default:debug",
                "audiences": ["api://AzureADTokenExchange"],
            },
        }
    )
    _, _, report = _drift(interactions)
    assert _kinds(report) == [("extra-fic", "myIdentity", "debug", "drift")]


def test_wlid_drift_reads_every_cluster_and_exits_1_on_a_missing_binding(
    tmp_path, monkeypatch: pytest.MonkeyPatch
):  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    import wlid_render.brownfield as brownfield
    from wlid_render.cli import main

    spec = tmp_path / "wlid.yaml"
    spec.write_text(SPEC, "utf-8")
    roles = "/subscriptions/11111111-1111-1111-1111-111111111111/providers/Microsoft.Authorization/roleAssignments"
    none = [
        {
            "request": {
                "method": "GET",
                "path": roles,
                "query": {"api-version": "2022-04-01", "$filter": f"principalId eq '{principal}'"},
            },
            "response": {"status": 200, "headers": {}, "body": {"value": []}},
        }
        for principal in ("55555555-5555-5555-5555-555555555554", "55555555-5555-5555-5555-555555555559")
    ]
    real = brownfield.read_environment_state

    def run(interactions: list[dict]):  # type: ignore[no-untyped-def]
        transport = Replay(interactions + none)

        def read(*args, **kwargs):  # type: ignore[no-untyped-def]
            return real(*args, credential=FakeCredential(), transport=transport, **kwargs)

        monkeypatch.setattr(brownfield, "read_environment_state", read)
        result = CliRunner().invoke(main, ["drift", str(spec)])
        assert transport.all_used()
        return result

    clean = run(_interactions())
    assert clean.exit_code == 0 and "no drift" in clean.output, clean.output
    interactions = _interactions()
    _answer(interactions, "/aks-wlid-lab-2/identityBindings")["value"] = []
    drifted = run(interactions)
    assert drifted.exit_code == 1, drifted.output
    assert "no identity binding shop on cluster aks-wlid-lab-2" in drifted.output
