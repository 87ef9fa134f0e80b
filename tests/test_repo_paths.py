"""Generated files follow the render: the pipelines, OUT/README.md and the GitOps objects name OUT and
the spec where they are in the Git repository, and every command in OUT/README.md parses in bash."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from conftest import LAB_SPEC

from wlid_render.cli import main
from wlid_render.plan.source import plan_source
from wlid_render.repo_paths import RepoPaths, UnsafePath, pipeline_path, repo_paths, repository_root
from wlid_render.spec.load import load_text
from wlid_render.workflow.pipeline import render_plan

LAB = LAB_SPEC.read_text("utf-8")
GITOPS = "gitops: {repoURL: https://github.com/example/gitops.git}\n"


def plan_of(text: str):  # type: ignore[no-untyped-def]
    return plan_source(load_text(text, "spec.yaml"))


def files_of(text: str, repo: RepoPaths) -> dict[str, str]:
    return {a.path: a.text for a in render_plan(plan_of(text), paths=repo)}


def sh_blocks(markdown: str) -> list[str]:
    return re.findall(r"```sh\n(.*?)```", markdown, re.S)


def test_repo_paths_are_relative_to_the_repository_holding_out(tmp_path: Path) -> None:
    repo = tmp_path / "gitops"
    (repo / ".git").mkdir(parents=True)
    (repo / "specs").mkdir()
    (repo / "specs" / "app.yaml").write_text("x")
    assert repository_root(repo / "deploy" / "out") == repo
    assert repo_paths(Path("deploy/app"), "specs/app.yaml", cwd=repo) == RepoPaths(
        "deploy/app", "specs/app.yaml"
    )
    # from a sub-folder, with .. in the path: still from the root
    sub = repo / "specs"
    assert repo_paths(Path("../deploy/app"), "app.yaml", cwd=sub) == RepoPaths("deploy/app", "specs/app.yaml")
    # absolute paths
    assert repo_paths(repo / "x", str(repo / "specs" / "app.yaml"), cwd=tmp_path) == RepoPaths(
        "x", "specs/app.yaml"
    )
    # a worktree or submodule has a .git file
    (tmp_path / "wt").mkdir()
    (tmp_path / "wt" / ".git").write_text("gitdir: elsewhere\n")
    assert repo_paths(Path("out/app"), "wlid.yaml", cwd=tmp_path / "wt") == RepoPaths("out/app", "wlid.yaml")
    # OUT is the repository root
    assert repo_paths(Path("."), "specs/app.yaml", cwd=repo).out == "."


def test_without_a_repository_the_paths_are_as_given(tmp_path: Path) -> None:
    if repository_root(tmp_path) is not None:
        pytest.skip("the temporary folder is inside a Git repository")
    assert repo_paths(Path("out/app"), "wlid.yaml", cwd=tmp_path) == RepoPaths("out/app", "wlid.yaml")
    assert repo_paths(Path("out/app"), "/elsewhere/spec.yaml", cwd=tmp_path) == RepoPaths(
        "out/app", "spec.yaml"
    )
    assert repo_paths(Path("out/app"), "-", cwd=tmp_path).spec == "wlid.yaml"  # a spec from stdin


def test_pipeline_path_refuses_expansions_and_options() -> None:
    assert pipeline_path("-x", "OUT") == "./-x"
    assert pipeline_path("", "OUT") == "."
    assert pipeline_path("a//b/", "OUT") == "a/b"
    for bad in ("$(x)", "${{ x }}", "$[x]", "${X}", "a\nb", "a\rb", "a\u2028b", "a\x1bb"):
        with pytest.raises(UnsafePath):
            pipeline_path(bad, "OUT")


def test_readme_commands_parse_in_bash_even_with_shell_characters_in_names() -> None:
    text = LAB.replace("resourceGroup: rg-wlid-lab", "resourceGroup: rg(x)")
    assert text != LAB
    readme = files_of(text, RepoPaths("deploy/my out", "specs/my spec.yaml"))["README.md"]
    blocks = sh_blocks(readme)
    assert blocks
    for block in blocks:
        done = subprocess.run(["bash", "-n"], input=block, capture_output=True, text=True, check=False)
        assert done.returncode == 0, (block, done.stderr)
    commands = [
        shlex.split(line)
        for block in blocks
        for line in block.splitlines()
        if line and not line.startswith("#")
    ]
    what_if = next(c for c in commands if c[:4] == ["az", "deployment", "group", "what-if"])
    assert what_if[what_if.index("--resource-group") + 1] == "rg(x)"
    assert what_if[what_if.index("--template-file") + 1] == "deploy/my out/azure/main.json"


def test_readme_leads_to_wlid_bind_with_the_rendered_paths() -> None:
    readme = files_of(LAB, RepoPaths("deploy/lab", "specs/lab.yaml"))["README.md"]
    assert "Run the commands from the root of the repository" in readme
    lines = [line for block in sh_blocks(readme) for line in block.splitlines()]
    show = next(line for line in lines if line.startswith("az deployment group show"))
    assert show.endswith("--query properties.outputs > outputs-default.json")
    assert "wlid bind --spec specs/lab.yaml --env default outputs-default.json" in lines
    assert "wlid render specs/lab.yaml -o deploy/lab" in lines
    assert "kubectl kustomize deploy/lab/k8s/overlays/default" in readme
    assert "out/lab" not in readme


def test_stack_readme_reads_the_outputs_of_the_stack() -> None:
    text = LAB.replace("  location: eastus\n", "  location: eastus\n  deploy: stack\n").replace(
        "enableWorkloadIdentity: true", "enableWorkloadIdentity: false"
    )
    readme = files_of(text, RepoPaths("out/lab", "specs/lab.yaml"))["README.md"]
    lines = [line for block in sh_blocks(readme) for line in block.splitlines()]
    assert any(
        line.startswith("az stack group create") and "--action-on-unmanage deleteResources" in line
        for line in lines
    )
    assert any(
        line.startswith("az stack group show") and line.endswith("--query outputs > outputs-default.json")
        for line in lines
    )
    assert "deleted from Azure by the next deployment" in readme


def test_gitops_path_defaults_to_where_out_was_rendered() -> None:
    files = files_of(LAB + GITOPS, RepoPaths("clusters/lab", "lab.yaml"))
    flux = [
        d
        for d in yaml.safe_load_all(files["gitops/flux/default.yaml"])
        if d and d.get("kind") == "Kustomization"
    ]
    assert flux and all(d["spec"]["path"].startswith("./clusters/lab/k8s/overlays/default") for d in flux)
    # an explicit gitops.path wins (the GitOps repository may be another one)
    files = files_of(LAB + GITOPS.replace("}", ", path: apps/lab}"), RepoPaths("clusters/lab", "lab.yaml"))
    flux = [
        d
        for d in yaml.safe_load_all(files["gitops/flux/default.yaml"])
        if d and d.get("kind") == "Kustomization"
    ]
    assert all(d["spec"]["path"].startswith("./apps/lab/k8s/") for d in flux)


def test_gitops_path_may_not_start_with_a_dash() -> None:
    from wlid_render.errors import SpecError

    with pytest.raises(SpecError, match=r"gitops\.path"):
        plan_of(LAB + GITOPS.replace("}", ", path: -x}"))


def test_cli_render_inside_a_repository_names_repository_paths(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "team").mkdir()
    (repo / "team" / "wlid.yaml").write_text(LAB, "utf-8")
    monkeypatch.chdir(repo / "team")
    result = CliRunner().invoke(main, ["render", "wlid.yaml", "-o", "../deploy/lab", "-q"])
    assert result.exit_code == 0, result.output
    workflow = yaml.safe_load((repo / "deploy" / "lab" / "pipelines" / "github-actions.yml").read_text())
    runs = [s.get("run", "") for s in workflow["jobs"]["check"]["steps"]]
    assert "wlid render team/wlid.yaml -o deploy/lab --check" in runs
    assert "wlid validate deploy/lab" in runs
    readme = (repo / "deploy" / "lab" / "README.md").read_text()
    assert "wlid bind --spec team/wlid.yaml --env default" in readme
    # and the check from another folder compares with the same bytes
    monkeypatch.chdir(repo)
    assert (
        CliRunner().invoke(main, ["render", "team/wlid.yaml", "-o", "deploy/lab", "--check", "-q"]).exit_code
        == 0
    )


def test_cli_refuses_an_out_path_a_pipeline_cannot_name(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "wlid.yaml").write_text(LAB, "utf-8")
    result = CliRunner().invoke(main, ["render", "wlid.yaml", "-o", "out/$(id)"])
    assert result.exit_code == 2
    assert "holds '$'" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()
