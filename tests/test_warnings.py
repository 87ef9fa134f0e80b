"""Render warnings: every one has a code of the catalogue, points at the spec line it is about, prints
as one parseable line with its code, and can be silenced per code in the spec or on the command line.
The least-privilege warnings agree with `wlid validate` (one table of broad roles)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import LAB_SPEC, ROOT, SPECS

from wlid_render.cli import main
from wlid_render.errors import Problem, SpecError
from wlid_render.formats import privileged_roles
from wlid_render.plan.roles import builtin_roles
from wlid_render.plan.source import plan_source
from wlid_render.spec.load import load_file, load_text
from wlid_render.validate.run import Options, validate_tree
from wlid_render.warning_codes import WARNINGS
from wlid_render.workflow.pipeline import render_source

SPEC = """\
apiVersion: wlid/v1
kind: WorkloadIdentitySpec
metadata:
  name: warned
azure:
  subscriptionId: 11111111-1111-1111-1111-111111111111
  resourceGroup: rg-app
  location: westeurope
cluster:
  name: aks-app
identities:
  - name: app
    roles:
      - role: Key Vault Secrets User
        keyVault: kv-app
      - role: owner
        storageAccount: stapp
      - role: Storage Blob Data Reader
        resourceGroup: rg-data
      - role: User Access Administrator
        resourceId: /subscriptions/33333333-3333-3333-3333-333333333333
  - name: batch
serviceAccounts:
  - name: app
    identity: app
environments:
  dev:
    clientIds: {batch: 44444444-4444-4444-4444-444444444444}
  prod:
    azure: {location: malaysiasouth, resourceGroup: rg-app-prod}
