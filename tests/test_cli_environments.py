"""The command line for several environments: --outputs, bind, whatif, --gitops, Components."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from conftest import ROOT

from wlid_render.cli import main

MULTI = ROOT / "specs" / "multi-env.yaml"
OUTPUTS = {
    "identities": {
        "type": "Object",
        "value": {
            "shop-api": {
                "clientId": "AAAAAAAA-0000-0000-0000-000000000001",
                "principalId": "p",
                "tenantId": "t",
            },
            "shop-reporting": {
                "clientId": "aaaaaaaa-0000-0000-0000-000000000002",
                "principalId": "p",
                "tenantId": "t",
            },
        },
    },
    "oidcIssuerUrl": {"type": "String", "value": "https://example/"},
}


def _outputs(tmp_path: Path) -> Path:
    path = tmp_path / "prod-outputs.json"
    path.write_text(json.dumps(OUTPUTS), "utf-8")
    return path


def test_outputs_leave_no_placeholder_for_that_environment(tmp_path: Path):
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["render", str(MULTI), "-o", str(out), "--outputs", f"prod={_outputs(tmp_path)}"]
    )
    assert result.exit_code == 0, result.output
    prod = (out / "k8s/overlays/prod/shop/serviceaccounts.yaml").read_text() + (
        out / "k8s/overlays/prod/shop/resources.yaml"
    ).read_text()
    assert "${WLID_CLIENT_ID" not in prod
    assert "aaaaaaaa-0000-0000-0000-000000000001" in prod and "aaaaaaaa-0000-0000-0000-000000000002" in prod
    flux = list(yaml.safe_load_all((out / "gitops/flux/prod.yaml").read_text()))
    assert [d["kind"] for d in flux] == ["Kustomization"], "nothing left to substitute in prod"
    assert "environment 'prod'" not in result.stderr


def test_bad_outputs_option_and_file(tmp_path: Path):
    bad = CliRunner().invoke(main, ["render", str(MULTI), "-o", str(tmp_path / "o"), "--outputs", "prod"])
    assert bad.exit_code == 2
    (tmp_path / "x.json").write_text("{}")
    missing = CliRunner().invoke(
        main, ["render", str(MULTI), "-o", str(tmp_path / "o"), "--outputs", f"prod={tmp_path / 'x.json'}"]
    )
    assert missing.exit_code == 2 and "identities" in missing.stderr
    assert not (tmp_path / "o").exists()


def test_bind_pins_the_client_ids_and_keeps_the_file(tmp_path: Path):
    spec = tmp_path / "multi-env.yaml"
    shutil.copy(MULTI, spec)
    before = spec.read_text("utf-8")
    result = CliRunner().invoke(main, ["bind", "--env", "prod", str(_outputs(tmp_path)), "--spec", str(spec)])
    assert result.exit_code == 0, result.output
    after = spec.read_text("utf-8")
    assert [line for line in before.splitlines() if line.startswith("#")] == [
        line for line in after.splitlines() if line.startswith("#")
    ]
    pinned = yaml.safe_load(after)["environments"]["prod"]["clientIds"]
    assert pinned == {
        "shop-api": "aaaaaaaa-0000-0000-0000-000000000001",
        "shop-reporting": "aaaaaaaa-0000-0000-0000-000000000002",
    }
    out = tmp_path / "out"
    rendered = CliRunner().invoke(main, ["render", str(spec), "-o", str(out)])
    assert rendered.exit_code == 0
    assert "${WLID_CLIENT_ID" not in (out / "k8s/overlays/prod/shop/serviceaccounts.yaml").read_text()
    again = CliRunner().invoke(main, ["bind", "--env", "prod", str(_outputs(tmp_path)), "--spec", str(spec)])
    assert again.exit_code == 0 and spec.read_text("utf-8") == after


def test_bind_refuses_an_unknown_environment(tmp_path: Path):
    spec = tmp_path / "multi-env.yaml"
    shutil.copy(MULTI, spec)
    result = CliRunner().invoke(main, ["bind", "--env", "qa", str(_outputs(tmp_path)), "--spec", str(spec)])
    assert result.exit_code == 2 and "dev, prod" in result.output


def test_whatif_prints_the_commands(tmp_path: Path):
    out = tmp_path / "multi-env"
    assert CliRunner().invoke(main, ["render", str(MULTI), "-o", str(out)]).exit_code == 0
    result = CliRunner().invoke(main, ["whatif", str(MULTI), "--env", "prod", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stderr == f"{out.as_posix()} is up to date\n"
    assert "az deployment group what-if" in result.stdout
    assert "--resource-group rg-shop-prod" in result.stdout
    assert f"{out.as_posix()}/azure/params/prod.parameters.json" in result.stdout
    wrong = CliRunner().invoke(main, ["whatif", str(MULTI), "--env", "qa", "-o", str(out)])
    assert wrong.exit_code == 2 and "no environment 'qa'; the spec has: dev, prod" in wrong.stderr
    neither = CliRunner().invoke(main, ["whatif", str(MULTI), "-o", str(out)])
    assert neither.exit_code == 2
    assert "the spec has 2 environments (dev, prod); choose one with --env ENV" in neither.stderr


@pytest.mark.parametrize(
    ("flavour", "folders"), [("flux", {"flux"}), ("argocd", {"argocd"}), ("none", set())]
)
def test_gitops_flavours(tmp_path: Path, flavour: str, folders: set[str]):
    out = tmp_path / flavour
    assert (
        CliRunner().invoke(main, ["render", str(MULTI), "-o", str(out), "--gitops", flavour]).exit_code == 0
    )
    found = {p.name for p in (out / "gitops").iterdir() if p.is_dir()} if (out / "gitops").exists() else set()
    assert found == folders


@pytest.mark.kubectl
def test_component_patches_an_existing_deployment(tmp_path: Path):
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not on PATH")
    component = ROOT / "out/existing-app/k8s/components/deployment_payments_payments-api"
    app = tmp_path / "app"
    app.mkdir()
    (app / "deployment.yaml").write_text(
        yaml.safe_dump(
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": "payments-api", "namespace": "payments"},
                "spec": {
                    "selector": {"matchLabels": {"app": "payments-api"}},
                    "template": {
                        "metadata": {"labels": {"app": "payments-api"}},
                        "spec": {"containers": [{"name": "api", "image": "example/payments:1"}]},
                    },
                },
            }
        )
    )
    shutil.copytree(component, tmp_path / "component")
    (app / "kustomization.yaml").write_text("resources: [deployment.yaml]\ncomponents: [../component]\n")
    built = subprocess.run(["kubectl", "kustomize", str(app)], capture_output=True, text=True, check=True)
    deployment = yaml.safe_load(built.stdout)
    template = deployment["spec"]["template"]
    assert template["metadata"]["labels"] == {"app": "payments-api", "azure.workload.identity/use": "true"}
    assert template["spec"]["serviceAccountName"] == "payments-api"
    assert template["spec"]["containers"][0]["image"] == "example/payments:1"


def _split_outputs(tmp_path: Path, second_client: str = "aaaaaaaa-0000-0000-0000-000000000002") -> list[str]:
    """The outputs of two identity groups of one environment, one identity each."""
    identities = OUTPUTS["identities"]["value"]
    first = {"identities": {"type": "Object", "value": {"shop-api": identities["shop-api"]}}}
    second_value = {**identities["shop-reporting"], "clientId": second_client}
    second = {"identities": {"type": "Object", "value": {"shop-reporting": second_value}}}
    paths = []
    for n, doc in enumerate((first, second)):
        path = tmp_path / f"prod-outputs-{n}.json"
        path.write_text(json.dumps(doc), "utf-8")
        paths.append(str(path))
    return paths


def test_bind_merges_the_outputs_of_several_deployments(tmp_path: Path):
    spec = tmp_path / "multi-env.yaml"
    shutil.copy(MULTI, spec)
    result = CliRunner().invoke(main, ["bind", "--env", "prod", *_split_outputs(tmp_path), "--spec", str(spec)])
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(spec.read_text("utf-8"))["environments"]["prod"]["clientIds"] == {
        "shop-api": "aaaaaaaa-0000-0000-0000-000000000001",
        "shop-reporting": "aaaaaaaa-0000-0000-0000-000000000002",
    }


def test_outputs_of_one_environment_must_agree(tmp_path: Path):
    paths = _split_outputs(tmp_path, "bbbbbbbb-0000-0000-0000-000000000002")
    clash = tmp_path / "clash.json"
    clash.write_text(json.dumps(OUTPUTS), "utf-8")  # shop-reporting ...02 against bbbbbbbb-...02
    options = [arg for path in (*paths, str(clash)) for arg in ("--outputs", f"prod={path}")]
    result = CliRunner().invoke(main, ["render", str(MULTI), "-o", str(tmp_path / "out"), *options])
    assert result.exit_code == 2, result.output  # invalid input, as for any bad outputs file
    assert "identity 'shop-reporting' has client ID aaaaaaaa-0000-0000-0000-000000000002" in result.output
    assert "clash.json" in result.output
