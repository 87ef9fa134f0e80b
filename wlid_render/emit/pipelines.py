"""Plan -> CI pipelines that check the rendered tree and preview every environment. Pure.

`pipelines/github-actions.yml` (GitHub Actions) and `pipelines/azure-pipelines.yml` (Azure Pipelines)
hold, with least privilege:

* one job `check` that installs the pinned wlid (`pipelines.install`, default the version that
  rendered the tree), runs `wlid render --check` and `wlid validate` on the tree. It cannot mint
  Azure tokens: no `id-token: write` (GitHub), no service connection (Azure Pipelines);
* per environment, after `check`, a job that logs in to Azure with an OIDC federated credential (no
  secret) and installs nothing: it asserts the cluster's OIDC issuer and workload identity flags
  (unless the template turns them on), runs `az deployment group what-if` for each top-level
  deployment (and, for a deployment stack, lists what the stack manages now, since what-if does not
  show what a stack deletes), and a Python step (standard library only) reads the what-if JSON, fails
  when the operation did not succeed and summarises the changes. `az deployment group what-if` exits
  non-zero only when the operation fails, never because of changes, so the gate parses the JSON result.

GitHub actions are pinned by commit SHA (`ACTIONS`); Azure Pipelines tasks can only be pinned by major
version (`UsePythonVersion@0`, `AzureCLI@2`), and they are Microsoft's built-in tasks.

Every path and value in the files is literal: the spec path and OUT come as `RepoPaths` (checked by
`repo_paths.pipeline_path`: no `$`, no control characters, never starting with `-`), Azure names are
validated by the spec, and every word of a script is shell-quoted. No script holds `${{` or an Azure
Pipelines macro other than the system paths `$(Agent.TempDirectory)` and `$(Build.SourcesDirectory)`
(`wlid validate` checks it: PIPE004, PIPE005).
"""

from __future__ import annotations

import re
import shlex
from typing import Any

import yaml

try:  # pragma: no cover - depends on how PyYAML was built
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

from wlid_render import __version__
from wlid_render.emit.artifact import Artifact, to_yaml
from wlid_render.plan.cluster import cluster_step
from wlid_render.plan.model import AzureDeployment, EnvironmentPlan, Plan
from wlid_render.repo_paths import RepoPaths, pipeline_path
from wlid_render.views.az import (
    cluster_flags_check,
    cluster_flags_message,
    deployment_arguments,
    stack_resources_command,
    uses_stack,
)

PIPELINES_DIR = "pipelines"
GITHUB_FILE = f"{PIPELINES_DIR}/github-actions.yml"
AZURE_FILE = f"{PIPELINES_DIR}/azure-pipelines.yml"
PYTHON_VERSION = "3.12"
HEREDOC_END = "PY"
CHECK_JOB = "check"

# GitHub actions by full commit SHA (a tag can be moved; a SHA cannot), with the release it is. Checked
# against the actions' repositories: actions/checkout v7.0.1, actions/setup-python v7.0.0, azure/login
# v3.0.1 (inputs client-id, tenant-id, subscription-id unchanged since v1).
ACTIONS = {
    "checkout": ("actions/checkout", "3d3c42e5aac5ba805825da76410c181273ba90b1", "v7.0.1"),
    "setup-python": ("actions/setup-python", "5fda3b95a4ea91299a34e894583c3862153e4b97", "v7.0.0"),
    "login": ("azure/login", "f5d393ae46f8fde4be8b75f32e3fc50e654ad0ca", "v3.0.1"),
}
# The only Azure Pipelines macros the generated scripts use: system paths, set by the agent.
SYSTEM_MACROS = ("$(Agent.TempDirectory)", "$(Build.SourcesDirectory)")


def uses(action: str) -> str:
    name, sha, _ = ACTIONS[action]
    return f"{name}@{sha}"


