"""Plan -> CI pipelines that check the rendered tree and preview every environment with what-if. Pure.

`pipelines/github-actions.yml` (GitHub Actions) and `pipelines/azure-pipelines.yml` (Azure Pipelines)
run, for each environment: check out, install wlid, `wlid render --check` and `wlid validate` on the
tree, an Azure login with an OIDC federated credential (no secret), `az deployment group what-if` with
the environment's parameters, and a Python step that reads the what-if JSON, fails when the operation
did not succeed and summarises the changes. `az deployment group what-if` exits non-zero only when the
operation fails, never because of changes, so the gate parses the JSON result.

The spec's path in the repository is not part of the plan: both files read it from the variable
`WLID_SPEC` (default `wlid.yaml`). The tree's path is the `gitops.path` of the spec, else
`out/<name>`.
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

from wlid_render.emit.artifact import Artifact, to_yaml
from wlid_render.plan.model import EnvironmentPlan, Plan
from wlid_render.whatif import deployment_arguments

PIPELINES_DIR = "pipelines"
GITHUB_FILE = f"{PIPELINES_DIR}/github-actions.yml"
AZURE_FILE = f"{PIPELINES_DIR}/azure-pipelines.yml"
DEFAULT_SPEC = "wlid.yaml"
PYTHON_VERSION = "3.12"
HEREDOC_END = "PY"

# Reads `az deployment group what-if --no-pretty-print` output: argv = JSON file, environment name and
# optionally a Markdown file to append the summary to. Exit 1 when the result is unreadable, its status
# is not Succeeded or it carries an error. Kept free of `$(` and `${{`, which both CI systems expand.
SUMMARY_SCRIPT = """\
import json
import sys
from collections import Counter

path, env = sys.argv[1], sys.argv[2]
summary = sys.argv[3] if len(sys.argv) > 3 else ""
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
text = "\\n".join(lines) + "\\n"
print(text)
if summary:
    with open(summary, "a", encoding="utf-8") as handle:
        handle.write(text + "\\n")
if failed:
    print("what-if for %s failed: status %s" % (env, status or "missing"), file=sys.stderr)
    sys.exit(1)
