"""`wlid validate` rules PIPE001-PIPE009 for OUT/pipelines: least privilege and no injection.

A job "can mint tokens" when it can get an Azure token: in GitHub Actions a job with `id-token: write`
(its own `permissions`, or the workflow's when it has none), in Azure Pipelines a job with a task that
uses an Azure service connection (`azureSubscription`, `connectedServiceNameARM`, `azureResourceManager
Connection`). Such a job must install nothing unpinned and run no tool on the tree; render and validate
run in a job that cannot mint tokens. Scripts must not hold CI expansions (`${{ }}` in GitHub, macros
`$(...)`/`$[...]`/`${{ }}` in Azure Pipelines other than the agent's system paths), which are pasted
into the script text before the shell quotes anything, and every script must parse in bash (`bash -n`;
skipped when bash is not installed).

| rule    | finding                                                                                  |
|---------|------------------------------------------------------------------------------------------|
| PIPE001 | `id-token: write` on a job (or workflow) whose job does not log in to Azure               |
| PIPE002 | a job that can mint tokens installs something unpinned                                   |
| PIPE003 | an action in a job that can mint tokens is not pinned by a full commit SHA               |
| PIPE004 | a GitHub expression `${{ ... }}` inside a `run` script                                   |
| PIPE005 | an Azure Pipelines macro or expression inside a script (other than system paths)        |
| PIPE006 | a script bash cannot parse                                                               |
| PIPE007 | `wlid render`/`wlid validate` runs in a job that can mint tokens                          |
| PIPE008 | a checkout keeps the repository token in .git/config in a job that can mint tokens       |
| PIPE009 | wlid is installed without a pinned version (render --check compares with another wlid)   |
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

from wlid_render.repo_paths import SYSTEM_MACROS
from wlid_render.validate.finding import Finding, Severity
from wlid_render.validate.tree import RenderedTree

GITHUB = "pipelines/github-actions.yml"
AZURE = "pipelines/azure-pipelines.yml"
LOGIN_ACTION = "azure/login"
SERVICE_CONNECTION_INPUTS = ("azureSubscription", "connectedServiceNameARM", "azureResourceManagerConnection")
_SHA = re.compile(r"[0-9a-f]{40}")
_INSTALLERS = re.compile(
    r"\b(pip3?|pipx|uv pip|npm|yarn|pnpm|gem|go install|cargo install|apt-get|apt|apk|curl|wget)\b"
)
_GITHUB_EXPRESSION = re.compile(r"\$\{\{")
_AZURE_EXPANSION = re.compile(r"\$\([^)\n]*\)|\$\[|\$\{\{")


def check_pipelines(tree: RenderedTree) -> list[Finding]:
    findings: list[Finding] = []
    if tree.exists(GITHUB):
        findings += _github(tree)
    if tree.exists(AZURE):
        findings += _azure(tree)
    return findings


def _document(tree: RenderedTree, rel: str) -> dict[str, Any] | None:
    """The pipeline as a mapping; TreeError (a TREE finding) when it is not YAML."""
    docs = tree.yaml_documents(rel)
    return docs[0] if docs and isinstance(docs[0], dict) else None


class _Report:
    def __init__(self, tree: RenderedTree, rel: str):
        self.tree, self.rel = tree, rel
        self.findings: list[Finding] = []

    def add(self, path: tuple[str | int, ...], rule: str, message: str, severity: Severity = "error") -> None:
        line = self.tree.line_of(self.rel, path)
        self.findings.append(Finding(self.tree.display(self.rel), line, rule, severity, message))


# -- GitHub Actions ---------------------------------------------------------------------------------


def _steps(job: Any) -> Iterator[tuple[int, dict[str, Any]]]:
    steps = job.get("steps") if isinstance(job, dict) else None
    for i, step in enumerate(steps if isinstance(steps, list) else []):
        if isinstance(step, dict):
            yield i, step


def _grants_id_token(permissions: Any) -> bool:
    if permissions == "write-all":
        return True
    return isinstance(permissions, dict) and permissions.get("id-token") == "write"


def _github(tree: RenderedTree) -> list[Finding]:
    doc = _document(tree, GITHUB)
    report = _Report(tree, GITHUB)
    if doc is None:
        return []
    jobs = doc.get("jobs") if isinstance(doc.get("jobs"), dict) else {}
    workflow_grants = _grants_id_token(doc.get("permissions"))
    if workflow_grants:
        report.add(
            ("permissions",),
            "PIPE001",
            "the workflow grants id-token: write to every job; grant it only on the jobs that log in to Azure",
        )
    for name, job in jobs.items():
        if not isinstance(job, dict):
            continue
        own = job.get("permissions")
        mints = _grants_id_token(own) if own is not None else workflow_grants
        logs_in = any(str(s.get("uses", "")).lower().startswith(LOGIN_ACTION + "@") for _, s in _steps(job))
        if own is not None and _grants_id_token(own) and not logs_in:
            report.add(
                ("jobs", name, "permissions"),
                "PIPE001",
                f"job {name} has id-token: write but does not log in to Azure; drop the permission",
            )
        for i, step in _steps(job):
            where = ("jobs", name, "steps", i)
            action = step.get("uses")
            if isinstance(action, str) and mints and not action.startswith(("./", "docker://")):
                ref = action.partition("@")[2]
                if not _SHA.fullmatch(ref):
                    report.add(
                        (*where, "uses"),
                        "PIPE003",
                        f"job {name} can mint Azure tokens and runs {action}, which is not pinned by a full "
                        "commit SHA (a tag can be moved to other code)",
                    )
                if action.lower().startswith("actions/checkout@"):
                    options = step.get("with") if isinstance(step.get("with"), dict) else {}
                    if options.get("persist-credentials") not in (False, "false"):
                        report.add(
                            where,
                            "PIPE008",
                            f"job {name} can mint Azure tokens and its checkout keeps the repository token in "
                            ".git/config for every later step; set persist-credentials: false",
                            "warning",
                        )
            script = step.get("run")
            if not isinstance(script, str):
                continue
            if _GITHUB_EXPRESSION.search(script):
                report.add(
                    (*where, "run"),
                    "PIPE004",
                    f"job {name}: a ${{{{ }}}} expression inside a run script is pasted into the script before the "
                    'shell reads it (script injection); pass the value through env: and quote "$VAR"',
                )
            _script_findings(report, (*where, "run"), name, script, mints)
    return report.findings


# -- Azure Pipelines --------------------------------------------------------------------------------


def _azure_jobs(doc: dict[str, Any]) -> Iterator[tuple[tuple[str | int, ...], str, dict[str, Any]]]:
    jobs = doc.get("jobs")
    if isinstance(jobs, list):
        for i, job in enumerate(jobs):
            if isinstance(job, dict):
                yield ("jobs", i), str(job.get("job") or job.get("deployment") or i), job
    stages = doc.get("stages")
    if isinstance(stages, list):
        for s, stage in enumerate(stages):
            inner = stage.get("jobs") if isinstance(stage, dict) else None
            for i, job in enumerate(inner if isinstance(inner, list) else []):
                if isinstance(job, dict):
                    yield ("stages", s, "jobs", i), str(job.get("job") or i), job
    if isinstance(doc.get("steps"), list):
        yield (), "(pipeline)", doc


def _azure(tree: RenderedTree) -> list[Finding]:
    doc = _document(tree, AZURE)
    report = _Report(tree, AZURE)
    if doc is None:
        return []
    for path, name, job in _azure_jobs(doc):
        steps = list(_steps(job))
        mints = any(
            isinstance(s.get("inputs"), dict) and any(k in s["inputs"] for k in SERVICE_CONNECTION_INPUTS)
            for _, s in steps
        )
        for i, step in steps:
            where = (*path, "steps", i)
            scripts: list[tuple[tuple[str | int, ...], str]] = []
            for key in ("script", "bash"):
                if isinstance(step.get(key), str):
                    scripts.append(((*where, key), step[key]))
            inputs = step.get("inputs") if isinstance(step.get("inputs"), dict) else {}
            if isinstance(inputs.get("inlineScript"), str):
                scripts.append(((*where, "inputs", "inlineScript"), inputs["inlineScript"]))
            if (
                mints
                and step.get("checkout") not in (None, "none")
                and step.get("persistCredentials") is True
            ):
                report.add(
                    where,
                    "PIPE008",
                    f"job {name} can mint Azure tokens and its checkout keeps the access token for later steps; "
                    "drop persistCredentials: true",
                    "warning",
                )
            for at, script in scripts:
                expansions = sorted(set(_AZURE_EXPANSION.findall(script)) - SYSTEM_MACROS)
                if expansions:
                    report.add(
                        at,
                        "PIPE005",
                        f"job {name}: {', '.join(expansions)} in a script is replaced before the shell reads it "
                        '(script injection); read variables from the environment ("$NAME") instead',
                    )
                _script_findings(report, at, name, script, mints)
    return report.findings


# -- both -------------------------------------------------------------------------------------------


def _script_findings(report: _Report, at: tuple[str | int, ...], job: str, script: str, mints: bool) -> None:
    """PIPE002, PIPE006, PIPE007 and PIPE009 of one script."""
    for command in _commands(script):
        words = _words(command)
        if not words:
            continue
        if mints and _INSTALLERS.search(command) and not _pinned_install(words):
            report.add(
                at,
                "PIPE002",
                f"job {job} can mint Azure tokens and installs unpinned software ({command.strip()[:80]}); "
                "install in a job without token access, or pin exact versions",
            )
        if mints and words[:2] in (["wlid", "render"], ["wlid", "validate"]):
            report.add(
                at,
                "PIPE007",
                f"job {job} can mint Azure tokens and runs {' '.join(words[:2])}; run it in a job without them",
            )
        if _installs_wlid_unpinned(words):
            report.add(
                at,
                "PIPE009",
                f"job {job} installs wlid without a pinned version; install the version that rendered the tree "
                "(spec key pipelines.install) so that render --check compares with the same generator",
                "warning",
            )
    if shutil.which("bash") is not None:
        done = subprocess.run(["bash", "-n"], input=script, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            detail = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "syntax error"
            report.add(at, "PIPE006", f"job {job}: bash cannot parse the script: {detail}")


def _commands(script: str) -> list[str]:
    """The script's command lines (continuations joined, heredoc bodies and comments left out)."""
    out: list[str] = []
    heredoc: str | None = None
    pending = ""
    for line in script.splitlines():
        if heredoc is not None:
            if line.strip() == heredoc:
                heredoc = None
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        command = pending + line
        pending = ""
        if command.strip().startswith("#") or not command.strip():
            continue
        marker = re.search(r"<<-?\s*'?\"?([A-Za-z_]+)", command)
        if marker:
            heredoc = marker.group(1)
        out += [part for part in re.split(r"&&|\|\||;|\|", command) if part.strip()]
    return out


def _words(command: str) -> list[str]:
    try:
        return shlex.split(command, comments=True)
    except ValueError:
        return command.split()


def _package_arguments(words: list[str]) -> list[str] | None:
    """The package arguments of a pip install command, or None when it is not one."""
    for i in range(len(words) - 1):
        if words[i] in ("pip", "pip3") and words[i + 1] == "install":
            rest = words[i + 2 :]
            if "-r" in rest or "--requirement" in rest:
                return ["-r"]  # a requirements file: not checked here, so not taken as pinned
            return [w for w in rest if not w.startswith("-")]
    return None


def _is_pinned(argument: str) -> bool:
    if "==" in argument:
        return True
    if re.fullmatch(r"git\+https://\S+@[0-9a-f]{40}", argument):
        return True
    return argument.endswith((".whl", ".tar.gz", ".zip")) or "#sha256=" in argument


def _pinned_install(words: list[str]) -> bool:
    packages = _package_arguments(words)
    return packages is not None and bool(packages) and all(_is_pinned(p) for p in packages)


def _installs_wlid_unpinned(words: list[str]) -> bool:
    packages = _package_arguments(words) or []
    return any(re.fullmatch(r"wlid(\[[^\]]*\])?([<>~!]=?.*)?", p) for p in packages)
