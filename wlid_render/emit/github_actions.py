"""Plan -> pipelines/github-actions.yml: the check job, then one what-if job per environment that logs
in to Azure with OpenID Connect. Actions are pinned by commit SHA (`ACTIONS`).
"""

from __future__ import annotations

from typing import Any

from wlid_render.emit.pipeline_scripts import (
    CHECK_JOB,
    PYTHON_VERSION,
    check_commands,
    flags_script,
    summary_script,
    whatif_script,
)
from wlid_render.emit.pipeline_text import Scripts, branch, comment_header, common_header
from wlid_render.plan.model import Plan
from wlid_render.repo_paths import RepoPaths

# GitHub actions by full commit SHA (a tag can be moved; a SHA cannot), with the release it is. Checked
# against the actions' repositories: actions/checkout v7.0.1, actions/setup-python v7.0.0, azure/login
# v3.0.1 (inputs client-id, tenant-id, subscription-id unchanged since v1).
ACTIONS = {
    "checkout": ("actions/checkout", "3d3c42e5aac5ba805825da76410c181273ba90b1", "v7.0.1"),
    "setup-python": ("actions/setup-python", "5fda3b95a4ea91299a34e894583c3862153e4b97", "v7.0.0"),
    "login": ("azure/login", "f5d393ae46f8fde4be8b75f32e3fc50e654ad0ca", "v3.0.1"),
}


def uses(action: str) -> str:
    name, sha, _ = ACTIONS[action]
    return f"{name}@{sha}"


def _checkout() -> dict[str, Any]:
    """actions/checkout without leaving the job's GITHUB_TOKEN in .git/config for later steps."""
    return {"name": "Check out", "uses": uses("checkout"), "with": {"persist-credentials": False}}


def github_workflow(plan: Plan, repo: RepoPaths) -> str:
    """The text of pipelines/github-actions.yml."""
    scripts = Scripts()
    header = comment_header(
        [
            *common_header(plan, repo),
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
    install, render, validate = check_commands(plan, repo)
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
        flags = flags_script(env, "::error::")
        if flags is not None:
            steps.append({"name": f"Check the cluster flags of {env.name}", "run": scripts(flags)})
        summary = summary_script(plan, env, '"$GITHUB_STEP_SUMMARY"')
        steps += [
            {"name": f"what-if {env.name}", "run": scripts(whatif_script(plan, env, repo.out))},
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
        "on": {"pull_request": {"branches": [branch(plan)]}, "workflow_dispatch": {}},
        "permissions": {},
        "jobs": jobs,
    }
    return scripts.dump(workflow, header)