"""


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def warnings_of(text: str, bound: dict | None = None) -> list[Problem]:
    source = load_text(text, "wlid.yaml")
    return list(render_source(source, bound=bound).warnings)


def test_every_warning_has_a_code_of_the_catalogue_and_a_place():
    found = warnings_of(SPEC, {"dev": {"ghost": "55555555-5555-5555-5555-555555555555"}})
    assert {w.code for w in found} == {"W001", "W002", "W003", "W004", "W005", "W006"} <= set(WARNINGS)
    where = {(w.code, w.mark.line, w.mark.column) for w in found}
    assert where == {
        ("W001", line_of(SPEC, "  dev:"), 3),  # the environment's key
        ("W001", line_of(SPEC, "  prod:"), 3),
        ("W002", line_of(SPEC, "malaysiasouth"), 23),  # the override, not azure.location
        ("W003", line_of(SPEC, "  dev:"), 3),
        ("W004", line_of(SPEC, "role: owner"), 15),
        ("W004", line_of(SPEC, "role: User Access Administrator"), 15),
        ("W005", line_of(SPEC, "resourceGroup: rg-data"), 24),  # the target
        ("W005", line_of(SPEC, "resourceId: /subscriptions/"), 21),
        ("W006", 1, 1),  # no gitops: block: the spec as a whole
    }
    assert all(w.severity == "warning" and w.file == "wlid.yaml" for w in found)


def test_the_placeholder_warning_is_one_line_per_environment_and_names_its_way_to_pin():
    found = [w for w in warnings_of(SPEC) if w.code == "W001"]
    assert [w.message for w in found] == [
        "environment 'dev': 1 client ID not pinned; the overlay carries ${WLID_CLIENT_ID_APP}",
        "environment 'prod': 2 client IDs not pinned; the overlay carries ${WLID_CLIENT_ID_APP}, "
        "${WLID_CLIENT_ID_BATCH}",
    ]
    assert "wlid bind --env dev OUTPUTS" in found[0].hint
    assert all("Flux" not in w.hint for w in found), "no gitops: block, so no Flux to substitute"
    with_gitops = SPEC + "gitops:\n  repoURL: https://github.com/example/gitops.git\n"
    found = [w for w in warnings_of(with_gitops) if w.code == "W001"]
    assert len(found) == 2 and all("Flux post-build substitution" in w.hint for w in found)


def test_without_environments_the_placeholder_warning_points_at_the_identity():
    (found,) = [w for w in warnings_of(LAB_SPEC.read_text("utf-8")) if w.code == "W001"]
    assert found.path == ("identities", 0, "name")
    assert "wlid bind OUTPUTS" in found.hint  # the only environment: no --env needed


def test_a_region_given_at_the_top_is_warned_about_once_for_all_environments():
    text = SPEC.replace("  location: westeurope", "  location: malaysiasouth").replace(
        "    azure: {location: malaysiasouth, resourceGroup: rg-app-prod}\n",
        "    azure: {location: westeurope, resourceGroup: rg-app-prod}\n",
    )
    text = text.replace("  dev:\n", "  dev:\n    vars: {}\n") + "  qa: {}\n"
    (found,) = [w for w in warnings_of(text) if w.code == "W002"]
    assert found.path == ("azure", "location") and found.message.startswith("region malaysiasouth")


def test_the_printed_line_shows_the_code(tmp_path: Path):
    spec = tmp_path / "wlid.yaml"
    spec.write_text(SPEC, "utf-8")
    result = CliRunner().invoke(main, ["render", str(spec), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if not line.startswith("  ")]
    pattern = re.compile(rf"{re.escape(str(spec))}:(\d+):(\d+): warning (W\d\d\d): ")
    coded = [pattern.match(line) for line in lines]
    assert sum(1 for m in coded if m) == 8, lines
    owner = next(line for line in lines if "W004" in line and "'Owner'" in line)
    assert owner.endswith(
        "identities[0].roles[1].role: role 'Owner' allows all actions (*) "
        "(hint: grant a narrower role, e.g. a data-plane role on the one resource)"
    )


def test_metadata_ignore_warnings_silences_those_codes():
    text = SPEC.replace("  name: warned\n", "  name: warned\n  ignoreWarnings: [W004, W006]\n")
    assert {w.code for w in warnings_of(text)} == {"W001", "W002", "W005"}


def test_an_unknown_code_to_ignore_is_an_error_with_a_did_you_mean():
    text = SPEC.replace("  name: warned\n", "  name: warned\n  ignoreWarnings: [W006, W04]\n")
    with pytest.raises(SpecError) as raised:
        plan_source(load_text(text, "wlid.yaml"))
    (problem,) = raised.value.problems
    assert problem.format() == (
        "wlid.yaml:5:26: metadata.ignoreWarnings[1]: unknown warning code 'W04' (hint: did you mean 'W004'?)"
    )


def test_ignore_on_the_command_line(tmp_path: Path):
    spec = tmp_path / "wlid.yaml"
    spec.write_text(SPEC, "utf-8")
    args = ["render", str(spec), "-o", str(tmp_path / "out")]
    result = CliRunner().invoke(main, [*args, "--ignore", "W001", "--ignore", "W004"])
    assert result.exit_code == 0, result.output
    codes = set(re.findall(r": warning (W\d\d\d): ", result.stderr))
    assert codes == {"W002", "W005", "W006"}
    result = CliRunner().invoke(main, [*args, "--ignore", "W4"])
    assert result.exit_code == 2
    assert "unknown warning code 'W4'" in result.stderr
    explained = CliRunner().invoke(main, ["explain", str(spec), "--env", "dev", "--ignore", "W006"])
    assert explained.exit_code == 0, explained.output
    assert "not pinned" in explained.stdout and "gitops" not in explained.stdout


def test_no_gitops_warning_when_none_is_asked_for(tmp_path: Path):
    spec = tmp_path / "wlid.yaml"
    spec.write_text(SPEC, "utf-8")
    result = CliRunner().invoke(main, ["render", str(spec), "-o", str(tmp_path / "out"), "--gitops", "none"])
    assert result.exit_code == 0 and "W006" not in result.stderr
    multi = load_file(str(ROOT / "specs" / "multi-env.yaml"))
    assert "W006" not in {w.code for w in render_source(multi).warnings}


@pytest.mark.parametrize(
    ("role", "broad"),
    [
        ("Owner", True),
        ("Contributor", True),
        ("User Access Administrator", True),
        ("Role Based Access Control Administrator", True),
        ("Key Vault Secrets User", False),
        ("Reader", False),
        ("Storage Blob Data Contributor", False),
    ],
)
def test_a_broad_role_is_one_of_the_table(role: str, broad: bool):
    assert (builtin_roles()[role] in privileged_roles()) is broad
    text = SPEC.replace("      - role: owner\n", f"      - role: {role}\n")
    found = [w for w in warnings_of(text) if w.code == "W004" and w.path[2:4] == ("roles", 1)]
    assert bool(found) is broad


def test_render_and_validate_agree_on_least_privilege(tmp_path: Path):
    """W004/W005 at the spec's lines and LP001/LP002 in the rendered template: the same roles."""
    spec = tmp_path / "wlid.yaml"
    spec.write_text(SPEC.replace("    azure: {location: malaysiasouth}\n", "    vars: {}\n"), "utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["render", str(spec), "-o", str(out)])
    assert result.exit_code == 0, result.output
    render_codes = re.findall(r": warning (W00[45]): ", result.stderr)
    findings = validate_tree(out, Options(use_kubectl=False))
    validate_codes = [f.rule for f in findings if f.rule in ("LP001", "LP002")]
    assert sorted(render_codes) == ["W004", "W004", "W005", "W005"]
    assert sorted(validate_codes) == ["LP001", "LP001", "LP002", "LP002"]


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_the_examples_warn_only_with_codes_of_the_catalogue(spec: Path):
    for warning in render_source(load_file(str(spec))).warnings:
        assert warning.code in WARNINGS, warning.format()
        assert warning.mark is not None, warning.format()


def test_docs_list_every_code_with_its_title():
    text = (ROOT / "docs" / "warnings.md").read_text("utf-8")
    table = dict(re.findall(r"^\| (W\d\d\d) \| (.+?) \|$", text, flags=re.M))
    assert table == WARNINGS, "docs/warnings.md's table and wlid_render/warning_codes.py differ"
    for code in WARNINGS:
        assert re.search(rf"^### {code}: ", text, flags=re.M), f"docs/warnings.md explains no {code}"


def test_the_coloured_line_says_the_same():
    from wlid_render.cli.diagnostics import format_problem

    (warning, *_) = warnings_of(SPEC)
    plain = format_problem(warning)
    coloured = re.sub(r"\x1b\[[0-9;]*m", "", format_problem(warning, colour=True))
    assert coloured == plain and f": warning {warning.code}: " in plain
