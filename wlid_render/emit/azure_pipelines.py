"""Plan -> pipelines/azure-pipelines.yml: the check job, then one what-if job per environment whose
AzureCLI tasks log in through a service connection with workload identity federation. Tasks are
Microsoft's built-in ones, pinned by major version.
"""

from __future__ import annotations

import re
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
from wlid_render.plan.model import EnvironmentPlan, Plan
from wlid_render.repo_paths import SOURCES_DIRECTORY, TEMP_DIRECTORY, RepoPaths


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
            "workingDirectory": SOURCES_DIRECTORY,
            "inlineScript": script,
        },
    }


def azure_pipeline(plan: Plan, repo: RepoPaths) -> str:
    """The text of pipelines/azure-pipelines.yml."""
    scripts = Scripts()
    header = comment_header(
        [
            *common_header(plan, repo),
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
    install, render, validate = check_commands(plan, repo)
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
        markdown = f"{TEMP_DIRECTORY}/whatif-{env.name}.md"
        summary = [
            "status=0",
            *summary_script(plan, env, f'"{markdown}"', " || status=$?"),
            f'echo "##vso[task.uploadsummary]{markdown}"',
            'exit "$status"',
        ]
        steps: list[dict[str, Any]] = [{"checkout": "self", "persistCredentials": False}]
        flags = flags_script(env, "##vso[task.logissue type=error]")
        if flags is not None:
            steps.append(_azure_cli(f"Check the cluster flags of {env.name}", scripts(flags)))
        steps += [
            _azure_cli(f"what-if {env.name}", scripts(whatif_script(plan, env, repo.out))),
            {
                "script": scripts("\n".join(summary) + "\n"),
                "displayName": f"Summarise what-if {env.name}",
                "workingDirectory": SOURCES_DIRECTORY,
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
        "pr": {"branches": {"include": [branch(plan)]}},
        "variables": {"AZURE_SERVICE_CONNECTION": "wlid-azure"},
        "pool": {"vmImage": "ubuntu-latest"},
        "jobs": jobs,
    }
    return scripts.dump(pipeline, header)
