"""The command line for several environments: --outputs, bind, whatif, --gitops, Components."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from conftest import LAB_SPEC, ROOT

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
    result = CliRunner().invoke(
        main, ["bind", "--env", "prod", *_split_outputs(tmp_path), "--spec", str(spec)]
    )
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


# -- bind: every shape az prints, one reader with render --outputs ---------------------------------------

PINNED = {
    "shop-api": "aaaaaaaa-0000-0000-0000-000000000001",
    "shop-reporting": "aaaaaaaa-0000-0000-0000-000000000002",
}


def _shapes() -> dict[str, object]:
    deployment = {
        "id": "/subscriptions/x/resourceGroups/rg-shop-prod/providers/Microsoft.Resources/deployments/wlid-multi-env",
        "name": "wlid-multi-env",
        "properties": {"provisioningState": "Succeeded", "outputs": OUTPUTS},
    }
    stack = {
        "name": "wlid-multi-env",
        "provisioningState": "succeeded",
        "deploymentId": "/x",
        "outputs": OUTPUTS,
    }
    return {
        "az deployment group create|show": deployment,
        "--query properties.outputs": OUTPUTS,
        "--query properties.outputs.identities": OUTPUTS["identities"],
        "--query properties.outputs.identities.value": OUTPUTS["identities"]["value"],
        "az stack group create|show": stack,
    }


@pytest.mark.parametrize("shape", list(_shapes()))
def test_bind_and_render_read_every_shape(tmp_path: Path, shape: str):
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps(_shapes()[shape], indent=2), "utf-8")
    spec = tmp_path / "multi-env.yaml"
    shutil.copy(MULTI, spec)
    result = CliRunner().invoke(main, ["bind", "--spec", str(spec), "--env", "prod", str(outputs)])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{spec}: pinned 2 client ID(s) for prod\n"
    assert yaml.safe_load(spec.read_text("utf-8"))["environments"]["prod"]["clientIds"] == PINNED
    streamed = CliRunner().invoke(
        main, ["render", str(MULTI), "-o", "-", "--env", "prod", "--outputs", f"prod={outputs}"]
    )
    assert streamed.exit_code == 0, streamed.output
    assert PINNED["shop-api"] in streamed.stdout and "${WLID_CLIENT_ID" not in streamed.stdout


def _other_spec_outputs(tmp_path: Path) -> Path:
    path = tmp_path / "other.json"
    value = {"orders-api": {"clientId": "bbbbbbbb-0000-0000-0000-000000000001"}}
    path.write_text(json.dumps({"identities": {"type": "Object", "value": value}}), "utf-8")
    return path


def test_bind_outputs_of_another_spec_are_an_error(tmp_path: Path):
    spec = tmp_path / "multi-env.yaml"
    shutil.copy(MULTI, spec)
    before = spec.read_bytes()
    outputs = _other_spec_outputs(tmp_path)
    result = CliRunner().invoke(main, ["bind", "--spec", str(spec), "--env", "prod", str(outputs)])
    assert result.exit_code == 2
    assert (
        "the outputs name no identity that the spec deploys in 'prod' "
        "(the outputs name: orders-api; 'prod' deploys: shop-api, shop-reporting)"
    ) in result.stderr
    assert str(outputs) in result.stderr and "pinned" not in result.stdout
    assert spec.read_bytes() == before
    rendered = CliRunner().invoke(
        main, ["render", str(MULTI), "-o", str(tmp_path / "o"), "--outputs", f"prod={outputs}"]
    )
    assert rendered.exit_code == 2 and "the outputs name no identity" in rendered.stderr
    assert not (tmp_path / "o").exists()


def test_bind_pins_what_it_can_and_says_what_it_left(tmp_path: Path):
    spec = tmp_path / "multi-env.yaml"
    shutil.copy(MULTI, spec)
    value = {
        "shop-api": {"clientId": PINNED["shop-api"]},
        "retired-api": {"clientId": "cccccccc-0000-0000-0000-000000000001"},
    }
    outputs = tmp_path / "o.json"
    outputs.write_text(json.dumps(value), "utf-8")
    result = CliRunner().invoke(main, ["bind", "--spec", str(spec), "--env", "dev", str(outputs)])
    assert result.exit_code == 0, result.output
    assert "warning: the spec declares no identity 'retired-api'; not pinned" in result.stderr
    assert result.stdout == f"{spec}: pinned 1 client ID(s) for dev\n"
    reporting = {"shop-reporting": {"clientId": PINNED["shop-reporting"]}, **value}
    outputs.write_text(json.dumps(reporting), "utf-8")
    prod_only = CliRunner().invoke(main, ["bind", "--spec", str(spec), "--env", "dev", str(outputs)])
    assert "warning: identity 'shop-reporting' is not deployed in 'dev'; not pinned" in prod_only.stderr
    partial = CliRunner().invoke(
        main, ["bind", "--spec", str(spec), "--env", "prod", *_split_outputs(tmp_path)[:1]]
    )
    assert partial.exit_code == 0
    assert "not in the outputs (left as they were): shop-reporting" in partial.stderr


def test_bind_defaults_wlid_yaml_and_the_only_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    shutil.copy(LAB_SPEC, tmp_path / "wlid.yaml")
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({"myIdentity": {"clientId": PINNED["shop-api"]}}), "utf-8")
    result = CliRunner().invoke(main, ["bind", "outputs.json"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "wlid.yaml: pinned 1 client ID(s) for default\n"
    data = yaml.safe_load((tmp_path / "wlid.yaml").read_text("utf-8"))
    assert data["environments"]["default"]["clientIds"] == {"myIdentity": PINNED["shop-api"]}


def test_bind_needs_an_environment_when_there_are_several(tmp_path: Path):
    spec = tmp_path / "multi-env.yaml"
    shutil.copy(MULTI, spec)
    result = CliRunner().invoke(main, ["bind", "--spec", str(spec), str(_outputs(tmp_path))])
    assert result.exit_code == 2 and "choose one with --env ENV" in result.stderr


def test_the_old_form_of_bind_points_at_env(tmp_path: Path):
    spec = tmp_path / "multi-env.yaml"
    shutil.copy(MULTI, spec)
    outputs = str(_outputs(tmp_path))
    result = CliRunner().invoke(main, ["bind", "prod", outputs, "--spec", str(spec)])
    assert result.exit_code == 2
    assert (
        f"'prod' is an environment, not an outputs file: name it with --env (wlid bind --env prod {outputs})"
        in (result.stderr)
    )


def test_bind_errors_are_messages(tmp_path: Path):
    spec = tmp_path / "multi-env.yaml"
    shutil.copy(MULTI, spec)
    missing = CliRunner().invoke(
        main, ["bind", "--spec", str(tmp_path / "nope.yaml"), "--env", "prod", "o.json"]
    )
    assert missing.exit_code == 2 and "nope.yaml" in missing.stderr and "Traceback" not in missing.output
    no_outputs = CliRunner().invoke(
        main, ["bind", "--spec", str(spec), "--env", "prod", str(tmp_path / "x.json")]
    )
    assert no_outputs.exit_code == 2 and "cannot read the outputs file" in no_outputs.stderr
    stdin = CliRunner().invoke(main, ["bind", "--spec", "-", "--env", "prod", "o.json"])
    assert stdin.exit_code == 2 and "--spec names a file" in stdin.stderr


# -- whatif checks OUT first ------------------------------------------------------------------------------


def test_whatif_refuses_a_missing_or_stale_tree(tmp_path: Path):
    out = tmp_path / "multi-env"
    args = ["whatif", str(MULTI), "--env", "prod", "-o", str(out)]
    missing = CliRunner().invoke(main, args)
    assert missing.exit_code == 2 and missing.stdout == ""
    assert (
        f"error: {out.as_posix()} does not exist: run wlid render {MULTI} -o {out.as_posix()}"
        in missing.stderr
    )
    assert CliRunner().invoke(main, ["render", str(MULTI), "-o", str(out), "--gitops", "flux"]).exit_code == 0
    stale = CliRunner().invoke(main, args)
    assert stale.exit_code == 2 and stale.stdout == ""
    assert f"{out.as_posix()} is out of date (" in stale.stderr, "the tree has no Argo CD objects"
    same = CliRunner().invoke(main, [*args, "--gitops", "flux"])
    assert same.exit_code == 0, same.output
    assert same.stderr == f"{out.as_posix()} is up to date\n" and "what-if" in same.stdout
    (out / "azure" / "main.json").write_text("{}\n", "utf-8")
    edited = CliRunner().invoke(main, [*args, "--gitops", "flux"])
    assert edited.exit_code == 2
    assert f"run wlid render {MULTI} -o {out.as_posix()} --gitops flux" in edited.stderr
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "x.txt").write_text("x\n")
    theirs = CliRunner().invoke(main, ["whatif", str(MULTI), "--env", "prod", "-o", str(foreign)])
    assert theirs.exit_code == 2 and "was not rendered by wlid" in theirs.stderr


def test_whatif_with_the_outputs_the_tree_was_rendered_with(tmp_path: Path):
    out = tmp_path / "multi-env"
    outputs = f"prod={_outputs(tmp_path)}"
    assert (
        CliRunner().invoke(main, ["render", str(MULTI), "-o", str(out), "--outputs", outputs]).exit_code == 0
    )
    without = CliRunner().invoke(main, ["whatif", str(MULTI), "--env", "prod", "-o", str(out)])
    assert without.exit_code == 2 and "give whatif the --outputs, --gitops and --templates" in without.stderr
    with_outputs = CliRunner().invoke(
        main, ["whatif", str(MULTI), "--env", "prod", "-o", str(out), "--outputs", outputs]
    )
    assert with_outputs.exit_code == 0, with_outputs.output


def test_whatif_from_stdin_is_refused():
    result = CliRunner().invoke(main, ["whatif", "-", "--env", "prod"], input=MULTI.read_text())
    assert result.exit_code == 2 and "pass its path" in result.stderr
