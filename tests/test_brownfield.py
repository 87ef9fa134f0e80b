"""wlid import / wlid drift, library part: reading Azure through the SDK, importing, comparing.

No network: the SDK runs against an azure-core transport that replays recorded ARM responses from
tests/cases/azure/ (see the README there), and a credential that hands out a fixed fake token.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from urllib.parse import parse_qsl, urlsplit

import pytest
import yaml

pytest.importorskip("azure.mgmt.msi")
pytest.importorskip("azure.identity")

from azure.core.exceptions import ClientAuthenticationError
from azure.identity import CredentialUnavailableError
from azure_replay import CASES, RG, SUB, TOKEN, FakeCredential, Replay, replay
from conftest import LAB_SPEC, ROOT

from wlid_render.brownfield import (
    AzureState,
    BrownfieldError,
    FicState,
    IdentityState,
    build_import,
    drift,
    format_drift,
    import_spec,
    read_environment_state,
    read_state,
)
from wlid_render.brownfield.drift import CONFLICT_MESSAGE
from wlid_render.plan.model import AUDIENCE
from wlid_render.plan.source import plan_source
from wlid_render.spec.load import load_file, load_text

ISSUER = "https://eastus.oic.prod-aks.azure.com/22222222-2222-2222-2222-222222222222/33333333-3333-3333-3333-333333333333/"
LAB_SUBJECT = "system:serviceaccount:default:workload-identity-sa"
FAST = {"retry_backoff_factor": 0.001}  # retries wait next to nothing (the transport records waits)


def read(case: str, **kwargs: object) -> tuple[AzureState, Replay]:
    transport = replay(case)
    options = {"cluster_name": "aks-wlid-lab", **FAST, **kwargs}
    state = read_state(SUB, RG, credential=FakeCredential(), transport=transport, **options)  # type: ignore[arg-type]
    return state, transport


def plan_of(text: str):  # type: ignore[no-untyped-def]
    return plan_source(load_text(text, "spec.yaml"))


def findings(report) -> list[tuple[str, str, str | None, str]]:  # type: ignore[no-untyped-def]
    return [(f.kind, f.identity, f.fic, f.severity) for f in report.findings]


# -- reading -------------------------------------------------------------------------------------------


def test_the_lab_is_read_read_only_with_the_credential():
    state, transport = read("lab")
    assert transport.all_used()
    assert {method for method, _, _ in transport.requests} == {"GET"}
    assert all(headers["Authorization"] == f"Bearer {TOKEN}" for _, _, headers in transport.requests)
    assert state.subscription_id == SUB and state.resource_group == RG
    (identity,) = state.identities
    assert (identity.name, identity.location, identity.client_id) == (
        "myIdentity",
        "eastus",
        "44444444-4444-4444-4444-444444444444",
    )
    assert identity.credentials == (FicState("myFedIdentity", ISSUER, LAB_SUBJECT, (AUDIENCE,)),)
    assert state.cluster is not None
    assert (state.cluster.name, state.cluster.issuer_url, state.cluster.workload_identity) == (
        "aks-wlid-lab",
        ISSUER,
        True,
    )
    api_versions = {dict(parse_qsl(urlsplit(url).query))["api-version"] for _, url, _ in transport.requests}
    assert api_versions == {"2024-11-30", "2026-05-01"}


def test_pages_are_followed_through_next_link():
    state, transport = read("paged")
    assert transport.all_used()
    assert [i.name for i in state.identities] == ["api", "worker"]
    assert [f.name for f in state.identities[0].credentials] == ["shop-api", "shop-api-canary"]
    assert [f.name for f in state.identities[1].credentials] == ["shop-worker"]


def test_403_names_the_missing_permission():
    with pytest.raises(BrownfieldError) as caught:
        read("forbidden")
    message = caught.value.message
    assert "permission denied (403 AuthorizationFailed)" in message
    assert "Microsoft.ManagedIdentity/userAssignedIdentities/read" in message
    assert "resource group 'rg-wlid-lab'" in message and "Reader" in message
    assert "Traceback" not in message and "\n" not in message


def test_throttling_is_retried_after_the_time_azure_asks_for():
    state, transport = read("throttled")
    assert transport.all_used()
    assert transport.slept == [2.0]  # Retry-After: 2, honoured by the SDK's retry policy
    assert [i.name for i in state.identities] == ["myIdentity"]


def test_throttling_that_does_not_end_is_a_clear_error():
    throttled = {
        "status": 429,
        "headers": {},
        "body": {"error": {"code": "TooManyRequests", "message": "slow"}},
    }
    path = (
        f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities"
    )
    request = {"method": "GET", "path": path, "query": {"api-version": "2024-11-30"}}
    transport = Replay([{"request": request, "response": throttled}] * 3)
    with pytest.raises(BrownfieldError, match=r"throttled the requests \(429 TooManyRequests\)"):
        read_state(SUB, RG, credential=FakeCredential(), transport=transport, retry_total=2, **FAST)
    assert len(transport.requests) == 3
    assert all(wait < 0.01 for wait in transport.slept)


def test_not_logged_in_is_a_clear_error_and_sends_nothing():
    transport = replay("lab")
    credential = FakeCredential(
        CredentialUnavailableError("DefaultAzureCredential failed to retrieve a token")
    )
    with pytest.raises(BrownfieldError) as caught:
        read_state(SUB, RG, cluster_name="aks-wlid-lab", credential=credential, transport=transport)
    assert caught.value.message.startswith("not logged in: run `az login`")
    assert transport.requests == []


def test_default_credential_is_used_when_none_is_given(monkeypatch):
    import azure.identity

    created: list[object] = []

    class NotLoggedIn(FakeCredential):
        def __init__(self, **kwargs: object):
            super().__init__(CredentialUnavailableError("no credential"))
            created.append(self)

        def close(self) -> None:
            pass

    monkeypatch.setattr(azure.identity, "DefaultAzureCredential", NotLoggedIn)
    with pytest.raises(BrownfieldError, match=r"^not logged in: run `az login`"):
        read_state(SUB, RG, cluster_name="aks-wlid-lab", transport=replay("lab"))
    assert len(created) == 1


def test_an_expired_login_says_so():
    error = ClientAuthenticationError(
        "AADSTS700082: The refresh token has expired due to inactivity.\nTrace ID: x"
    )
    with pytest.raises(BrownfieldError) as caught:
        read_state(SUB, RG, credential=FakeCredential(error), transport=replay("lab"))
    assert caught.value.message.startswith("not logged in: run `az login`")
    assert "AADSTS700082" in caught.value.message and "Trace ID" not in caught.value.message


def test_a_token_for_another_tenant_is_refused_with_a_hint():
    body = {
        "error": {
            "code": "InvalidAuthenticationTokenTenant",
            "message": "The access token is from the wrong issuer.",
        }
    }
    path = (
        f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities"
    )
    transport = Replay(
        [
            {
                "request": {"method": "GET", "path": path, "query": {"api-version": "2024-11-30"}},
                "response": {"status": 401, "headers": {}, "body": body},
            }
        ]
    )
    with pytest.raises(
        BrownfieldError, match=r"refused the credential \(401 InvalidAuthenticationTokenTenant\).*--tenant"
    ):
        read_state(SUB, RG, credential=FakeCredential(), transport=transport)


def test_a_missing_resource_group_or_cluster_is_named():
    path = f"/subscriptions/{SUB}/resourceGroups/rg-nope/providers/Microsoft.ManagedIdentity/userAssignedIdentities"
    body = {
        "error": {"code": "ResourceGroupNotFound", "message": "Resource group 'rg-nope' could not be found."}
    }
    transport = Replay(
        [
            {
                "request": {"method": "GET", "path": path, "query": {"api-version": "2024-11-30"}},
                "response": {"status": 404, "headers": {}, "body": body},
            }
        ]
    )
    with pytest.raises(BrownfieldError, match=f"^resource group 'rg-nope' not found in subscription {SUB}$"):
        read_state(SUB, "rg-nope", credential=FakeCredential(), transport=transport)

    interactions = json.loads((CASES / "lab.json").read_text("utf-8"))["interactions"]
    interactions[-1]["request"]["path"] = interactions[-1]["request"]["path"].replace(
        "aks-wlid-lab", "aks-nope"
    )
    interactions[-1]["response"] = {
        "status": 404,
        "headers": {},
        "body": {"error": {"code": "ResourceNotFound", "message": "not found"}},
    }
    with pytest.raises(
        BrownfieldError, match=r"^AKS cluster 'aks-nope' not found in resource group 'rg-wlid-lab'"
    ):
        read_state(
            SUB, RG, cluster_name="aks-nope", credential=FakeCredential(), transport=Replay(interactions)
        )


def test_a_subscription_name_is_refused_before_any_request():
    with pytest.raises(BrownfieldError, match="not a subscription ID"):
        read_state("my-subscription", RG, credential=FakeCredential(), transport=replay("lab"))


def test_without_the_sdk_the_message_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "azure.mgmt.msi", None)
    with pytest.raises(BrownfieldError, match=r"pip install 'wlid\[azure\]'"):
        read_state(SUB, RG, credential=FakeCredential(), transport=replay("lab"))


def test_importing_the_package_does_not_import_the_azure_sdks():
    code = (
        "import sys, wlid_render.brownfield; print(sorted(m for m in sys.modules if m.startswith('azure')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# -- import --------------------------------------------------------------------------------------------


def test_the_lab_imports_to_a_spec_that_plans_the_same_identity_and_fic():
    state, _ = read("lab")
    text = import_spec(state)
    plan = plan_of(text)
    (identity,) = plan.identities
    assert identity.name == "myIdentity" and identity.condition is None
    (fic,) = identity.credentials
    assert (fic.name, fic.subject, fic.condition) == ("myFedIdentity", LAB_SUBJECT, None)
    (env,) = plan.environments
    assert (env.name, env.subscription_id, env.resource_group, env.location) == ("default", SUB, RG, "eastus")
    # the issuer is the cluster's: read from aks-wlid-lab by the template, not pinned
    assert (env.cluster_name, env.cluster_resource_group, env.oidc_issuer_url) == ("aks-wlid-lab", RG, None)
    assert not plan.pins_issuer and not plan.enables_workload_identity
    assert dict(env.client_ids) == {"myIdentity": "44444444-4444-4444-4444-444444444444"}
    # the ARM template writes the FIC with that name, subject and audience
    from wlid_render.emit.arm import emit_arm

    rendered = "".join(a.text for a in emit_arm(plan))
    assert '"subject": "system:serviceaccount:default:workload-identity-sa"' in rendered
    assert "myFedIdentity" in rendered and AUDIENCE in rendered
    # and what the spec deploys is what exists
    report = drift(plan, "default", state)
    assert report.findings == () and not report.has_drift
    assert format_drift(report).startswith("no drift: 1 identity(ies) and 1 federated credential(s) match")
    assert TOKEN not in text


def test_the_imported_lab_matches_the_bundled_lab_spec():
    state, _ = read("lab")
    imported = plan_of(import_spec(state))
    bundled = plan_source(load_file(str(LAB_SPEC)))

    def fics(plan):  # type: ignore[no-untyped-def]
        return [(i.name, [(c.name, c.subject) for c in i.credentials]) for i in plan.identities]

    assert fics(imported) == fics(bundled)
    assert drift(bundled, "default", state).findings == ()


def test_the_imported_spec_is_commented_and_its_values_are_yaml_scalars():
    state, _ = read("lab")
    text = import_spec(state)
    assert text.startswith("# A wlid spec imported from Azure by `wlid import`")
    assert "role assignments" in text
    assert "federatedCredentialName: myFedIdentity\n" in text
    data = yaml.safe_load(text)
    assert data["serviceAccounts"] == [
        {
            "name": "workload-identity-sa",
            "namespace": "default",
            "identity": "myIdentity",
            "federatedCredentialName": "myFedIdentity",
        }
    ]
    assert data["environments"] == {
        "default": {"clientIds": {"myIdentity": "44444444-4444-4444-4444-444444444444"}}
    }


def test_derived_fic_names_are_left_out():
    state, _ = read("paged")
    imported = build_import(state)
    assert "federatedCredentialName" not in imported.text
    assert imported.credentials == 3 and imported.skipped == ()
    plan = plan_of(imported.text)
    assert [(c.name, c.subject) for i in plan.identities for c in i.credentials] == [
        ("shop-api", "system:serviceaccount:shop:api"),
        ("shop-api-canary", "system:serviceaccount:shop:api-canary"),
        ("shop-worker", "system:serviceaccount:shop:worker"),
    ]
    assert drift(plan, "default", state).findings == ()


def test_what_is_not_imported_is_listed_as_comments():
    state, transport = read("mixed", cluster_name=None)
    assert transport.all_used()
    assert state.cluster is not None and state.cluster.name == "aks-wlid-lab"  # the issuer the FICs trust
    imported = build_import(state)
    text = imported.text
    reasons = {(s.identity, s.fic): s.reason for s in imported.skipped}
    assert reasons[("myIdentity", "github-deploy")].startswith("GitHub Actions: issuer https://token.actions")
    assert reasons[("myIdentity", "old-cluster")].startswith("another AKS cluster")
    assert reasons[("myIdentity", "custom-audience")].startswith("audience api://contoso-exchange")
    assert "is not system:serviceaccount:<namespace>:<name>" in reasons[("myIdentity", "odd-subject")]
    assert "already imported for identity myIdentity" in reasons[("payments-api", "shared-sa")]
    assert "region westeurope" in reasons[("eu-reports", None)]
    assert reasons[("eu-reports", "reports")] == "its identity is not imported"
    for identity, fic in reasons:  # every one of them is in the text, in a comment
        line = next(line for line in text.splitlines() if (fic or identity) in line and "#" in line)
        assert line.lstrip().startswith("#")
    assert "# tags in Azure: cost-center='0042', team=payments" in text
    plan = plan_of(text)
    assert [i.name for i in plan.identities] == ["myIdentity", "payments-api"]
    assert [(c.name, c.subject) for i in plan.identities for c in i.credentials] == [
        ("default-debug-sa", "system:serviceaccount:default:debug-sa"),
        ("myFedIdentity", LAB_SUBJECT),
        ("payments-payments-api", "system:serviceaccount:payments:payments-api"),
    ]
    assert (
        "\n  - name: debug-sa\n    namespace: default\n    identity: myIdentity\n  - " in text
    )  # derived name


def test_a_github_actions_fic_is_a_comment_and_not_a_service_account():
    state, _ = read("mixed", cluster_name=None)
    text = import_spec(state)
    (line,) = [line for line in text.splitlines() if "github-deploy" in line]
    assert line == (
        "    #   github-deploy: GitHub Actions: issuer https://token.actions.githubusercontent.com, "
        "subject repo:contoso/shop:environment:prod"
    )
    subjects = {c.subject for i in plan_of(text).identities for c in i.credentials}
    assert not any(s.startswith("repo:") for s in subjects)


def test_values_from_azure_cannot_break_out_of_their_lines():
    hostile = IdentityState(
        "myIdentity",
        "eastus",
        (
            FicState("myFedIdentity", ISSUER, LAB_SUBJECT, (AUDIENCE,)),
            FicState("evil", "https://example.com/\nserviceAccounts: []\n#", "x\r\ny: z", ("yes",)),
        ),
        client_id="44444444-4444-4444-4444-444444444444",
        tags=(("note", "line one\nworkloads: [oops]  # not a key"), ("on", "yes")),
    )
    state = AzureState(SUB, RG, (hostile,), _lab_cluster())
    text = import_spec(state)
    data = yaml.safe_load(text)
    assert set(data) == {
        "apiVersion",
        "kind",
        "metadata",
        "azure",
        "cluster",
        "identities",
        "serviceAccounts",
        "workloads",
        "environments",
    }
    assert data["workloads"] == [] and len(data["serviceAccounts"]) == 1
    assert text.isascii()
    assert '"https://example.com/\\nserviceAccounts: []\\n#"' in text
    plan_of(text)


def test_nothing_to_import_is_a_clear_error():
    with pytest.raises(BrownfieldError, match="nothing to import from resource group 'rg-wlid-lab'"):
        import_spec(AzureState(SUB, RG, (), _lab_cluster()))


def test_several_clusters_and_none_trusted_asks_for_a_name():
    interactions = json.loads((CASES / "mixed.json").read_text("utf-8"))["interactions"]
    interactions[-1]["response"]["body"]["value"][0]["properties"]["oidcIssuerProfile"]["issuerURL"] = (
        "https://eastus.oic.prod-aks.azure.com/22222222-2222-2222-2222-222222222222/00000000-0000-0000-0000-000000000000/"
    )
    with pytest.raises(
        BrownfieldError, match=r"several AKS clusters \(aks-wlid-lab, aks-wlid-old\): name one"
    ):
        read_state(SUB, RG, credential=FakeCredential(), transport=Replay(interactions))


# -- drift ---------------------------------------------------------------------------------------------


def _lab_cluster():  # type: ignore[no-untyped-def]
    from wlid_render.brownfield import ClusterState

    return ClusterState("aks-wlid-lab", RG, SUB, "eastus", ISSUER, True)


def _lab_state(*fics: FicState, **identity: object) -> AzureState:
    base = IdentityState(
        "myIdentity",
        "eastus",
        (FicState("myFedIdentity", ISSUER, LAB_SUBJECT, (AUDIENCE,)), *fics),
        client_id="44444444-4444-4444-4444-444444444444",
    )
    return AzureState(SUB, RG, (replace(base, **identity),), _lab_cluster())  # type: ignore[arg-type]


def _lab_plan():  # type: ignore[no-untyped-def]
    return plan_source(load_file(str(LAB_SPEC)))


def test_a_hand_made_fic_is_drift():
    debug = FicState("debug", ISSUER, "system:serviceaccount:default:debug-sa", (AUDIENCE,))
    report = drift(_lab_plan(), "default", _lab_state(debug))
    assert findings(report) == [("extra-fic", "myIdentity", "debug", "drift")]
    assert report.has_drift
    doc = json.loads(report.to_json())
    assert doc["hasDrift"] is True and doc["environment"] == "default" and doc["resourceGroup"] == RG
    assert doc["findings"][0] | {"message": ""} == {
        "kind": "extra-fic",
        "identity": "myIdentity",
        "fic": "debug",
        "message": "",
        "severity": "drift",
    }
    text = format_drift(report)
    assert text.splitlines()[0].startswith(
        "myIdentity/debug: drift extra-fic: trusts system:serviceaccount:default:debug-sa"
    )
    assert text.splitlines()[-1] == "drift: 1 finding(s) in resource group rg-wlid-lab (environment default)"


def test_drift_against_a_mixed_resource_group():
    state, _ = read("mixed", cluster_name=None)
    report = drift(_lab_plan(), "default", state)
    assert findings(report) == [
        ("extra-fic", "myIdentity", "custom-audience", "drift"),
        ("extra-fic", "myIdentity", "default-debug-sa", "drift"),
        ("foreign-fic", "myIdentity", "github-deploy", "info"),
        ("extra-fic", "myIdentity", "odd-subject", "drift"),
        ("foreign-fic", "myIdentity", "old-cluster", "info"),
    ]
    strict = drift(_lab_plan(), "default", state, strict=True)
    assert {f.severity for f in strict.findings} == {"drift"}


def test_foreign_fics_alone_are_not_drift():
    github = FicState(
        "gh", "https://token.actions.githubusercontent.com", "repo:a/b:ref:refs/heads/main", (AUDIENCE,)
    )
    report = drift(_lab_plan(), "default", _lab_state(github))
    assert findings(report) == [("foreign-fic", "myIdentity", "gh", "info")]
    assert not report.has_drift


def test_an_identity_with_20_fics_is_full():
    state, _ = read("full")
    plan = plan_of(import_spec(state))
    report = drift(plan, "default", state)
    assert findings(report) == [("full", "myIdentity", None, "warning")]
    assert not report.has_drift
    assert "the identity is full" in report.findings[0].message
    # a spec with two ServiceAccounts for it, one of them new: 21 after the deployment, which Azure refuses
    lab, _ = read("lab")
    text = import_spec(lab).replace(
        "serviceAccounts:\n",
        "serviceAccounts:\n  - name: one-more\n    namespace: default\n    identity: myIdentity\n",
    )
    report = drift(plan_of(text), "default", state)
    assert ("full", "myIdentity", None, "error") in findings(report)
    assert ("missing-fic", "myIdentity", "default-one-more", "drift") in findings(report)
    assert report.has_drift


def test_same_issuer_and_subject_under_another_name_is_a_conflict():
    legacy = FicState("legacy-name", ISSUER, LAB_SUBJECT, (AUDIENCE,))
    state = replace(_lab_state(), identities=(IdentityState("myIdentity", "eastus", (legacy,)),))
    report = drift(_lab_plan(), "default", state)
    assert findings(report) == [("conflict", "myIdentity", "myFedIdentity", "error")]
    message = report.findings[0].message
    assert CONFLICT_MESSAGE in message and "federatedCredentialName: legacy-name" in message


def test_a_fic_that_differs_is_reported_field_by_field():
    changed = FicState(
        "myFedIdentity", ISSUER.rstrip("/"), "system:serviceaccount:default:other", ("api://x",)
    )
    state = replace(_lab_state(), identities=(IdentityState("myIdentity", "eastus", (changed,)),))
    assert findings(drift(_lab_plan(), "default", state)) == [
        ("fic-issuer", "myIdentity", "myFedIdentity", "drift"),
        ("fic-subject", "myIdentity", "myFedIdentity", "drift"),
        ("fic-audience", "myIdentity", "myFedIdentity", "drift"),
    ]


def test_missing_identities_and_fics():
    report = drift(_lab_plan(), "default", AzureState(SUB, RG, (), _lab_cluster()))
    assert findings(report) == [("missing-identity", "myIdentity", None, "drift")]
    assert "with 1 federated credential(s)" in report.findings[0].message
    empty = replace(_lab_state(), identities=(IdentityState("MYIDENTITY", "eastus"),))  # names ignore case
    assert findings(drift(_lab_plan(), "default", empty)) == [
        ("missing-fic", "myIdentity", "myFedIdentity", "drift")
    ]


def test_region_and_client_id_mismatches_are_errors():
    state, _ = read("lab")
    plan = plan_of(import_spec(state))  # pins the client ID it read
    moved = replace(
        state,
        identities=(
            replace(
                state.identities[0], location="westeurope", client_id="0" * 8 + "-0000-0000-0000-" + "0" * 12
            ),
        ),
    )
    assert findings(drift(plan, "default", moved)) == [
        ("location", "myIdentity", None, "error"),
        ("client-id", "myIdentity", None, "error"),
    ]


def test_cluster_findings():
    plan = _lab_plan()  # enableWorkloadIdentity: true
    off = replace(_lab_state(), cluster=replace(_lab_cluster(), issuer_url=None, workload_identity=False))
    assert findings(drift(plan, "default", off)) == [("cluster", "", None, "drift")]
    state, _ = read("lab")
    imported = plan_of(import_spec(state))  # enableWorkloadIdentity: false
    report = drift(imported, "default", replace(state, cluster=off.cluster))
    assert findings(report) == [("cluster", "", None, "error")]
    no_webhook = replace(state, cluster=replace(_lab_cluster(), workload_identity=False))
    assert findings(drift(imported, "default", no_webhook)) == [("cluster", "", None, "warning")]
    pinned = plan_of(
        import_spec(state).replace(
            "  name: aks-wlid-lab\n", f"  name: aks-wlid-lab\n  oidcIssuerUrl: {ISSUER}x/\n"
        )
    )
    assert findings(drift(pinned, "default", state)) == [
        ("cluster-issuer", "", None, "error"),
        ("fic-issuer", "myIdentity", "myFedIdentity", "drift"),
    ]


def test_drift_follows_the_environment():
    plan = plan_source(load_file(str(ROOT / "specs" / "multi-env.yaml")))
    shop = IdentityState(
        "shop-api",
        "westeurope",
        (FicState("shop-shop-api", ISSUER, "system:serviceaccount:shop:shop-api", (AUDIENCE,)),),
        client_id="55555555-5555-5555-5555-555555555555",
    )
    cluster = replace(_lab_cluster(), name="aks-shop-dev")
    dev = AzureState("44444444-4444-4444-4444-444444444444", "rg-shop-dev", (shop,), cluster)
    assert drift(plan, "dev", dev).findings == ()  # shop-reporting exists in prod only
    prod = replace(dev, resource_group="rg-shop-prod")
    report = drift(plan, "prod", prod)
    assert findings(report) == [("missing-identity", "shop-reporting", None, "drift")]
    with pytest.raises(KeyError, match="no environment named 'staging'"):
        drift(plan, "staging", dev)


def test_the_environment_state_is_read_from_the_plan():
    state = read_environment_state(
        _lab_plan(), "default", credential=FakeCredential(), transport=replay("lab-roles"), **FAST
    )
    assert state.cluster is not None and state.cluster.name == "aks-wlid-lab"
    assert drift(_lab_plan(), "default", state).findings == ()


def test_tags_that_a_deployment_resets_are_a_warning():
    report = drift(_lab_plan(), "default", _lab_state(tags=(("team", "a"),), isolation_scope="Regional"))
    assert findings(report) == [("reset", "myIdentity", None, "warning")]
    assert "tags team=a; isolationScope Regional" in report.findings[0].message
    assert not report.has_drift


def test_values_from_azure_are_escaped_in_the_text_report():
    hostile = FicState("x", ISSUER, "system:serviceaccount:default:a\nno drift: all fine", (AUDIENCE,))
    text = format_drift(drift(_lab_plan(), "default", _lab_state(hostile)))
    assert len(text.splitlines()) == 2
    assert "default:a\\nno drift" in text


def test_every_finding_kind_is_documented():
    import re

    source = "".join(
        path.read_text("utf-8") for path in sorted((ROOT / "wlid_render" / "brownfield").glob("drift*.py"))
    )
    kinds = set(re.findall(r'Difference\(\s*"([a-z-]+)"', source))
    assert len(kinds) == 20
    doc = (ROOT / "docs" / "brownfield.md").read_text("utf-8")
    assert sorted(k for k in kinds if f"`{k}`" not in doc) == []


def test_hostile_values_from_azure_stay_data_in_the_imported_spec():
    """Azure's answers are data: a location, name, tag, scope or subject holding line breaks and YAML
    cannot add a key, an entry or a line to the imported spec, nor escape codes to the terminal."""
    state, transport = read("hostile")
    assert transport.all_used()
    imported = build_import(state)
    text = imported.text
    data = yaml.safe_load(text)
    assert data["workloads"] == []
    assert [i["name"] for i in data["identities"]] == ["myIdentity"]
    assert len(data["serviceAccounts"]) == 1
    assert set(data) == {
        "apiVersion", "kind", "metadata", "azure", "cluster", "identities", "serviceAccounts",
        "workloads", "environments",
    }  # fmt: skip
    # every line is one the importer wrote: a key it knows or a comment, never the injected YAML
    injected = [
        line for line in text.splitlines() if "workloads:" in line and not line.startswith("workloads: []  #")
    ]
    assert all(line.lstrip().startswith("#") for line in injected), injected
    assert len(injected) == 4  # the hostile values are there, as comments
    assert text.isascii() and "\x1b" not in text and "\r" not in text
    # the far identity's region is written escaped in its comment
    (far,) = [s for s in imported.skipped if s.identity == "farIdentity" and s.fic is None]
    # (the reader drops spaces from a location, as Azure writes "East US" for eastus)
    assert '"westeurope\\nworkloads:[{name:injected}]\\n#"' in far.reason
    assert '"westeurope\\nworkloads:[{name:injected}]\\n#"' in text
    # what the CLI prints for the skipped entries stays on one line, without escape codes
    for item in imported.skipped:
        shown = f"{item.label}: {item.reason}"
        assert "\n" not in shown and "\x1b" not in shown and "\r" not in shown, shown
    plan_of(text)


def test_a_line_break_that_slipped_through_is_refused_not_written():
    from wlid_render.brownfield.import_text import SpecWriter

    writer = SpecWriter(_lab_state(), _lab_cluster(), "x", "eastus", [], [], [])
    with pytest.raises(BrownfieldError, match="would break a line"):
        writer.add("# region eastus\nworkloads: [x]")
    with pytest.raises(BrownfieldError):
        writer.add("# \u2028")


# -- role assignments ------------------------------------------------------------------------------


KEY_VAULT = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.KeyVault/vaults/kv-wlid-lab"


def test_role_assignments_are_read_for_the_identity_principal():
    state, transport = read("lab-roles", roles=True)
    assert transport.all_used()
    (identity,) = state.identities
    (assignment,) = identity.role_assignments
    assert assignment.scope == KEY_VAULT and assignment.role_guid == "4633458b-17de-408a-b874-0445c86b69e6"
    query = [
        dict(parse_qsl(urlsplit(url).query)) for _, url, _ in transport.requests if "roleAssignments" in url
    ]
    assert query == [
        {"api-version": "2022-04-01", "$filter": "principalId eq '66666666-6666-6666-6666-666666666666'"}
    ]


def test_the_role_assignment_wlid_made_is_no_drift():
    from wlid_render.brownfield.roles import made_by_a_template, planned_assignments

    state, _ = read("lab-roles", roles=True)
    plan = plan_source(load_file(str(LAB_SPEC)))
    (planned,) = planned_assignments(plan, plan.environments[0], plan.identities[0])
    assert planned.scope == KEY_VAULT
    assert made_by_a_template(planned.template_name("66666666-6666-6666-6666-666666666666"))
    assert drift(plan, "default", state).findings == ()


def test_a_hand_made_role_assignment_is_found_before_deploy():
    state, _ = read("lab-roles-by-hand", roles=True)
    plan = plan_source(load_file(str(LAB_SPEC)))
    report = drift(plan, "default", state)
    assert findings(report) == [
        ("role-exists", "myIdentity", None, "error"),
        ("extra-role", "myIdentity", None, "drift"),
    ]
    assert "RoleAssignmentExists" in report.findings[0].message
    assert "az role assignment delete --ids" in report.findings[0].message
    assert "acdd72a7-3385-48ef-bd42-f606fba81ae7" in report.findings[1].message
    assert report.has_drift


def test_a_missing_role_assignment_is_drift():
    state, _ = read("lab-roles", roles=True)
    text = LAB_SPEC.read_text("utf-8").replace("keyVault: kv-wlid-lab", "keyVault: kv-other")
    report = drift(plan_of(text), "default", state)
    assert sorted(f[0] for f in findings(report)) == ["extra-role", "missing-role"]


def test_role_assignments_are_imported_and_hand_made_ones_marked():
    state, _ = read("lab-roles-by-hand", roles=True)
    text = import_spec(state)
    roles = yaml.safe_load(text)["identities"][0]["roles"]
    assert roles == [
        {"role": "Reader", "resourceGroup": RG},
        {"role": "Key Vault Secrets User", "keyVault": "kv-wlid-lab", "description": "made with az"},
    ] or roles == [
        {"role": "Key Vault Secrets User", "keyVault": "kv-wlid-lab", "description": "made with az"},
        {"role": "Reader", "resourceGroup": RG},
    ]
    assert text.count("# assigned by hand") == 2 and "RoleAssignmentExists" in text
    assert "Not read from Azure: role assignments" not in text
    report = drift(plan_of(text), "default", state)
    assert {f[0] for f in findings(report)} == {
        "role-exists"
    }  # still there until deleted: said before deploy


def test_imported_template_made_assignments_need_nothing():
    state, _ = read("lab-roles", roles=True)
    text = import_spec(state)
    assert yaml.safe_load(text)["identities"][0]["roles"] == [
        {"role": "Key Vault Secrets User", "keyVault": "kv-wlid-lab"}
    ]
    assert "# assigned by hand" not in text
    assert drift(plan_of(text), "default", state).findings == ()


def test_reading_roles_without_the_authorization_sdk_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "azure.mgmt.authorization", None)
    with pytest.raises(BrownfieldError, match=r"azure\.mgmt\.authorization is missing.*wlid\[azure\]"):
        read_state(SUB, RG, credential=FakeCredential(), transport=replay("lab-roles"), roles=True)


# -- identity bindings ---------------------------------------------------------------------------------

BINDING_SPEC = """
apiVersion: wlid/v1
kind: WorkloadIdentitySpec
metadata: {name: lab}
azure: {subscriptionId: 11111111-1111-1111-1111-111111111111, resourceGroup: rg-wlid-lab, location: eastus}
cluster: {name: aks-wlid-lab}
identities:
  - {name: myIdentity, federation: identityBinding}
  - {name: legacy, federation: MODE}
