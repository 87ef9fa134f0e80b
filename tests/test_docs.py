"""The README stays true: its set-up commands, and a spec reference that names every field."""

from __future__ import annotations

import re

from conftest import ROOT, spec_models


def _reference_section() -> str:
    readme = (ROOT / "README.md").read_text("utf-8")
    start = readme.index("## Spec reference")
    return readme[start : readme.index("\n## ", start + 1)]


def test_the_spec_reference_names_every_field():
    models = spec_models()
    reference = _reference_section()
    missing = sorted(
        f"{model.__name__}.{name}"
        for model in models
        for name in model.model_fields
        if not re.search(rf"\b{re.escape(name)}\b", reference)
    )
    assert missing == [], "document these fields in the README's spec reference"


def _schema_property_names() -> set[str]:
    from wlid_render.spec.schema import spec_schema

    names: set[str] = set()
    stack: list[object] = [spec_schema()]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            names |= set(node.get("properties", {}))
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return names


def test_the_spec_reference_names_every_property_of_the_schema():
    """The README's reference and the generated schema (what editors complete) describe the same keys."""
    names = _schema_property_names()
    assert len(names) > 40
    reference = _reference_section()
    missing = sorted(name for name in names if not re.search(rf"\b{re.escape(name)}\b", reference))
    assert missing == [], "document these keys of schema/wlid-v1.schema.json in the README's spec reference"


def _sections() -> list[str]:
    readme = (ROOT / "README.md").read_text("utf-8")
    return re.findall(r"^## (.+)$", readme, flags=re.M)


def test_the_readme_has_the_sections_people_look_for():
    sections = _sections()
    for title in [
        "Install",
        "Quick start",
        "Spec reference (v1)",
        "Output layout",
        "Applying with az, Flux and Argo CD",
        "Troubleshooting",
    ]:
        assert title in sections, title
    assert sections.index("Quick start") < sections.index("Commands") < sections.index("Spec reference (v1)")


def _section(title: str) -> str:
    readme = (ROOT / "README.md").read_text("utf-8")
    start = readme.index(f"\n## {title}\n")
    end = readme.find("\n## ", start + 1)
    return readme[start : end if end != -1 else len(readme)]


def test_quick_start_goes_from_init_to_commit():
    quick = _section("Quick start")
    steps = [line.split()[0:2] for line in quick.split("```sh\n", 1)[1].split("```", 1)[0].splitlines()]
    assert steps == [
        ["wlid", "init"],
        ["$EDITOR", "wlid.yaml"],
        ["wlid", "render"],
        ["wlid", "validate"],
        ["wlid", "explain"],
        ["git", "add"],
    ]
    assert "# yaml-language-server: $schema=wlid-v1.schema.json" in quick
    assert "https://raw.githubusercontent.com/" in quick, "the URL form of the schema line"


def test_install_documents_pipx_uv_and_shell_completion():
    install = _section("Install")
    assert "pipx install" in install and "uv tool install" in install
    assert "_WLID_COMPLETE=bash_source wlid" in install and "_WLID_COMPLETE=zsh_source wlid" in install


def test_the_shell_completion_variable_is_the_one_click_reads():
    from click.testing import CliRunner

    from wlid_render.cli import main

    script = CliRunner().invoke(main, [], prog_name="wlid", env={"_WLID_COMPLETE": "bash_source"})
    assert script.exit_code == 0 and "_wlid_completion()" in script.output
    words = CliRunner().invoke(
        main,
        [],
        prog_name="wlid",
        env={"_WLID_COMPLETE": "bash_complete", "COMP_WORDS": "wlid ex", "COMP_CWORD": "1"},
    )
    assert "explain" in words.output


def test_troubleshooting_maps_each_error_to_its_cause_and_rule():
    text = _section("Troubleshooting")
    for error, rules in [
        ("AADSTS70021", ["WI003", "WI009", "oidcIssuerProfile.issuerURL"]),
        ("No matching federated identity record found for presented assertion", []),
        ("ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity", ["ARM005", "dependsOn"]),
        (
            "Issuer and subject combination already exists for this Managed Identity",
            ["WI006", "federatedCredentialName"],
        ),
        ("PrincipalNotFound", ["principalType: ServicePrincipal"]),
        ("Support for federated identity credentials not enabled", ["WI012", "regions_without_fic.txt"]),
        ("token expiration", ["WI008", "3600..86400"]),
    ]:
        assert error in text, error
        paragraph = next(p for p in text.split("\n\n") if error in p)
        for rule in rules:
            assert rule in paragraph, f"{error}: {rule}"
    from wlid_render.validate.rules import RULES

    assert {r for r in re.findall(r"\b(?:WI|ARM)\d{3}\b", text)} <= set(RULES)


def test_the_readme_starts_with_the_two_set_up_commands():
    readme = (ROOT / "README.md").read_text("utf-8")
    block = readme.split("```sh\n", 1)[1].split("```", 1)[0].strip().splitlines()
    assert block == [
        "pip install . && wlid render specs/lab.yaml",
        "pip install -e '.[test]' && python -m pytest",
    ]
    assert "pip install -e '.[test]' && python -m pytest" in (ROOT / ".ci" / "run").read_text("utf-8")


def test_ci_runs_the_slow_tests_that_the_default_run_leaves_out():
    addopts = re.search(r"^addopts = (.*)$", (ROOT / "pyproject.toml").read_text("utf-8"), re.M)
    assert addopts and "-m 'not slow'" in addopts.group(1)
    commands = [line.strip() for line in (ROOT / ".ci" / "run").read_text("utf-8").splitlines()]
    assert "python -m pytest -m slow -n 0" in commands  # in one process: timings and kills assume it
    readme = (ROOT / "README.md").read_text("utf-8")
    assert "`python -m pytest -m slow` runs the slow ones" in readme


def test_every_validate_rule_is_documented():
    from wlid_render.validate.rules import RULES

    text = (ROOT / "docs" / "validate.md").read_text("utf-8")
    assert [rule for rule in RULES if f"| {rule} |" not in text] == []


def test_cli_kubernetes_versions_match_the_bundled_schemas():
    from wlid_render.cli import validate
    from wlid_render.formats import KUBERNETES_VERSIONS as SUPPORTED_VERSIONS

    option = next(p for p in validate.params if p.name == "kubernetes_version")
    assert tuple(option.type.choices) == SUPPORTED_VERSIONS
    for version in SUPPORTED_VERSIONS:
        assert (ROOT / "wlid_render" / "data" / "k8s_schemas" / f"v{version}.json").is_file()
