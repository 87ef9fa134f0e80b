"""Tests of the CI pipelines (GitHub Actions, Azure Pipelines), their what-if summary script, and the
what-if commands for one environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from wlid_render.emit.pipelines import SUMMARY_SCRIPT, emit_pipelines
from wlid_render.load import load_text
from wlid_render.plan.model import Plan
from wlid_render.render import plan_source
from wlid_render.whatif import whatif_commands

ROOT = Path(__file__).resolve().parent.parent
PLATFORM = (ROOT / "specs" / "platform.yaml").read_text(encoding="utf-8")
GITOPS = (
    "gitops: {repoURL: https://github.com/example/platform-gitops.git, "
    "branch: main, path: clusters/platform}\n"
)
OUT = "clusters/platform"
TARGETS = {
    "dev": ("44444444-4444-4444-4444-444444444444", "rg-platform-dev"),
    "prod": ("11111111-1111-1111-1111-111111111111", "rg-platform-identities-prod"),
    "staging": ("11111111-1111-1111-1111-111111111111", "rg-platform-identities"),
}

PROVIDERS = "/subscriptions/s/resourceGroups/rg/providers"
SUCCEEDED = {
    "status": "Succeeded",
    "error": None,
    "changes": [
        {
            "resourceId": f"{PROVIDERS}/Microsoft.ManagedIdentity/userAssignedIdentities/orders-api",
            "changeType": "Create",
        },
        {
            "resourceId": f"{PROVIDERS}/Microsoft.ManagedIdentity/userAssignedIdentities/reporting",
            "changeType": "Create",
        },
        {
            "resourceId": f"{PROVIDERS}/Microsoft.ContainerService/managedClusters/aks",
            "changeType": "Modify",
            "delta": [],
        },
        {
            "resourceId": f"{PROVIDERS}/Microsoft.Resources/deployments/wlid-id-orders-api",
            "changeType": "NoChange",
        },
    ],
}
FAILED = {
    "status": "Failed",
    "error": {
        "code": "InvalidTemplateDeployment",
        "message": "The template deployment is not valid.",
        "details": [{"code": "AuthorizationFailed", "message": "no permission to whatIf"}],
    },
    "changes": None,
}


def plan_of(text: str) -> Plan:
    return plan_source(load_text(text, "spec.yaml"))


@pytest.fixture(scope="module")
def plan() -> Plan:
    return plan_of(PLATFORM + GITOPS)


@pytest.fixture(scope="module")
def files(plan: Plan) -> dict[str, str]:
    return {a.path: a.text for a in emit_pipelines(plan)}


@pytest.fixture(scope="module")
def github(files: dict[str, str]) -> dict[str, Any]:
    return yaml.safe_load(files["pipelines/github-actions.yml"])


@pytest.fixture(scope="module")
def azure(files: dict[str, str]) -> dict[str, Any]:
    return yaml.safe_load(files["pipelines/azure-pipelines.yml"])


def one_line(script: str) -> str:
    return " ".join(script.replace("\\\n", " ").split())


def step(steps: list[dict[str, Any]], predicate: Any) -> dict[str, Any]:
    found = [s for s in steps if predicate(s)]
    assert len(found) == 1, found
    return found[0]


def heredoc_body(script: str) -> str:
    lines = script.split("\n")
    start = next(i for i, line in enumerate(lines) if "<<'PY'" in line)
    end = lines.index("PY", start)
    return "\n".join(lines[start + 1 : end]) + "\n"


def test_files(plan: Plan, files: dict[str, str]) -> None:
    assert sorted(files) == ["pipelines/azure-pipelines.yml", "pipelines/github-actions.yml"]
    for text in files.values():
        assert text.startswith("# ")
        assert "One job per environment" in text
        assert "WLID_SPEC" in text and "wlid.yaml" in text
        assert len(list(yaml.safe_load_all(text))) == 1


def test_github_workflow(github: dict[str, Any]) -> None:
    assert "on" in github and True not in github  # the key is the string "on"
    assert github["on"]["pull_request"] == {"branches": ["main"]}
    assert github["permissions"] == {"id-token": "write", "contents": "read"}
    assert github["env"] == {"WLID_SPEC": "${{ vars.WLID_SPEC || 'wlid.yaml' }}"}
    assert sorted(github["jobs"]) == [f"whatif-{env}" for env in sorted(TARGETS)]
    for env, (subscription, group) in TARGETS.items():
        steps = github["jobs"][f"whatif-{env}"]["steps"]
        assert steps[0]["uses"] == "actions/checkout@v4"
        install = step(steps, lambda s: "pip install wlid" in s.get("run", ""))
        assert "# Pin" in install["run"]
        render = step(steps, lambda s: "wlid render" in s.get("run", ""))
        assert render["run"] == f'wlid render "$WLID_SPEC" --out {OUT} --check'
        assert step(steps, lambda s: "wlid validate" in s.get("run", ""))["run"] == f"wlid validate {OUT}"
        login = step(steps, lambda s: s.get("uses") == "azure/login@v2")
        assert login["with"] == {
            "client-id": "${{ vars.AZURE_CLIENT_ID }}",
            "tenant-id": "${{ vars.AZURE_TENANT_ID }}",
            "subscription-id": "${{ vars.AZURE_SUBSCRIPTION_ID }}",
        }
        assert not any("secret" in json.dumps(s).lower() for s in steps)
        whatif = one_line(step(steps, lambda s: "what-if \\" in s.get("run", ""))["run"])
        assert whatif.startswith("az deployment group what-if ")
        assert f"--resource-group {group}" in whatif and f"--subscription {subscription}" in whatif
        assert f"--template-file {OUT}/azure/main.json" in whatif
        assert f"--parameters {OUT}/azure/params/{env}.parameters.json" in whatif
        assert whatif.endswith(f"--no-pretty-print > whatif-{env}.json")
        names = [s.get("uses") or s["run"].split()[0] for s in steps]
        assert names.index("azure/login@v2") < names.index("az")  # login before what-if
        summary = step(steps, lambda s: "<<'PY'" in s.get("run", ""))["run"]
        assert summary.startswith(f"python - whatif-{env}.json {env} \"$GITHUB_STEP_SUMMARY\" <<'PY'\n")
        assert heredoc_body(summary) == SUMMARY_SCRIPT


def test_azure_pipeline(azure: dict[str, Any]) -> None:
    assert azure["trigger"] == "none"
    assert azure["variables"]["WLID_SPEC"] == "wlid.yaml"
    assert "AZURE_SERVICE_CONNECTION" in azure["variables"]
    jobs = {job["job"]: job for job in azure["jobs"]}
    assert sorted(jobs) == [f"whatif_{env}" for env in sorted(TARGETS)]
    for env, (subscription, group) in TARGETS.items():
        steps = jobs[f"whatif_{env}"]["steps"]
        assert steps[0] == {"checkout": "self"}
        assert "pip install wlid" in step(steps, lambda s: "pip install" in s.get("script", ""))["script"]
        render = step(steps, lambda s: "wlid render" in s.get("script", ""))
        assert render["script"] == f'wlid render "$(WLID_SPEC)" --out {OUT} --check'
        assert (
            step(steps, lambda s: "wlid validate" in s.get("script", ""))["script"] == f"wlid validate {OUT}"
        )
        cli = step(steps, lambda s: s.get("task") == "AzureCLI@2")
        assert cli["inputs"]["azureSubscription"] == "${{ variables.AZURE_SERVICE_CONNECTION }}"
        assert cli["inputs"]["scriptType"] == "bash"
        assert cli["inputs"]["scriptLocation"] == "inlineScript"
        whatif = one_line(cli["inputs"]["inlineScript"])
        assert f"--resource-group {group}" in whatif and f"--subscription {subscription}" in whatif
        assert f"--parameters {OUT}/azure/params/{env}.parameters.json" in whatif
        assert whatif.endswith(f"--no-pretty-print > whatif-{env}.json")
        summary = step(steps, lambda s: "<<'PY'" in s.get("script", ""))["script"]
        assert heredoc_body(summary) == SUMMARY_SCRIPT
        assert f"##vso[task.uploadsummary]$(Agent.TempDirectory)/whatif-{env}.md" in summary


def test_tree_path_without_gitops_block_and_spec_path() -> None:
    plan = plan_of(PLATFORM)
    files = {a.path: yaml.safe_load(a.text) for a in emit_pipelines(plan, spec="infra/wlid spec.yaml")}
    github = files["pipelines/github-actions.yml"]
    assert github["env"]["WLID_SPEC"] == "${{ vars.WLID_SPEC || 'infra/wlid spec.yaml' }}"
    steps = github["jobs"]["whatif-prod"]["steps"]
    assert step(steps, lambda s: "wlid validate" in s.get("run", ""))["run"] == "wlid validate out/platform"
    whatif = one_line(step(steps, lambda s: "what-if \\" in s.get("run", ""))["run"])
    assert "--parameters out/platform/azure/params/prod.parameters.json" in whatif
    azure = files["pipelines/azure-pipelines.yml"]
    assert azure["variables"]["WLID_SPEC"] == "infra/wlid spec.yaml"
    assert azure["pr"] == {"branches": {"include": ["main"]}}


def test_deterministic(plan: Plan) -> None:
    assert emit_pipelines(plan) == emit_pipelines(plan_of(PLATFORM + GITOPS))


def test_summary_script_is_not_expanded_by_ci() -> None:
    assert "$(" not in SUMMARY_SCRIPT and "${{" not in SUMMARY_SCRIPT
    assert "\nPY\n" not in f"\n{SUMMARY_SCRIPT}"


def run_summary(tmp_path: Path, result: Any, *summary: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "whatif-dev.json"
    path.write_text(result if isinstance(result, str) else json.dumps(result), encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-", str(path), "dev", *summary],
        input=SUMMARY_SCRIPT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_summary_of_a_successful_whatif(tmp_path: Path) -> None:
    markdown = tmp_path / "summary.md"
    done = run_summary(tmp_path, SUCCEEDED, str(markdown))
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert "## what-if dev: Succeeded" in done.stdout
    assert "| Create | 2 |" in done.stdout
    assert "| Modify | 1 |" in done.stdout
    assert "| NoChange | 1 |" in done.stdout
    for change in SUCCEEDED["changes"]:
        assert f"| `{change['resourceId']}` | {change['changeType']} |" in done.stdout
    assert markdown.read_text(encoding="utf-8").strip() == done.stdout.strip()


def test_summary_of_a_failed_whatif(tmp_path: Path) -> None:
    done = run_summary(tmp_path, FAILED)
    assert done.returncode == 1
    assert "what-if for dev failed: status Failed" in done.stderr
    assert "InvalidTemplateDeployment: The template deployment is not valid." in done.stdout
    assert "  AuthorizationFailed: no permission to whatIf" in done.stdout
    assert "No resource changes reported." in done.stdout


@pytest.mark.parametrize(
    "result",
    [
        {"status": "Succeeded", "error": {"code": "X", "message": "y"}, "changes": []},
        {"status": "Running", "changes": []},
        {"changes": []},
        "",
        "not json",
        [1, 2],
    ],
)
def test_summary_fails_without_a_clean_success(tmp_path: Path, result: Any) -> None:
    assert run_summary(tmp_path, result).returncode == 1


def test_summary_reads_the_rest_api_shape(tmp_path: Path) -> None:
    rest = {"status": "Succeeded", "properties": {"changes": SUCCEEDED["changes"]}}
    done = run_summary(tmp_path, rest)
    assert done.returncode == 0 and "| Create | 2 |" in done.stdout


def test_summary_with_no_changes(tmp_path: Path) -> None:
    done = run_summary(tmp_path, {"status": "Succeeded", "error": None, "changes": []})
    assert done.returncode == 0 and "No resource changes reported." in done.stdout


@pytest.fixture()
def shell_env(tmp_path: Path) -> dict[str, str]:
    """PATH with `python` (this interpreter) and an `az` that records its arguments."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to(sys.executable)
    (bin_dir / "az").write_text(
        '#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a" >> "$AZ_LOG"; done\ncat "$AZ_RESULT"\n'
    )
    (bin_dir / "az").chmod(0o755)
    return {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "AZ_LOG": str(tmp_path / "az.log"),
    }


