"""The README stays true: its set-up commands, and a spec reference that names every field."""

from __future__ import annotations

import re
import typing

from conftest import ROOT
from pydantic import BaseModel

from wlid_render.spec import Spec


def _models(model: type[BaseModel], seen: set[type[BaseModel]]) -> None:
    seen.add(model)
    for field in model.model_fields.values():
        stack = [field.annotation]
        while stack:
            current = stack.pop()
            stack.extend(typing.get_args(current))
            if isinstance(current, type) and issubclass(current, BaseModel) and current not in seen:
                _models(current, seen)


def _reference_section() -> str:
    readme = (ROOT / "README.md").read_text("utf-8")
    start = readme.index("## Spec reference")
    return readme[start : readme.index("\n## ", start + 1)]


def test_the_spec_reference_names_every_field():
    models: set[type[BaseModel]] = set()
    _models(Spec, models)
    reference = _reference_section()
    missing = sorted(
        f"{model.__name__}.{name}"
        for model in models
        for name in model.model_fields
        if not re.search(rf"\b{re.escape(name)}\b", reference)
    )
    assert missing == [], "document these fields in the README's spec reference"


def test_the_readme_starts_with_the_two_set_up_commands():
    readme = (ROOT / "README.md").read_text("utf-8")
    block = readme.split("```sh\n", 1)[1].split("```", 1)[0].strip().splitlines()
    assert block == [
        "pip install . && wlid render specs/lab.yaml",
        "pip install -e '.[test]' && python -m pytest",
    ]
    assert "pip install -e '.[test]' && python -m pytest" in (ROOT / ".ci" / "run").read_text("utf-8")


def test_every_validate_rule_is_documented():
    from wlid_render.validate.rules import RULES

    text = (ROOT / "docs" / "validate.md").read_text("utf-8")
    assert [rule for rule in RULES if f"| {rule} |" not in text] == []


def test_cli_kubernetes_versions_match_the_bundled_schemas():
    from wlid_render.cli import validate
    from wlid_render.validate.k8s import SUPPORTED_VERSIONS

    option = next(p for p in validate.params if p.name == "kubernetes_version")
    assert tuple(option.type.choices) == SUPPORTED_VERSIONS
    for version in SUPPORTED_VERSIONS:
        assert (ROOT / "wlid_render" / "data" / "k8s_schemas" / f"v{version}.json").is_file()
