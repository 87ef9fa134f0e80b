"""The shell scripts of both CI pipelines (pure): the check job's commands, the check of the
cluster's OIDC issuer and workload identity flags, the what-if of every top-level deployment and the
summary of its results.

Every word of a script is shell-quoted; the summary runs with the standard library only.
"""

from __future__ import annotations

import shlex

from wlid_render import __version__
from wlid_render.plan.cluster import cluster_step
from wlid_render.plan.model import AzureDeployment, EnvironmentPlan, Plan
from wlid_render.repo_paths import RepoPaths
from wlid_render.views.az import (
    cluster_flags_check,
    cluster_flags_message,
    deployment_arguments,
    stack_resources_command,
    uses_stack,
)

PYTHON_VERSION = "3.12"
HEREDOC_END = "PY"
CHECK_JOB = "check"


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


def flags_script(env: EnvironmentPlan, error: str) -> str | None:
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


def whatif_script(plan: Plan, env: EnvironmentPlan, out: str) -> str:
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


def summary_script(plan: Plan, env: EnvironmentPlan, summary: str, suffix: str = "") -> list[str]:
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


def check_commands(plan: Plan, repo: RepoPaths) -> tuple[str, str, str]:
    """(install, render --check, validate) lines of the check job."""
    install = f"python -m pip install {shlex.quote(install_argument(plan))}"
    render = f"wlid render {shlex.quote(repo.spec)} -o {shlex.quote(repo.out)} --check"
    return install, render, f"wlid validate {shlex.quote(repo.out)}"