def install_argument(plan: Plan) -> str:
    """What `pip install` gets: `pipelines.install`, else the wlid version that rendered the tree."""
    return plan.pipelines_install or f"wlid=={__version__}"


# Reads `az deployment group what-if --no-pretty-print` output: argv = JSON file, environment name,
# optionally a Markdown file to append the summary to ("" for none) and, for a deployment stack, the
# JSON list of resource IDs the stack manages now (`az stack group show --query "resources[].id"`).
# Exit 1 when the result is unreadable, its status is not Succeeded or it carries an error. Kept free
# of `$(` and `${{`, which both CI systems expand.
SUMMARY_SCRIPT = """\
import json
import sys
from collections import Counter

path, env = sys.argv[1], sys.argv[2]
summary = sys.argv[3] if len(sys.argv) > 3 else ""
stack = sys.argv[4] if len(sys.argv) > 4 else ""
try:
    with open(path, encoding="utf-8") as handle:
        result = json.load(handle)
except (OSError, ValueError) as exc:
    result = {"error": {"code": "NoResult", "message": "cannot read %s: %s" % (path, exc)}}
if not isinstance(result, dict):
    result = {"error": {"code": "NoResult", "message": "%s does not hold a JSON object" % path}}
status = result.get("status")
error = result.get("error")
changes = result.get("changes")
if changes is None:
    changes = (result.get("properties") or {}).get("changes")
changes = [c for c in changes or [] if isinstance(c, dict)]
failed = status != "Succeeded" or bool(error)


def describe(err, depth=0):
    if not isinstance(err, dict):
        return ["  " * depth + str(err)]
    head = "%s: %s" % (err.get("code") or "Error", err.get("message") or "")
    lines = ["  " * depth + head.rstrip()]
    for detail in err.get("details") or []:
        lines += describe(detail, depth + 1)
    return lines


counts = Counter(str(c.get("changeType") or "Unknown") for c in changes)
lines = ["## what-if %s: %s" % (env, status or "no status"), ""]
if error:
    lines += ["```", *describe(error), "```", ""]
if counts:
    lines += ["| change type | resources |", "|---|---|"]
    lines += ["| %s | %d |" % (kind, counts[kind]) for kind in sorted(counts)]
    lines += ["", "| resource | change type |", "|---|---|"]
    rows = sorted((str(c.get("resourceId") or "?"), str(c.get("changeType") or "Unknown")) for c in changes)
    lines += ["| `%s` | %s |" % row for row in rows]
else:
    lines.append("No resource changes reported.")
if stack:
    try:
        with open(stack, encoding="utf-8") as handle:
            managed = json.load(handle)
    except (OSError, ValueError):
        managed = []
    seen = {str(c.get("resourceId") or "").lower() for c in changes}
    gone = sorted(str(r) for r in managed or [] if isinstance(r, str) and r.lower() not in seen)
    lines += ["", "### deployment stack: managed now, not in the what-if result", ""]
    if gone:
        lines += [
            "The stack deletes these when the template no longer holds them (what-if cannot name "
            "resources whose names depend on reference(), e.g. role assignments: check each):",
            "",
        ]
        lines += ["- `%s`" % r for r in gone]
    else:
        lines.append("None: the stack deletes nothing.")
text = "\\n".join(lines) + "\\n"
print(text)
if summary:
    with open(summary, "a", encoding="utf-8") as handle:
        handle.write(text + "\\n")
if failed:
    print("what-if for %s failed: status %s" % (env, status or "missing"), file=sys.stderr)
    sys.exit(1)
"""


def _result(env: EnvironmentPlan, deployment: AzureDeployment) -> str:
    middle = "" if deployment.stem == "main" else f".{deployment.stem}"
    return f"whatif-{env.name}{middle}.json"


def _stack_file(env: EnvironmentPlan, deployment: AzureDeployment) -> str:
    middle = "" if deployment.stem == "main" else f".{deployment.stem}"
    return f"stack-{env.name}{middle}.json"


