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

GitHub actions are pinned by commit SHA (`github_actions.ACTIONS`); Azure Pipelines tasks can only be
pinned by major version (`UsePythonVersion@0`, `AzureCLI@2`), and they are Microsoft's built-in tasks.

Every path and value in the files is literal: the spec path and OUT come as `RepoPaths` (checked by
`repo_paths.pipeline_path`: no `$`, no control characters, never starting with `-`), Azure names are
validated by the spec, and every word of a script is shell-quoted. No script holds `${{` or an Azure
Pipelines macro other than the system paths `$(Agent.TempDirectory)` and `$(Build.SourcesDirectory)`
(`repo_paths.SYSTEM_MACROS`; `wlid validate` checks it: PIPE004, PIPE005).

The files are written by `github_actions` and `azure_pipelines`, from the scripts of
`pipeline_scripts` and the header and literal blocks of `pipeline_text`.
"""

from __future__ import annotations

from wlid_render.emit.artifact import Artifact
from wlid_render.emit.azure_pipelines import azure_pipeline
from wlid_render.emit.github_actions import github_workflow
from wlid_render.plan.model import Plan
from wlid_render.repo_paths import RepoPaths, pipeline_path

PIPELINES_DIR = "pipelines"
GITHUB_FILE = f"{PIPELINES_DIR}/github-actions.yml"
AZURE_FILE = f"{PIPELINES_DIR}/azure-pipelines.yml"


def emit_pipelines(plan: Plan, repo: RepoPaths | None = None) -> list[Artifact]:
    """`pipelines/github-actions.yml` and `pipelines/azure-pipelines.yml`, sorted by path.

    `repo`: OUT and the spec as the repository sees them (default `out/<name>`, `wlid.yaml`); both
    pass `pipeline_path` again here, so that no caller can hand in a path the files cannot hold.
    """
    if not plan.environments:
        return []
    repo = repo or RepoPaths(f"out/{plan.name}")
    repo = RepoPaths(pipeline_path(repo.out, "OUT"), pipeline_path(repo.spec, "the spec path"))
    return sorted(
        [Artifact(GITHUB_FILE, github_workflow(plan, repo)), Artifact(AZURE_FILE, azure_pipeline(plan, repo))]
    )