"""


def tree_path(plan: Plan) -> str:
    """Where OUT sits in the repository: `gitops.path`, or `out/<name>` without a gitops block."""
    if plan.gitops is not None:
        return plan.gitops.path.strip("/") or "."
    return f"out/{plan.name}"


def _whatif_script(plan: Plan, env: EnvironmentPlan) -> str:
    """What-if of every top-level deployment of the environment, `main` first, one JSON result each."""
    out = tree_path(plan)
    main, *groups = plan.deployments
    args = deployment_arguments(plan, env, out, deployment=main)
    lines = _whatif_command([shlex.quote(a) for a in args], shlex.quote(_result(env)))
    if groups:
        # A large spec: the identity groups are deployments of their own, named <main>.<group>.
        stems = " ".join(shlex.quote(g.stem) for g in groups)
        words = [
            _with_group(value)
            for option in (
                ("--name", f"{plan.deployment_name}.$group"),
                ("--subscription", env.subscription_id),
                ("--resource-group", env.resource_group),
                ("--template-file", f"{out}/azure/$group.json"),
                ("--parameters", f"{out}/azure/params/{env.name}.$group.parameters.json"),
            )
            for value in option
        ]
        lines += [f"for group in {stems}; do"]
        lines += ["  " + line for line in _whatif_command(words, _with_group(_result(env, "$group")))]
        lines += ["done"]
    return "\n".join(lines) + "\n"


def _with_group(value: str) -> str:
    """`value` shell-quoted, with every `$group` left for the shell to expand."""
    return '"$group"'.join(shlex.quote(piece) if piece else "" for piece in value.split("$group"))


def _whatif_command(words: list[str], result: str) -> list[str]:
    """`az deployment group what-if` over several lines; `words` and `result` are already shell-quoted."""
    pairs = [f"  {words[i]} {words[i + 1]} \\" for i in range(0, len(words), 2)]
    return ["az deployment group what-if \\", *pairs, f"  --no-pretty-print > {result}"]


def _result(env: EnvironmentPlan, stem: str = "") -> str:
    return f"whatif-{env.name}.{stem}.json" if stem else f"whatif-{env.name}.json"


def _results(plan: Plan, env: EnvironmentPlan) -> list[tuple[str, str]]:
    """(result file, label) of every what-if of the environment."""
    groups = plan.deployments[1:]
    return [(_result(env), env.name)] + [(_result(env, g.stem), f"{env.name} {g.stem}") for g in groups]


def _summary_lines(plan: Plan, env: EnvironmentPlan, summary: str, suffix: str = "") -> list[str]:
    """Summarise the what-if results; with several deployments the script is saved once and run per result."""
    results = _results(plan, env)
    if len(results) == 1:
        return _heredoc(f"{shlex.quote(results[0][0])} {shlex.quote(env.name)} {summary}", suffix)
    script = "wlid-whatif-summary.py"
    lines = [f"cat > {script} <<'{HEREDOC_END}'", *SUMMARY_SCRIPT.splitlines(), HEREDOC_END, "failed=0"]
    for result, label in results:
        lines.append(f"python {script} {shlex.quote(result)} {shlex.quote(label)} {summary} || failed=1")
    lines.append(f'[ "$failed" = 0 ]{suffix}')
    return lines


def _heredoc(arguments: str, suffix: str = "") -> list[str]:
    """`python - ARGS <<'PY'`, the summary script, `PY`: the script reaches Python unexpanded."""
    return [f"python - {arguments} <<'{HEREDOC_END}'{suffix}", *SUMMARY_SCRIPT.splitlines(), HEREDOC_END]


def _install_script() -> str:
    return (
        "# Pin the wlid version that rendered this tree, e.g. pip install 'wlid==X.Y.Z', so that\n"
        "# render --check compares with the same generator.\n"
        "pip install wlid\n"
    )


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


def _common_header(plan: Plan, out: str) -> list[str]:
    return [
        f"Generated by `wlid render` for {plan.name!r}: render again rather than editing this file",
        "(`wlid render --check` reports any change to it).",
        "",
        "One job per environment rather than a matrix: each environment has its own subscription,",
        "resource group and parameters file, and a job per environment reports its what-if result on",
        "its own. Each job checks the rendered tree, logs in to Azure and previews its environment.",
        "",
        "WLID_SPEC: path of the spec in the repository; the plan does not record it, so it is a",
        f"variable (default {DEFAULT_SPEC}). The rendered tree is expected at {out}.",
        "",
        "`az deployment group what-if` exits non-zero only when the operation fails, not because of",
        "changes: the summary step parses its JSON result, fails when the status is not Succeeded or",
        "an error is reported, and lists the changes per change type and resource.",
    ]


def _github(plan: Plan, spec: str) -> str:
    out = tree_path(plan)
    scripts = _Scripts()
    header = _header(
        [
            *_common_header(plan, out),
            "",
            "GitHub runs workflows only from .github/workflows/: copy this file there. Set the repository",
            "variable WLID_SPEC when the spec is not at the default path.",
            "Azure login uses OpenID Connect (no secret): the repository variables AZURE_CLIENT_ID,",
            "AZURE_TENANT_ID and AZURE_SUBSCRIPTION_ID name an Entra application or user-assigned",
            "identity with a federated credential for this repository (subject",
            "repo:<owner>/<repo>:pull_request for pull requests, repo:<owner>/<repo>:ref:refs/heads/<branch>",
            "for manual runs) that may run what-if in every environment's resource group.",
        ]
    )
    jobs: dict[str, Any] = {}
    for env in plan.environments:
        summary_lines = _summary_lines(plan, env, '"$GITHUB_STEP_SUMMARY"')
        jobs[f"whatif-{env.name}"] = {
            "name": f"what-if {env.name}",
            "runs-on": "ubuntu-latest",
            "steps": [
                {"name": "Check out", "uses": "actions/checkout@v4"},
                {
                    "name": "Set up Python",
                    "uses": "actions/setup-python@v5",
                    "with": {"python-version": PYTHON_VERSION},
                },
                {"name": "Install wlid", "run": scripts(_install_script())},
                {
                    "name": "Check the rendered tree is current",
                    "run": f'wlid render "$WLID_SPEC" --out {shlex.quote(out)} --check',
                },
                {"name": "Validate the rendered tree", "run": f"wlid validate {shlex.quote(out)}"},
                {
                    "name": "Azure login (OIDC)",
                    "uses": "azure/login@v2",
                    "with": {
                        "client-id": "${{ vars.AZURE_CLIENT_ID }}",
                        "tenant-id": "${{ vars.AZURE_TENANT_ID }}",
                        "subscription-id": "${{ vars.AZURE_SUBSCRIPTION_ID }}",
                    },
                },
                {"name": f"what-if {env.name}", "run": scripts(_whatif_script(plan, env))},
                {"name": f"Summarise what-if {env.name}", "run": scripts("\n".join(summary_lines) + "\n")},
            ],
        }
    workflow = {
        "name": f"wlid what-if ({plan.name})",
        "on": {"pull_request": {"branches": [_branch(plan)]}, "workflow_dispatch": {}},
        "permissions": {"id-token": "write", "contents": "read"},
        "env": {"WLID_SPEC": f"${{{{ vars.WLID_SPEC || {_expression_string(spec)} }}}}"},
        "jobs": jobs,
    }
    return scripts.dump(workflow, header)


def azure_job_name(env: EnvironmentPlan) -> str:
    """Azure Pipelines job names take letters, digits and '_' only."""
    return "whatif_" + re.sub(r"[^A-Za-z0-9_]", "_", env.name)


def _azure(plan: Plan, spec: str) -> str:
    out = tree_path(plan)
    scripts = _Scripts()
    header = _header(
        [
            *_common_header(plan, out),
            "",
            "Azure login uses an Azure Resource Manager service connection with workload identity",
            "federation (no secret), named by the variable AZURE_SERVICE_CONNECTION. Service connections",
            "are resolved when the pipeline is compiled, hence the template expression ${{ variables... }}:",
            "set the name here, not as a queue-time variable. Its identity must be allowed to run what-if",
            "in every environment's resource group.",
            "Change the default of WLID_SPEC below when the spec lives elsewhere.",
            "The pr trigger applies to GitHub and Bitbucket repositories; Azure Repos use branch policies.",
        ]
    )
    jobs: list[dict[str, Any]] = []
    for env in plan.environments:
        markdown = f"$(Agent.TempDirectory)/whatif-{env.name}.md"
        summary = [
            "status=0",
            *_summary_lines(plan, env, f'"{markdown}"', " || status=$?"),
            f'echo "##vso[task.uploadsummary]{markdown}"',
            'exit "$status"',
        ]
        jobs.append(
            {
                "job": azure_job_name(env),
                "displayName": f"what-if {env.name}",
                "steps": [
                    {"checkout": "self"},
                    {
                        "task": "UsePythonVersion@0",
                        "displayName": "Set up Python",
                        "inputs": {"versionSpec": PYTHON_VERSION},
                    },
                    {"script": scripts(_install_script()), "displayName": "Install wlid"},
                    {
                        "script": f'wlid render "$(WLID_SPEC)" --out {shlex.quote(out)} --check',
                        "displayName": "Check the rendered tree is current",
                    },
                    {
                        "script": f"wlid validate {shlex.quote(out)}",
                        "displayName": "Validate the rendered tree",
                    },
                    {
                        "task": "AzureCLI@2",
                        "displayName": f"what-if {env.name}",
                        "inputs": {
                            "azureSubscription": "${{ variables.AZURE_SERVICE_CONNECTION }}",
                            "scriptType": "bash",
                            "scriptLocation": "inlineScript",
                            "workingDirectory": "$(Build.SourcesDirectory)",
                            "inlineScript": scripts(_whatif_script(plan, env)),
                        },
                    },
                    {
                        "script": scripts("\n".join(summary) + "\n"),
                        "displayName": f"Summarise what-if {env.name}",
                        "workingDirectory": "$(Build.SourcesDirectory)",
                    },
                ],
            }
        )
    pipeline = {
        "trigger": "none",
        "pr": {"branches": {"include": [_branch(plan)]}},
        "variables": {"WLID_SPEC": spec, "AZURE_SERVICE_CONNECTION": "wlid-azure"},
        "pool": {"vmImage": "ubuntu-latest"},
        "jobs": jobs,
    }
    return scripts.dump(pipeline, header)


def _expression_string(value: str) -> str:
    """A string literal of a GitHub Actions expression: single-quoted, `'` doubled."""
    return "'" + value.replace("'", "''") + "'"


def emit_pipelines(plan: Plan, spec: str = DEFAULT_SPEC) -> list[Artifact]:
    """`pipelines/github-actions.yml` and `pipelines/azure-pipelines.yml`, sorted by path.

    `spec` is the default of the variable WLID_SPEC: the spec's path relative to the repository root.
    """
    if not plan.environments:
        return []
    return sorted([Artifact(GITHUB_FILE, _github(plan, spec)), Artifact(AZURE_FILE, _azure(plan, spec))])