def _label(env: EnvironmentPlan, deployment: AzureDeployment) -> str:
    return env.name if deployment.stem == "main" else f"{env.name} {deployment.stem}"


def _multiline(words: list[str], first: int) -> list[str]:
    """A shell-quoted command over several lines: `first` words on the first line, then option pairs."""
    quoted = [shlex.quote(w) for w in words]
    lines = [" ".join(quoted[:first]) + " \\"]
    rest = quoted[first:]
    lines += [f"  {' '.join(rest[i : i + 2])} \\" for i in range(0, len(rest), 2)]
    lines[-1] = lines[-1].removesuffix(" \\")
    return lines


def _flags_script(env: EnvironmentPlan, error: str) -> str | None:
    """Assert the cluster's OIDC issuer and workload identity flags; None when the template sets them.

    `error` prefixes the failure message for the CI system (`::error::`, `##vso[task.logissue ...]`).
    """
    cluster = cluster_step(env)
    check = cluster_flags_check(cluster)
    if check is None:
        return None
    result = f"cluster-flags-{env.name}.json"
    lines = [
        "set -e",
        *_multiline(check, 3),
    ]
    lines[-1] += f" > {shlex.quote(result)}"
    lines += [
        "enabled=",
        f"read -r enabled < {shlex.quote(result)} || true",
        'if [ "$enabled" != true ]; then',
        f"  echo {shlex.quote(error + cluster_flags_message(cluster))}",  # CI systems read commands on stdout
        "  exit 1",
        "fi",
        f"echo {shlex.quote(f'cluster {env.cluster_name}: OIDC issuer and workload identity are on')}",
    ]
    return "\n".join(lines) + "\n"


def _whatif_script(plan: Plan, env: EnvironmentPlan, out: str) -> str:
    """What-if of every top-level deployment of the environment, `main` first, one JSON result each;
    for a deployment stack also the list of resources the stack manages now."""
    lines = ["set -e"]
    for deployment in plan.deployments:
        args = deployment_arguments(plan, env, out, deployment=deployment)
        command = _multiline(["az", "deployment", "group", "what-if", *args, "--no-pretty-print"], 4)
        command[-1] += f" > {shlex.quote(_result(env, deployment))}"
        lines += command
        if uses_stack(env, deployment):
            stack = shlex.quote(_stack_file(env, deployment))
            show = _multiline([*stack_resources_command(env, deployment), "--output", "json"], 4)
            show[0] = "if ! " + show[0]
            show[-1] += f" > {stack}; then"
            missing = f"no deployment stack {deployment.name} yet (or it cannot be read): it deletes nothing"
            lines += [*show, f"  echo {shlex.quote(missing)}", f"  echo '[]' > {stack}", "fi"]
    return "\n".join(lines) + "\n"


def _summary_script(plan: Plan, env: EnvironmentPlan, summary: str, suffix: str = "") -> list[str]:
    """Summarise every what-if result of the environment; with several the script is saved once."""
    calls = []
    for deployment in plan.deployments:
        words = [shlex.quote(_result(env, deployment)), shlex.quote(_label(env, deployment)), summary]
        if uses_stack(env, deployment):
            words.append(shlex.quote(_stack_file(env, deployment)))
        calls.append(" ".join(words))
    if len(calls) == 1:
        return [f"python3 - {calls[0]} <<'{HEREDOC_END}'{suffix}", *SUMMARY_SCRIPT.splitlines(), HEREDOC_END]
    script = "wlid-whatif-summary.py"
    lines = [f"cat > {script} <<'{HEREDOC_END}'", *SUMMARY_SCRIPT.splitlines(), HEREDOC_END, "failed=0"]
    lines += [f"python3 {script} {call} || failed=1" for call in calls]
    lines.append(f'[ "$failed" = 0 ]{suffix}')
    return lines


