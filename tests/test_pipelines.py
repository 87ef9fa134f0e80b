"""Tests of the CI pipelines (GitHub Actions, Azure Pipelines), their what-if summary script, and the
what-if commands for one environment."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT
from generate import spec_text

from wlid_render import __version__
from wlid_render.emit.github_actions import ACTIONS
from wlid_render.emit.pipeline_scripts import SUMMARY_SCRIPT
from wlid_render.emit.pipelines import emit_pipelines
from wlid_render.plan.model import Plan
from wlid_render.plan.source import plan_source
from wlid_render.repo_paths import RepoPaths, UnsafePath
from wlid_render.spec.load import load_text
from wlid_render.views.az import FLAGS_QUERY, whatif_commands

PLATFORM = (ROOT / "specs" / "platform.yaml").read_text(encoding="utf-8")
GITOPS = (
    "gitops: {repoURL: https://github.com/example/platform-gitops.git, "
    "branch: main, path: clusters/platform}\n"
)
OUT = "clusters/platform"
REPO = RepoPaths(OUT, "specs/platform.yaml")
FLAGS_CHECKED = ("prod", "staging")  # dev's template turns the flags on (enableWorkloadIdentity: true)
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
    return {a.path: a.text for a in emit_pipelines(plan, REPO)}


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
        assert "Least privilege" in text
        assert f"Spec: specs/platform.yaml; rendered tree: {OUT}" in text
        assert len(list(yaml.safe_load_all(text))) == 1
        assert "&id" not in text and "*id" not in text  # no YAML anchors: every step is written out


def github_scripts(workflow: dict[str, Any]) -> list[str]:
    return [s["run"] for job in workflow["jobs"].values() for s in job["steps"] if "run" in s]


def azure_scripts(pipeline: dict[str, Any]) -> list[str]:
    out = []
    for job in pipeline["jobs"]:
        for s in job["steps"]:
            if "script" in s:
                out.append(s["script"])
            if "inlineScript" in s.get("inputs", {}):
                out.append(s["inputs"]["inlineScript"])
    return out


def test_github_jobs_have_least_privilege(github: dict[str, Any]) -> None:
    assert "on" in github and True not in github  # the key is the string "on"
    assert github["on"]["pull_request"] == {"branches": ["main"]}
    assert github["permissions"] == {}  # nothing by default; each job asks for what it needs
    assert sorted(github["jobs"]) == ["check", *(f"whatif-{env}" for env in sorted(TARGETS))]
    check = github["jobs"]["check"]
    assert check["permissions"] == {"contents": "read"}
    steps = check["steps"]
    assert [s.get("uses", "").split("@")[0] for s in steps[:2]] == [
        "actions/checkout",
        "actions/setup-python",
    ]
    assert step(steps, lambda s: "pip install" in s.get("run", ""))["run"] == (
        f"python -m pip install wlid=={__version__}"
    )
    render = step(steps, lambda s: "wlid render" in s.get("run", ""))
    assert render["run"] == f"wlid render specs/platform.yaml -o {OUT} --check"
    assert step(steps, lambda s: "wlid validate" in s.get("run", ""))["run"] == f"wlid validate {OUT}"
    assert not any("azure/login" in s.get("uses", "") for s in steps)
    for env, (subscription, group) in TARGETS.items():
        job = github["jobs"][f"whatif-{env}"]
        assert job["needs"] == "check"
        assert job["permissions"] == {"contents": "read", "id-token": "write"}
        steps = job["steps"]
        assert steps[0]["uses"].startswith("actions/checkout@")
        assert steps[0]["with"] == {"persist-credentials": False}
        login = step(steps, lambda s: s.get("uses", "").startswith("azure/login@"))
        assert login["with"] == {
            "client-id": "${{ vars.AZURE_CLIENT_ID }}",
            "tenant-id": "${{ vars.AZURE_TENANT_ID }}",
            "subscription-id": "${{ vars.AZURE_SUBSCRIPTION_ID }}",
        }
        assert not any("secret" in json.dumps(s).lower() for s in steps)
        # nothing is installed in a job that can mint tokens, and wlid does not run there
        assert not any(re.search(r"\b(pip|pipx|npm|apt-get|curl|wget)\b", s.get("run", "")) for s in steps)
        assert not any("wlid " in s.get("run", "") for s in steps)
        whatif = one_line(step(steps, lambda s: "what-if \\" in s.get("run", ""))["run"])
        assert "az deployment group what-if " in whatif
        assert f"--resource-group {group}" in whatif and f"--subscription {subscription}" in whatif
        assert f"--template-file {OUT}/azure/main.json" in whatif
        assert f"--parameters {OUT}/azure/params/{env}.parameters.json" in whatif
        assert whatif.endswith(f"--no-pretty-print > whatif-{env}.json")
        names = [s.get("name") for s in steps]
        assert names.index("Azure login (OIDC)") < names.index(f"what-if {env}")
        flags = [s for s in steps if FLAGS_QUERY in s.get("run", "")]
        assert len(flags) == (env in FLAGS_CHECKED)
        if flags:
            assert (
                names.index("Azure login (OIDC)")
                < names.index(flags[0]["name"])
                < names.index(f"what-if {env}")
            )
        summary = step(steps, lambda s: "<<'PY'" in s.get("run", ""))["run"]
        assert summary.startswith(f"python3 - whatif-{env}.json {env} \"$GITHUB_STEP_SUMMARY\" <<'PY'\n")
        assert heredoc_body(summary) == SUMMARY_SCRIPT


def test_actions_are_pinned_by_commit(github: dict[str, Any]) -> None:
    used = {s["uses"] for job in github["jobs"].values() for s in job["steps"] if "uses" in s}
    assert used == {f"{name}@{sha}" for name, sha, _ in ACTIONS.values()}
    assert all(re.fullmatch(r"[^@]+@[0-9a-f]{40}", u) for u in used)


def test_azure_pipeline_has_least_privilege(azure: dict[str, Any]) -> None:
    assert azure["trigger"] == "none"
    assert azure["variables"] == {"AZURE_SERVICE_CONNECTION": "wlid-azure"}
    jobs = {job["job"]: job for job in azure["jobs"]}
    assert sorted(jobs) == ["check", *(f"whatif_{env}" for env in sorted(TARGETS))]
    steps = jobs["check"]["steps"]
    assert steps[0] == {"checkout": "self", "persistCredentials": False}
    assert step(steps, lambda s: "pip install" in s.get("script", ""))["script"] == (
        f"python -m pip install wlid=={__version__}"
    )
    assert step(steps, lambda s: "wlid render" in s.get("script", ""))["script"] == (
        f"wlid render specs/platform.yaml -o {OUT} --check"
    )
    assert step(steps, lambda s: "wlid validate" in s.get("script", ""))["script"] == f"wlid validate {OUT}"
    assert not any(s.get("task", "").startswith("AzureCLI") for s in steps)  # no service connection
    for env, (subscription, group) in TARGETS.items():
        job = jobs[f"whatif_{env}"]
        assert job["dependsOn"] == "check"
        steps = job["steps"]
        assert not any(re.search(r"\b(pip|npm|apt-get|curl)\b", json.dumps(s)) for s in steps)
        clis = [s for s in steps if s.get("task") == "AzureCLI@2"]
        assert len(clis) == 1 + (env in FLAGS_CHECKED)
        for cli in clis:
            assert cli["inputs"]["azureSubscription"] == "${{ variables.AZURE_SERVICE_CONNECTION }}"
            assert cli["inputs"]["scriptType"] == "bash"
            assert cli["inputs"]["scriptLocation"] == "inlineScript"
        whatif = one_line(clis[-1]["inputs"]["inlineScript"])
        assert f"--resource-group {group}" in whatif and f"--subscription {subscription}" in whatif
        assert f"--parameters {OUT}/azure/params/{env}.parameters.json" in whatif
        assert whatif.endswith(f"--no-pretty-print > whatif-{env}.json")
        summary = step(steps, lambda s: "<<'PY'" in s.get("script", ""))["script"]
        assert heredoc_body(summary) == SUMMARY_SCRIPT
        assert f"##vso[task.uploadsummary]$(Agent.TempDirectory)/whatif-{env}.md" in summary


def test_every_script_parses_in_bash(files: dict[str, str]) -> None:
    scripts = github_scripts(yaml.safe_load(files["pipelines/github-actions.yml"]))
    scripts += azure_scripts(yaml.safe_load(files["pipelines/azure-pipelines.yml"]))
    assert len(scripts) > 10
    for script in scripts:
        done = subprocess.run(["bash", "-n"], input=script, capture_output=True, text=True, check=False)
        assert done.returncode == 0, (script, done.stderr)


def test_no_ci_expansion_in_any_script(files: dict[str, str]) -> None:
    for script in github_scripts(yaml.safe_load(files["pipelines/github-actions.yml"])):
        assert "${{" not in script
    for script in azure_scripts(yaml.safe_load(files["pipelines/azure-pipelines.yml"])):
        macros = set(re.findall(r"\$\([^)]*\)", script)) | set(re.findall(r"\$\[", script))
        assert macros <= {"$(Agent.TempDirectory)", "$(Build.SourcesDirectory)"}, macros


def test_the_install_is_configurable_and_pinned() -> None:
    plan = plan_of(PLATFORM + "pipelines: {install: tools/wlid-0.1.0-py3-none-any.whl}\n")
    text = {a.path: a.text for a in emit_pipelines(plan)}["pipelines/github-actions.yml"]
    check = yaml.safe_load(text)["jobs"]["check"]["steps"]
    assert step(check, lambda s: "pip install" in s.get("run", ""))["run"] == (
        "python -m pip install tools/wlid-0.1.0-py3-none-any.whl"
    )


@pytest.mark.parametrize(
    "install",
    ["wlid", "wlid>=0.1", "-r requirements.txt", "--index-url=https://x wlid==1", "wlid==1; rm -rf /",
     "$(curl x)==1", "http://example.com/wlid-0.1.0-py3-none-any.whl", "wlid==1 other"],
)  # fmt: skip
def test_an_unpinned_or_shell_install_is_refused(install: str) -> None:
    from wlid_render.errors import SpecError

    with pytest.raises(SpecError, match=r"pipelines\.install"):
        plan_of(PLATFORM + f"pipelines: {{install: {json.dumps(install)}}}\n")


def test_paths_come_from_the_render_and_never_become_options() -> None:
    plan = plan_of(PLATFORM)
    files = {a.path: yaml.safe_load(a.text) for a in emit_pipelines(plan, RepoPaths("-o x", "--force.yaml"))}
    check = files["pipelines/github-actions.yml"]["jobs"]["check"]["steps"]
    render = step(check, lambda s: "wlid render" in s.get("run", ""))["run"]
    assert shlex.split(render) == ["wlid", "render", "./--force.yaml", "-o", "./-o x", "--check"]
    whatif = files["pipelines/github-actions.yml"]["jobs"]["whatif-prod"]["steps"]
    script = step(whatif, lambda s: "what-if \\" in s.get("run", ""))["run"]
    assert "--template-file './-o x/azure/main.json'" in script
    for bad in ("out/$(whoami)", "out/${{ github.token }}", "out/$[variables.x]", "out/a\nb"):
        with pytest.raises(UnsafePath):
            emit_pipelines(plan, RepoPaths(bad))
        with pytest.raises(UnsafePath):
            emit_pipelines(plan, RepoPaths("out", bad))


def test_default_paths_without_repository_information() -> None:
    plan = plan_of(PLATFORM)
    files = {a.path: yaml.safe_load(a.text) for a in emit_pipelines(plan)}
    steps = files["pipelines/github-actions.yml"]["jobs"]["check"]["steps"]
    assert step(steps, lambda s: "wlid validate" in s.get("run", ""))["run"] == "wlid validate out/platform"
    assert step(steps, lambda s: "wlid render" in s.get("run", ""))["run"] == (
        "wlid render wlid.yaml -o out/platform --check"
    )
    azure = files["pipelines/azure-pipelines.yml"]
    assert azure["pr"] == {"branches": {"include": ["main"]}}


def test_deterministic(plan: Plan) -> None:
    assert emit_pipelines(plan, REPO) == emit_pipelines(plan_of(PLATFORM + GITOPS), REPO)


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
    (bin_dir / "python3").symlink_to(sys.executable)
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
        if env in FLAGS_CHECKED:
            comment, check, *commands = commands
            assert comment.startswith("# must print true (else: cluster aks-platform-")
            assert "az aks update" in comment and "--enable-oidc-issuer --enable-workload-identity" in comment
            assert "restarts the API server" in comment
            assert shlex.split(check)[:3] == ["az", "aks", "show"]
            assert shlex.split(check)[-4:] == ["--query", FLAGS_QUERY, "--output", "json"]
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


STACK = PLATFORM.replace(
    "    azure: {location: northeurope, resourceGroup: rg-platform-identities-prod}\n",
    "    azure: {location: northeurope, resourceGroup: rg-platform-identities-prod, deploy: stack}\n",
)


def test_stack_mode_deploys_with_a_deployment_stack_and_lists_what_it_manages() -> None:
    assert STACK != PLATFORM
    plan = plan_of(STACK)
    assert {e.name: e.deploy for e in plan.environments} == {
        "dev": "group",
        "staging": "group",
        "prod": "stack",
    }
    commands = [c for c in whatif_commands(plan, "prod", OUT) if not c.startswith("#")]
    assert shlex.split(commands[-1]) == [
        "az", "stack", "group", "create", "--name", "wlid-platform",
        "--subscription", "11111111-1111-1111-1111-111111111111", "--resource-group", "rg-platform-identities-prod",
        "--template-file", f"{OUT}/azure/main.json", "--parameters", f"{OUT}/azure/params/prod.parameters.json",
        "--action-on-unmanage", "deleteResources", "--deny-settings-mode", "none", "--yes",
    ]  # fmt: skip
    assert shlex.split(commands[-2])[:4] == ["az", "stack", "group", "show"]
    assert shlex.split(commands[-2])[-2:] == ["--query", "resources[].id"]
    assert not any(c.startswith("az stack") for c in whatif_commands(plan, "staging", OUT))


def test_a_stack_never_holds_the_cluster_step() -> None:
    from wlid_render.errors import SpecError

    text = STACK.replace(
        "      name: aks-platform-prod\n",
        "      name: aks-platform-prod\n      enableWorkloadIdentity: true\n",
    )
    assert text != STACK
    with pytest.raises(SpecError, match=r"stack with cluster\.enableWorkloadIdentity: true") as caught:
        plan_of(text)
    assert caught.value.problems[0].path == ("environments", "prod", "azure", "deploy")


def test_stack_pipeline_previews_and_names_what_the_stack_would_delete(
    tmp_path: Path, shell_env: dict[str, str]
) -> None:
    plan = plan_of(STACK)
    github = yaml.safe_load(
        {a.path: a.text for a in emit_pipelines(plan, REPO)}["pipelines/github-actions.yml"]
    )
    steps = github["jobs"]["whatif-prod"]["steps"]
    script = step(steps, lambda s: "what-if \\" in s.get("run", ""))["run"]
    summary = step(steps, lambda s: "<<'PY'" in s.get("run", ""))["run"]
    assert "stack-prod.json" in summary
    work = tmp_path / "work"
    work.mkdir()
    managed = [c["resourceId"] for c in SUCCEEDED["changes"]] + [
        f"{PROVIDERS}/Microsoft.ManagedIdentity/userAssignedIdentities/old"
    ]
    # the recording az answers what-if with SUCCEEDED and `stack group show` with the managed IDs
    (tmp_path / "result.json").write_text(json.dumps(SUCCEEDED))
    (tmp_path / "bin" / "az").write_text(
        '#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a" >> "$AZ_LOG"; done\n'
        'if [ "$1" = stack ]; then cat "$AZ_STACK"; else cat "$AZ_RESULT"; fi\n'
    )
    (tmp_path / "stack.json").write_text(json.dumps(managed))
    step_summary = tmp_path / "summary.md"
    env = {
        **shell_env,
        "AZ_RESULT": str(tmp_path / "result.json"),
        "AZ_STACK": str(tmp_path / "stack.json"),
        "GITHUB_STEP_SUMMARY": str(step_summary),
    }
    subprocess.run(["bash", "-e", "-c", script], cwd=work, env=env, check=True)
    assert json.loads((work / "stack-prod.json").read_text()) == managed
    done = subprocess.run(["bash", "-e", "-c", summary], cwd=work, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    text = step_summary.read_text()
    assert "deployment stack: managed now, not in the what-if result" in text
    assert f"- `{PROVIDERS}/Microsoft.ManagedIdentity/userAssignedIdentities/old`" in text
    assert f"- `{PROVIDERS}/Microsoft.ManagedIdentity/userAssignedIdentities/orders-api`" not in text
    # no stack yet: the listing fails, the job says so and the stack deletes nothing
    (tmp_path / "bin" / "az").write_text(
        '#!/bin/sh\nif [ "$1" = stack ]; then echo "StackNotFound" >&2; exit 3; fi\ncat "$AZ_RESULT"\n'
    )
    done = subprocess.run(["bash", "-e", "-c", script], cwd=work, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "no deployment stack wlid-platform yet" in done.stdout
    assert json.loads((work / "stack-prod.json").read_text()) == []


@pytest.mark.parametrize(("answer", "code"), [("true", 0), ("false", 1), ("null", 1), ("", 1)])
def test_the_cluster_flags_step_fails_unless_both_flags_are_on(
    github: dict[str, Any], tmp_path: Path, shell_env: dict[str, str], answer: str, code: int
) -> None:
    steps = github["jobs"]["whatif-prod"]["steps"]
    script = step(steps, lambda s: FLAGS_QUERY in s.get("run", ""))["run"]
    (tmp_path / "flags.json").write_text(answer + ("\n" if answer else ""))
    env = {**shell_env, "AZ_RESULT": str(tmp_path / "flags.json")}
    done = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == code, done.stderr
    if code:
        assert done.stdout.startswith(
            "::error::cluster aks-platform-prod: the OIDC issuer and workload identity"
        )
        assert (
            "az aks update --subscription 11111111-1111-1111-1111-111111111111 --resource-group"
            in done.stdout
        )
        assert "restarts the API server" in done.stdout
    words = (tmp_path / "az.log").read_text().splitlines()
    assert words[:2] == ["aks", "show"] and words[words.index("--query") + 1] == FLAGS_QUERY


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