def run_github_whatif(
    github: dict[str, Any], env_name: str, tmp_path: Path, shell_env: dict[str, str]
) -> tuple[str, Path, dict[str, str], Path]:
    """Run the what-if step of a GitHub job in bash with the recording `az` (which answers SUCCEEDED);
    returns the summary step's script, the work folder, the environment and the step summary file."""
    steps = github["jobs"][f"whatif-{env_name}"]["steps"]
    whatif = step(steps, lambda s: "what-if \\" in s.get("run", ""))["run"]
    summary = step(steps, lambda s: "<<'PY'" in s.get("run", ""))["run"]
    work = tmp_path / "work"
    work.mkdir()
    (tmp_path / "result.json").write_text(json.dumps(SUCCEEDED))
    step_summary = tmp_path / "step-summary.md"
    env = {**shell_env, "AZ_RESULT": str(tmp_path / "result.json"), "GITHUB_STEP_SUMMARY": str(step_summary)}
    subprocess.run(["bash", "-e", "-c", whatif], cwd=work, env=env, check=True)
    return summary, work, env, step_summary


def test_github_steps_run_in_bash(github: dict[str, Any], tmp_path: Path, shell_env: dict[str, str]) -> None:
    summary, work, env, step_summary = run_github_whatif(github, "staging", tmp_path, shell_env)
    assert (tmp_path / "az.log").read_text().splitlines() == [
        "deployment",
        "group",
        "what-if",
        "--name",
        "wlid-platform",
        "--subscription",
        "11111111-1111-1111-1111-111111111111",
        "--resource-group",
        "rg-platform-identities",
        "--template-file",
        f"{OUT}/azure/main.json",
        "--parameters",
        f"{OUT}/azure/params/staging.parameters.json",
        "--no-pretty-print",
    ]
    assert json.loads((work / "whatif-staging.json").read_text()) == SUCCEEDED
    done = subprocess.run(["bash", "-e", "-c", summary], cwd=work, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "## what-if staging: Succeeded" in step_summary.read_text()
    (work / "whatif-staging.json").write_text(json.dumps(FAILED))
    done = subprocess.run(["bash", "-e", "-c", summary], cwd=work, env=env, capture_output=True, text=True)
    assert done.returncode == 1
    assert "AuthorizationFailed" in step_summary.read_text()


def test_azure_summary_step_runs_in_bash(
    azure: dict[str, Any], tmp_path: Path, shell_env: dict[str, str]
) -> None:
    steps = next(job for job in azure["jobs"] if job["job"] == "whatif_prod")["steps"]
    temp = tmp_path / "pipeline-temp"
    temp.mkdir()
    script = step(steps, lambda s: "<<'PY'" in s.get("script", ""))["script"]
    script = script.replace("$(Agent.TempDirectory)", str(temp))  # what Azure Pipelines does with the macro
    work = tmp_path / "work"
    work.mkdir()
    for result, code in ((SUCCEEDED, 0), (FAILED, 1)):
        (work / "whatif-prod.json").write_text(json.dumps(result))
        done = subprocess.run(["bash", "-c", script], cwd=work, env=shell_env, capture_output=True, text=True)
        assert done.returncode == code, done.stderr
        assert done.stdout.rstrip().endswith(f"##vso[task.uploadsummary]{temp}/whatif-prod.md")
    assert "## what-if prod: Failed" in (temp / "whatif-prod.md").read_text()


def test_whatif_commands(plan: Plan) -> None:
    for env, (subscription, group) in TARGETS.items():
        commands = whatif_commands(plan, env, OUT)
        target = f"--name wlid-platform --subscription {subscription} --resource-group {group}"
        files = f"--template-file {OUT}/azure/main.json --parameters {OUT}/azure/params/{env}.parameters.json"
        assert commands[0] == f"az deployment group what-if {target} {files}"
        assert commands[1] == f"az deployment group create {target} {files}"
        assert len(commands) == 3 and commands[2].startswith("#")
        assert (
            f"--template-file {OUT}/azure/main.bicep --parameters {OUT}/azure/params/{env}.bicepparam"
            in commands[2]
        )
        assert all(not c.startswith("#") for c in commands[:2])


def test_whatif_commands_quote_paths(plan: Plan) -> None:
    commands = whatif_commands(plan, "dev", "my out/")
    assert (
        "--template-file 'my out/azure/main.json' --parameters 'my out/azure/params/dev.parameters.json'"
        in commands[0]
    )
    assert whatif_commands(plan, "dev", Path("out/platform"))[0].endswith(
        "out/platform/azure/params/dev.parameters.json"
    )


def test_whatif_commands_unknown_environment(plan: Plan) -> None:
    with pytest.raises(KeyError, match=r"'qa'.*dev, prod, staging"):
        whatif_commands(plan, "qa", OUT)


@pytest.fixture(scope="module")
def split_plan() -> Plan:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from generate import spec_text

    plan = plan_of(spec_text(1000))
    assert len(plan.deployments) > 2  # main and at least two identity groups
    return plan


def test_split_pipeline_previews_every_deployment(
    split_plan: Plan, tmp_path: Path, shell_env: dict[str, str]
) -> None:
    github = yaml.safe_load(
        dict((a.path, a.text) for a in emit_pipelines(split_plan))["pipelines/github-actions.yml"]
    )
    summary, work, env, step_summary = run_github_whatif(github, "prod", tmp_path, shell_env)
    log = (tmp_path / "az.log").read_text().split("what-if\n")[1:]
    out = f"out/{split_plan.name}"
    expected = [
        (d.name, f"{out}/{d.template_path()}", f"{out}/{d.parameters_path('prod')}")
        for d in split_plan.deployments
    ]
    seen = []
    for call in log:
        words = call.split("\n")
        seen.append(tuple(words[words.index(o) + 1] for o in ("--name", "--template-file", "--parameters")))
    assert seen == expected
    results = sorted(p.name for p in work.glob("whatif-*.json"))
    assert results == sorted(
        ["whatif-prod.json", *(f"whatif-prod.{d.stem}.json" for d in split_plan.deployments[1:])]
    )
    done = subprocess.run(["bash", "-e", "-c", summary], cwd=work, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    text = step_summary.read_text()
    assert all(f"## what-if prod {d.stem}: Succeeded" in text for d in split_plan.deployments[1:])
    (work / results[-1]).write_text(json.dumps(FAILED))  # one failed group fails the step
    done = subprocess.run(["bash", "-e", "-c", summary], cwd=work, env=env, capture_output=True, text=True)
    assert done.returncode == 1


def test_split_whatif_commands_cover_every_deployment(split_plan: Plan) -> None:
    lines = whatif_commands(split_plan, "dev", "out/x")
    creates = [line for line in lines if line.startswith("az deployment group create")]
    assert len(creates) == len(split_plan.deployments)
    assert "--name wlid-bench-1000 " in creates[0] and "out/x/azure/main.json" in creates[0]
    for line, d in zip(creates[1:], split_plan.deployments[1:], strict=True):
        assert f"--name wlid-bench-1000.{d.stem} " in line
        assert (
            f"out/x/azure/{d.stem}.json" in line
            and f"out/x/azure/params/dev.{d.stem}.parameters.json" in line
        )