def _check_commands(plan: Plan, repo: RepoPaths) -> tuple[str, str, str]:
    """(install, render --check, validate) lines of the check job."""
    install = f"python -m pip install {shlex.quote(install_argument(plan))}"
    render = f"wlid render {shlex.quote(repo.spec)} -o {shlex.quote(repo.out)} --check"
    return install, render, f"wlid validate {shlex.quote(repo.out)}"


# A line `key: TOKEN` or `- key: TOKEN` holding a script's token, which becomes a literal block.
_SCRIPT_TOKEN_LINE = re.compile(
    r"^(?P<lead>[ ]*(?:- )?)(?P<key>[A-Za-z][\w-]*): (?P<token>wlid-script-[0-9]+)$", re.M
)


class _Scripts:
    """Multi-line shell scripts for YAML literal blocks (`|`).

    The canonical serialiser writes every string in plain or quoted style; a script is first written as
    a unique token and the token's line is then replaced by a literal block holding the script.
    """

    def __init__(self) -> None:
        self.scripts: dict[str, str] = {}

    def __call__(self, script: str) -> str:
        if not script.endswith("\n") or script[:1] in (" ", "\t", "\n"):
            raise ValueError("a script must end with a newline and start with text")
        token = f"wlid-script-{len(self.scripts)}"
        self.scripts[token] = script
        return token

    def dump(self, document: Any, header: str) -> str:
        written: dict[str, int] = dict.fromkeys(self.scripts, 0)

        def literal_block(match: re.Match[str]) -> str:
            token, lead = match["token"], match["lead"]
            if token not in written:  # pragma: no cover - not a token of this document
                return match.group()
            written[token] += 1
            indent = " " * (len(lead) + 2)
            script = self.scripts[token].rstrip("\n")
            body = "\n".join(indent + line if line else "" for line in script.split("\n"))
            return f"{lead}{match['key']}: |\n{body}"

        text = _SCRIPT_TOKEN_LINE.sub(literal_block, to_yaml(document))
        if any(count != 1 for count in written.values()):  # pragma: no cover - a bug in this module
            raise AssertionError(f"script tokens found other than once: {written}")
        expected = _replace(document, self.scripts)
        if yaml.load(text, Loader=_Loader) != expected:  # pragma: no cover - a bug in this module
            raise AssertionError("literal blocks changed the pipeline")
        return header + text