serviceAccounts:
  - {name: workload-identity-sa, identity: myIdentity}
  - {name: legacy, identity: legacy}
"""


def test_identity_bindings_are_read_with_plain_gets_of_the_stable_api():
    state, transport = read("bindings", bindings=True)
    assert transport.all_used()
    assert {method for method, _, _ in transport.requests} == {"GET"}
    assert state.cluster is not None and state.cluster.bindings is not None
    assert [(b.name, b.identity) for b in state.cluster.bindings] == [
        ("myidentity", "myIdentity"),
        ("shared", "shared"),
    ]
    assert [b.name for b in state.cluster.bindings_of("MYIDENTITY")] == ["myidentity"]
    last = transport.requests[-1][1]
    assert last.endswith("/managedClusters/aks-wlid-lab/identityBindings?api-version=2026-05-01")


def test_bindings_are_not_read_unless_asked():
    state, transport = read("lab")
    assert state.cluster is not None and state.cluster.bindings is None
    assert not any("identityBindings" in url for _, url, _ in transport.requests)


def test_drift_of_a_binding_identity_knows_its_binding_and_the_fic_aks_made():
    state, _ = read("bindings", bindings=True)
    report = drift(plan_of(BINDING_SPEC.replace("MODE", "credentials")), "default", state)
    kinds = {(f.kind, f.identity) for f in report.findings}
    assert ("missing-binding", "myIdentity") not in kinds
    assert not any(f.fic == "aks-identity-binding" for f in report.findings), report.findings
    assert not any(f.identity == "legacy" for f in report.findings), "legacy's FIC matches the spec"


def test_drift_reports_a_missing_binding_and_a_binding_left_by_a_switch_of_mode():
    state, _ = read("bindings", bindings=True)
    # legacy in binding mode: no binding of it on the cluster yet
    report = drift(plan_of(BINDING_SPEC.replace("MODE", "identityBinding")), "default", state)
    missing = [f for f in report.findings if f.kind == "missing-binding"]
    assert [(f.identity, f.severity) for f in missing] == [("legacy", "drift")]
    assert "no identity binding legacy on cluster aks-wlid-lab" in missing[0].message
    # myIdentity switched back to credentials: its binding and AKS's FIC stay behind
    switched = BINDING_SPEC.replace("{name: myIdentity, federation: identityBinding}", "{name: myIdentity}")
    report = drift(plan_of(switched.replace("MODE", "credentials")), "default", state)
    left = [f for f in report.findings if f.kind == "binding-in-credentials-mode"]
    assert [(f.identity, f.severity) for f in left] == [("myIdentity", "info")]
    assert "aks-identity-binding" in left[0].message
    assert any(f.kind == "extra-fic" and f.fic == "aks-identity-binding" for f in report.findings) or any(
        f.kind == "foreign-fic" and f.fic == "aks-identity-binding" for f in report.findings
    ), "in credentials mode AKS's FIC is an unknown FIC like any other"


def test_import_marks_an_identity_with_a_binding_on_the_cluster():
    state, _ = read("bindings", bindings=True)
    text = import_spec(state)
    block = text.split("- name: myIdentity", 1)[1].split("- name:", 1)[0]
    assert "federation: identityBinding" in block
    legacy = text.split("- name: legacy", 1)[1].split("- name:", 1)[0]
    assert "federation" not in legacy
    plan_source(load_text(text, "imported.yaml"))  # the imported spec renders
