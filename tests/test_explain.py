"""wlid explain: the per-environment summary, its Mermaid graph, and the graph in OUT/README.md."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import LAB_SPEC, ROOT
from generate import spec_text

from wlid_render.cli import main
from wlid_render.plan.source import plan_source
from wlid_render.spec.load import load_file
from wlid_render.views.explain import (
    AccountView,
    CredentialView,
    EnvironmentView,
    IdentityView,
    RoleView,
    WorkloadView,
    environment_views,
)
from wlid_render.views.explain_text import explain_text
from wlid_render.views.mermaid import (
    _Ids,
    explain_mermaid,
    graph_edges,
    mermaid_edges,
    mermaid_fits,
    mermaid_label,
)
from wlid_render.workflow.pipeline import render_file

LAB = str(LAB_SPEC)
MULTI = str(ROOT / "specs" / "multi-env.yaml")
PLATFORM = str(ROOT / "specs" / "platform.yaml")


def _explain(*args: str):
    return CliRunner().invoke(main, ["explain", *args])


def test_lab_text_names_cluster_issuer_identity_credential_role_and_workloads():
    result = _explain(LAB)
    assert result.exit_code == 0, result.output
    text = result.output
    for expected in [
        "environment default",
        "cluster     aks-wlid-lab (resource group rg-wlid-lab",
        "turned on by the deployment (enableWorkloadIdentity: true)",
        "issuer      read from the cluster at deployment (oidcIssuerProfile.issuerURL)",
        "identity myIdentity",
        "client ID  placeholder ${WLID_CLIENT_ID_MYIDENTITY}",
        "      myFedIdentity\n        issuer   the cluster's, read at deployment\n"
        "        subject  system:serviceaccount:default:workload-identity-sa",
        "Key Vault Secrets User on key vault kv-wlid-lab (resource group rg-wlid-lab)",
        "ServiceAccount default/workload-identity-sa\n        Pod default/sample-workload-identity\n"
        "        Pod default/sample-workload-identity-key-vault",
        "  warnings\n    environment 'default': 1 client ID not pinned",
    ]:
        assert expected in text, expected


def test_values_that_differ_are_shown_per_environment():
    views = {v.name: v for v in environment_views(plan_source(load_file(MULTI)))}
    dev, prod = views["dev"], views["prod"]
    assert [i.name for i in dev.identities] == ["shop-api"]  # shop-reporting is prod only
    assert [i.name for i in prod.identities] == ["shop-api", "shop-reporting"]
    assert dev.identities[0].pinned and dev.identities[0].client_id == "55555555-5555-5555-5555-555555555555"
    assert not prod.identities[0].pinned and prod.identities[0].client_id == "${WLID_CLIENT_ID_SHOP_API}"
    assert dev.identities[0].roles[0] == RoleView(
        "Key Vault Secrets User",
        "key vault kv-shop-dev (resource group rg-shop-secrets-dev)",
        role_id="4633458b-17de-408a-b874-0445c86b69e6",
        scope_id="/subscriptions/44444444-4444-4444-4444-444444444444/resourceGroups/rg-shop-secrets-dev"
        "/providers/Microsoft.KeyVault/vaults/kv-shop-dev",
    )
    assert prod.identities[0].roles[0].scope == "key vault kv-shop-prod (resource group rg-shop-secrets-prod)"
    assert dev.warnings == () and len(prod.warnings) == 1, "a warning about prod is shown for prod only"
    assert [w.label for w in prod.identities[1].accounts[0].workloads] == ["CronJob shop/shop-report"]


def test_a_pinned_issuer_and_other_scopes():
    views = {v.name: v for v in environment_views(plan_source(load_file(PLATFORM)))}
    prod = views["prod"]
    assert prod.issuer and prod.issuer.startswith("https://northeurope.oic.prod-aks.azure.com/")
    assert not prod.enables_workload_identity
    reporting = next(i for i in prod.identities if i.name == "reporting")
    assert [r.scope for r in reporting.roles] == [
        "Microsoft.Storage/storageAccounts/blobServices/containers streports/default/exports "
        "(resource group rg-reports, subscription 33333333-3333-3333-3333-333333333333)",
        "subscription 11111111-1111-1111-1111-111111111111",
    ]
    assert [r.scope_id for r in reporting.roles] == [
        "/subscriptions/33333333-3333-3333-3333-333333333333/resourceGroups/rg-reports/providers/"
        "Microsoft.Storage/storageAccounts/streports/blobServices/default/containers/exports",
        "/subscriptions/11111111-1111-1111-1111-111111111111",
    ]
    text = explain_text([prod])
    assert f"issuer      pinned: {prod.issuer}" in text
    assert f"issuer   {prod.issuer}" in text
    assert "expected on already (enableWorkloadIdentity: false)" in text
    assert "(token expiration 7200 s)" in text


def test_env_option_and_unknown_env():
    only = _explain(MULTI, "--env", "prod")
    assert only.exit_code == 0 and "environment prod" in only.output and "environment dev" not in only.output
    wrong = _explain(MULTI, "--env", "qa")
    assert wrong.exit_code == 2 and "no environment 'qa'; the spec has: dev, prod" in wrong.output


def test_an_invalid_spec_exits_2_with_located_problems(tmp_path: Path):
    spec = tmp_path / "wlid.yaml"
    spec.write_text(
        LAB_SPEC.read_text("utf-8").replace("identity: myIdentity", "identity: x")
    )
    result = _explain(str(spec))
    assert result.exit_code == 2
    assert re.search(rf"{re.escape(str(spec))}:\d+:\d+: serviceAccounts\[0\]\.identity: ", result.stderr)


def test_mermaid_graph_of_the_lab():
    result = _explain(LAB, "--format", "mermaid")
    assert result.exit_code == 0, result.output
    graph = result.output
    assert graph.startswith("flowchart LR\n")
    # issuer -> FIC -> identity -> role -> scope; ServiceAccount -> workloads; ServiceAccount -.-> FIC
    for edge in [
        "issuer_aks_wlid_lab -->|issuer| fic_myIdentity_myFedIdentity",
        "fic_myIdentity_myFedIdentity --> identity_myIdentity",
        "identity_myIdentity --> role_myIdentity_0",
        "role_myIdentity_0 -->|on| scope_1",
        "sa_default_workload_identity_sa -.->|token subject| fic_myIdentity_myFedIdentity",
        "sa_default_workload_identity_sa --> workload_Pod_default_sample_workload_identity",
    ]:
        assert f"  {edge}\n" in graph, edge
    assert 'identity_myIdentity[["managed identity myIdentity<br/>client ID placeholder: ' in graph
    ids = re.findall(r"^\s+([^\s\[(\{]+)[\[(\{]", graph, flags=re.M)
    assert ids and all(re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", i) for i in ids), ids


def test_mermaid_of_several_environments_has_one_subgraph_each():
    graph = _explain(MULTI, "--format", "mermaid").output
    assert graph.startswith("flowchart TB\n")
    assert '  subgraph dev_env["environment dev"]\n    direction LR\n' in graph
    assert '  subgraph prod_env["environment prod"]\n' in graph
    assert "  dev_env ~~~ prod_env\n" in graph
    assert "dev_identity_shop_api" in graph and "prod_identity_shop_reporting" in graph
    assert "dev_identity_shop_reporting" not in graph


def test_mermaid_labels_are_escaped():
    assert mermaid_label('say "hi" [x] <b> #1 a|b `c` & d') == (
        "say #quot;hi#quot; #91;x#93; #lt;b#gt; #35;1 a#124;b #96;c#96; #38; d"
    )
    assert mermaid_label("two\nlines") == "two lines"
    assert mermaid_label("(round) {curly} ${VAR}") == "(round) {curly} ${VAR}"  # plain text in quotes


def test_mermaid_ids_are_sanitised_and_unique():
    ids = _Ids()
    assert ids("sa", "a-b", "c.d") == "sa_a_b_c_d"
    assert ids("sa", "a_b", "c_d") == "sa_a_b_c_d_2"  # sanitised alike, still distinct
    assert ids("sa", "a-b", "c.d") == "sa_a_b_c_d"  # stable for the same key
    assert ids("end") == "n_end" and ids("Subgraph") == "n_Subgraph"  # keywords are never IDs
    assert ids("9", "x") == "n_9_x"  # IDs start with a letter
    assert _Ids("prod_")("identity", "x y") == "prod_identity_x_y"


def _odd_view() -> EnvironmentView:
    """Names no spec allows, to prove the escaping: quotes, brackets, Mermaid and HTML syntax."""
    workload = WorkloadView("Pod", 'ns"[x]', "w{1}<b>")
    account = AccountView('ns"[x]', "sa|end", None, (workload,))
    identity = IdentityView(
        name='id "quoted" [sq] (rd) {cb}',
        client_id="${WLID_CLIENT_ID_X}",
        pinned=False,
        credentials=(CredentialView("fic#1", 'system:serviceaccount:ns"[x]:sa|end'),),
        roles=(RoleView("Reader (Preview) & <Co>", "key vault kv-`x` [rg] --> end"),),
        accounts=(account,),
    )
    return EnvironmentView(
        name="end",
        cluster='aks "c" [1]',
        cluster_resource_group="rg",
        cluster_subscription_id="s",
        enables_workload_identity=True,
        issuer="https://x/a;b/",
        resource_group="rg",
        subscription_id="s",
        location="eastus",
        identities=(identity,),
    )


def test_readme_embeds_the_graph_of_every_environment():
    lab = {a.path: a.text for a in render_file(LAB).artifacts}["README.md"]
    block = lab.split("```mermaid\n", 1)[1].split("```", 1)[0]
    assert block == explain_mermaid(environment_views(plan_source(load_file(LAB))))
    multi = {a.path: a.text for a in render_file(MULTI).artifacts}["README.md"]
    assert multi.count("```mermaid\n") == 2 and "**dev**" in multi and "**prod**" in multi
    assert (ROOT / "out" / "lab" / "README.md").read_text("utf-8").count("```mermaid\n") == 1


def test_a_graph_too_large_to_draw_is_replaced_by_a_note(tmp_path: Path):
    spec = tmp_path / "big.yaml"
    spec.write_text(spec_text(300), "utf-8")
    readme = {a.path: a.text for a in render_file(str(spec)).artifacts}["README.md"]
    assert "```mermaid" not in readme
    assert "is too large to draw" in readme and "wlid explain big.yaml --env" in readme
    result = CliRunner().invoke(main, ["explain", str(spec), "--format", "mermaid"])
    assert result.exit_code == 0 and "exceeds Mermaid's default size limits" in result.stderr
    assert not mermaid_fits(result.stdout)


@pytest.mark.parametrize("spec", [LAB, MULTI, PLATFORM, str(ROOT / "specs" / "existing-app.yaml")])
def test_graph_edges_counts_what_the_graph_draws(spec: str):
    for view in environment_views(plan_source(load_file(spec))):
        assert graph_edges(view) == mermaid_edges(explain_mermaid([view])) > 0


# -- rendering with the Mermaid CLI ----------------------------------------------------------------
def _chromium() -> str | None:
    configured = os.environ.get("PUPPETEER_EXECUTABLE_PATH")
    if configured and Path(configured).is_file():
        return configured
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="module")
def mmdc(tmp_path_factory: pytest.TempPathFactory):
    """Render Markdown with ```mermaid blocks through mmdc; fails on any diagram Mermaid cannot parse."""
    command = shutil.which("mmdc")
    if command is None:
        pytest.skip("mmdc (npm @mermaid-js/mermaid-cli) is not on PATH; the Mermaid syntax is not rendered")
    browser = _chromium()
    if browser is None:
        pytest.skip("no Chromium or Chrome found (or PUPPETEER_EXECUTABLE_PATH) for mmdc to render with")
    folder = tmp_path_factory.mktemp("mermaid")
    config = folder / "puppeteer.json"
    config.write_text(
        json.dumps({"executablePath": browser, "args": ["--no-sandbox", "--headless", "--disable-gpu"]})
    )

    def render(markdown: str, name: str) -> list[Path]:
        source = folder / f"{name}.md"
        source.write_text(markdown, "utf-8")
        done = subprocess.run(
            [command, "-p", str(config), "-i", str(source), "-o", str(folder / f"{name}-out.md")],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, f"mmdc failed on {name}:\n{done.stdout}\n{done.stderr[-3000:]}"
        return sorted(folder.glob(f"{name}-out-*.svg"))

    return render


def test_mmdc_renders_every_graph(mmdc):
    blocks = [
        (ROOT / "out" / spec / "README.md").read_text("utf-8")
        for spec in ("lab", "platform", "multi-env", "existing-app")
    ]
    several = explain_mermaid(environment_views(plan_source(load_file(PLATFORM))))
    odd_envs = explain_mermaid([_odd_view(), _odd_view()._replace(name="o"), _odd_view()._replace(name="x")])
    odd = explain_mermaid([_odd_view()])
    markdown = "\n".join(blocks) + "".join(f"\n```mermaid\n{g}```\n" for g in (several, odd_envs, odd))
    svgs = mmdc(markdown, "graphs")
    assert len(svgs) == markdown.count("```mermaid") == 10  # 1 + 3 + 2 + 1 README graphs, 3 more
    odd_svg = svgs[-1].read_text("utf-8")
    assert "Syntax error" not in odd_svg
    for text in ["sa|end", "kv-`x` [rg] --&gt; end", "Reader (Preview) &amp; &lt;Co&gt;"]:
        assert text in odd_svg, text


def test_explain_says_what_each_deploy_mode_leaves_behind():
    from wlid_render.spec.load import load_text
    from wlid_render.views.explain import environment_views
    from wlid_render.views.explain_text import explain_text

    text = (
        Path(LAB).read_text("utf-8").replace("enableWorkloadIdentity: true", "enableWorkloadIdentity: false")
    )
    group = explain_text(environment_views(plan_source(load_text(text, "lab.yaml"))))
    assert "deploy      group: az deployment group create (incremental)" in group
    assert "leaves it in Azure (a standing" in group
    stack = text.replace("  location: eastus\n", "  location: eastus\n  deploy: stack\n")
    assert stack != text
    shown = explain_text(environment_views(plan_source(load_text(stack, "lab.yaml"))))
    assert "deploy      stack: az stack group create --action-on-unmanage deleteResources" in shown
    assert "deletes it from Azure on the next" in shown