def _replace(value: Any, scripts: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {k: _replace(v, scripts) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace(v, scripts) for v in value]
    if isinstance(value, str):
        return scripts.get(value, value)
    return value


def _header(lines: list[str]) -> str:
    return "".join(f"# {line}".rstrip() + "\n" for line in lines)


def _branch(plan: Plan) -> str:
    return plan.gitops.branch if plan.gitops is not None else "main"


def _common_header(plan: Plan, repo: RepoPaths) -> list[str]:
    stacks = sorted({e.name for e in plan.environments if e.deploy == "stack"})
    lines = [
        f"Generated by `wlid render` for {plan.name!r}: render again rather than editing this file",
        "(`wlid render --check` reports any change to it).",
        "",
        f"Spec: {repo.spec}; rendered tree: {repo.out} (paths from the repository root).",
        "",
        "Least privilege: the job `check` installs wlid (pinned: "
        f"{install_argument(plan)}; spec key pipelines.install)",
        "and runs `wlid render --check` and `wlid validate` without any way to get an Azure token.",
        "One job per environment then logs in to Azure (OIDC, no secret), installs nothing, checks the",
        "cluster's OIDC issuer and workload identity flags and previews its environment with what-if.",
        "",
        "`az deployment group what-if` exits non-zero only when the operation fails, not because of",
        "changes: the summary step parses its JSON result, fails when the status is not Succeeded or",
        "an error is reported, and lists the changes per change type and resource.",
    ]
    if stacks:
        lines += [
            "",
            f"Deployment stacks ({', '.join(stacks)}; azure.deploy: stack): what-if does not show what a stack",
            "deletes. The job lists what the stack manages now (az stack group show) and the summary names",
            "what is not in the what-if result: the stack deletes those that left the template.",
        ]
    return lines


def _checkout() -> dict[str, Any]:
    """actions/checkout without leaving the job's GITHUB_TOKEN in .git/config for later steps."""
    return {"name": "Check out", "uses": uses("checkout"), "with": {"persist-credentials": False}}


def _github(plan: Plan, repo: RepoPaths) -> str:
    scripts = _Scripts()
    header = _header(
        [
            *_common_header(plan, repo),
            "",
            "GitHub runs workflows only from .github/workflows/: copy this file there.",
            "Actions are pinned by commit SHA (a tag can move, a commit cannot):",
            *(f"  {name}@{sha} is {version}" for name, sha, version in ACTIONS.values()),
            "Azure login uses OpenID Connect (no secret): the repository variables AZURE_CLIENT_ID,",
            "AZURE_TENANT_ID and AZURE_SUBSCRIPTION_ID name an Entra application or user-assigned",
            "identity with a federated credential for this repository (subject",
            "repo:<owner>/<repo>:pull_request for pull requests, repo:<owner>/<repo>:ref:refs/heads/<branch>",
            "for manual runs) that may run what-if in every environment's resource group.",
        ]
    )
    install, render, validate = _check_commands(plan, repo)
    jobs: dict[str, Any] = {
        CHECK_JOB: {
            "name": "render --check and validate",
            "runs-on": "ubuntu-latest",
            "permissions": {"contents": "read"},
            "steps": [
                _checkout(),
                {
                    "name": "Set up Python",
                    "uses": uses("setup-python"),
                    "with": {"python-version": PYTHON_VERSION},
                },
                {"name": "Install wlid", "run": install},
                {"name": "Check the rendered tree is current", "run": render},
                {"name": "Validate the rendered tree", "run": validate},
            ],
        }
    }
    for env in plan.environments:
        steps: list[dict[str, Any]] = [
            _checkout(),
            {
                "name": "Azure login (OIDC)",
                "uses": uses("login"),
                "with": {
                    "client-id": "${{ vars.AZURE_CLIENT_ID }}",
                    "tenant-id": "${{ vars.AZURE_TENANT_ID }}",
                    "subscription-id": "${{ vars.AZURE_SUBSCRIPTION_ID }}",
                },
            },
        ]
        flags = _flags_script(env, "::error::")
        if flags is not None:
            steps.append({"name": f"Check the cluster flags of {env.name}", "run": scripts(flags)})
        summary = _summary_script(plan, env, '"$GITHUB_STEP_SUMMARY"')
        steps += [
            {"name": f"what-if {env.name}", "run": scripts(_whatif_script(plan, env, repo.out))},
            {"name": f"Summarise what-if {env.name}", "run": scripts("\n".join(summary) + "\n")},
        ]
        jobs[f"whatif-{env.name}"] = {
            "name": f"what-if {env.name}",
            "needs": CHECK_JOB,
            "runs-on": "ubuntu-latest",
            "permissions": {"contents": "read", "id-token": "write"},
            "steps": steps,
        }
    workflow = {
        "name": f"wlid ({plan.name})",
        "on": {"pull_request": {"branches": [_branch(plan)]}, "workflow_dispatch": {}},
        "permissions": {},
        "jobs": jobs,
    }
    return scripts.dump(workflow, header)


def azure_job_name(env: EnvironmentPlan) -> str:
    """Azure Pipelines job names take letters, digits and '_' only."""
    return "whatif_" + re.sub(r"[^A-Za-z0-9_]", "_", env.name)


def _azure_cli(display: str, script: str) -> dict[str, Any]:
    return {
        "task": "AzureCLI@2",
        "displayName": display,
        "inputs": {
            "azureSubscription": "${{ variables.AZURE_SERVICE_CONNECTION }}",
            "scriptType": "bash",
            "scriptLocation": "inlineScript",
            "workingDirectory": "$(Build.SourcesDirectory)",
            "inlineScript": script,
        },
    }


def _azure(plan: Plan, repo: RepoPaths) -> str:
    scripts = _Scripts()
    header = _header(
        [
            *_common_header(plan, repo),
            "",
            "Azure login uses an Azure Resource Manager service connection with workload identity",
            "federation (no secret), named by the variable AZURE_SERVICE_CONNECTION and used only by the",
            "AzureCLI tasks of the what-if jobs. Service connections are resolved when the pipeline is",
            "compiled, hence the template expression ${{ variables... }}: set the name here, not as a",
            "queue-time variable. Its identity must be allowed to run what-if in every environment's",
            "resource group. Tasks are Microsoft's built-in ones, pinned by major version (the only pin",
            "Azure Pipelines offers for tasks).",
            "The pr trigger applies to GitHub and Bitbucket repositories; Azure Repos use branch policies.",
        ]
    )
    install, render, validate = _check_commands(plan, repo)
    jobs: list[dict[str, Any]] = [
        {
            "job": CHECK_JOB,
            "displayName": "render --check and validate",
            "steps": [
                {"checkout": "self", "persistCredentials": False},
                {
                    "task": "UsePythonVersion@0",
                    "displayName": "Set up Python",
                    "inputs": {"versionSpec": PYTHON_VERSION},
                },
                {"script": install, "displayName": "Install wlid"},
                {"script": render, "displayName": "Check the rendered tree is current"},
                {"script": validate, "displayName": "Validate the rendered tree"},
            ],
        }
    ]
    for env in plan.environments:
        markdown = f"$(Agent.TempDirectory)/whatif-{env.name}.md"
        summary = [
            "status=0",
            *_summary_script(plan, env, f'"{markdown}"', " || status=$?"),
            f'echo "##vso[task.uploadsummary]{markdown}"',
            'exit "$status"',
        ]
        steps: list[dict[str, Any]] = [{"checkout": "self", "persistCredentials": False}]
        flags = _flags_script(env, "##vso[task.logissue type=error]")
        if flags is not None:
            steps.append(_azure_cli(f"Check the cluster flags of {env.name}", scripts(flags)))
        steps += [
            _azure_cli(f"what-if {env.name}", scripts(_whatif_script(plan, env, repo.out))),
            {
                "script": scripts("\n".join(summary) + "\n"),
                "displayName": f"Summarise what-if {env.name}",
                "workingDirectory": "$(Build.SourcesDirectory)",
            },
        ]
        jobs.append(
            {
                "job": azure_job_name(env),
                "displayName": f"what-if {env.name}",
                "dependsOn": CHECK_JOB,
                "steps": steps,
            }
        )
    pipeline = {
        "trigger": "none",
        "pr": {"branches": {"include": [_branch(plan)]}},
        "variables": {"AZURE_SERVICE_CONNECTION": "wlid-azure"},
        "pool": {"vmImage": "ubuntu-latest"},
        "jobs": jobs,
    }
    return scripts.dump(pipeline, header)


def emit_pipelines(plan: Plan, repo: RepoPaths | None = None) -> list[Artifact]:
    """`pipelines/github-actions.yml` and `pipelines/azure-pipelines.yml`, sorted by path.

    `repo`: OUT and the spec as the repository sees them (default `out/<name>`, `wlid.yaml`); both
    pass `pipeline_path` again here, so that no caller can hand in a path the files cannot hold.
    """
    if not plan.environments:
        return []
    repo = repo or RepoPaths(f"out/{plan.name}")
    repo = RepoPaths(pipeline_path(repo.out, "OUT"), pipeline_path(repo.spec, "the spec path"))
    return sorted([Artifact(GITHUB_FILE, _github(plan, repo)), Artifact(AZURE_FILE, _azure(plan, repo))])
