"""The JSON Schema of spec v1: generated from the models, committed, described, and true to them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import jsonschema
import pytest
import yaml
from click.testing import CliRunner
from conftest import LAB_SPEC, ROOT, SPECS, spec_models
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from wlid_render.cli import main
from wlid_render.spec.schema import SCHEMA_PATH, UPDATE_COMMAND, schema_text, spec_schema

COMMITTED = ROOT / SCHEMA_PATH
STARTERS = sorted((ROOT / "wlid_render" / "data").glob("*.yaml"))


def _validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(COMMITTED.read_text("utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _properties(node: Any, where: str = "#") -> list[tuple[str, dict[str, Any]]]:
    """Every (location, property schema) of the schema, nested ones included; not those of the rules
    under `allOf`, which restate properties defined elsewhere (keys required here or per environment)."""
    found = []
    if isinstance(node, dict):
        for name, prop in node.get("properties", {}).items():
            found.append((f"{where}/properties/{name}", prop))
        for key, value in node.items():
            if key != "allOf":
                found += _properties(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _properties(value, f"{where}/{i}")
    return found


def test_the_committed_schema_is_up_to_date():
    assert COMMITTED.is_file(), f"{SCHEMA_PATH} is missing; create it with: {UPDATE_COMMAND}"
    assert COMMITTED.read_text("utf-8") == schema_text(), (
        f"{SCHEMA_PATH} is stale; update it with: {UPDATE_COMMAND}"
    )


def test_the_schema_is_draft_2020_12():
    schema = spec_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_every_property_has_a_description_and_examples():
    properties = _properties(spec_schema())
    assert len(properties) >= 80
    assert [where for where, prop in properties if not prop.get("description")] == []
    assert [where for where, prop in properties if not prop.get("examples")] == []


def _all_fields():
    models = spec_models()
    for model in sorted(models, key=lambda m: m.__name__):
        for name, field in model.model_fields.items():
            yield model, name, field


def test_every_example_is_a_valid_value_of_its_field():
    """The examples an editor offers pass wlid's own validation (naming rules included)."""
    wrong = []
    for model, name, field in _all_fields():
        assert field.examples, f"{model.__name__}.{name} has no examples"
        annotation = Annotated[(field.annotation, *field.metadata)] if field.metadata else field.annotation
        adapter = TypeAdapter(
            annotation, config=None if _is_model(field.annotation) else ConfigDict(strict=True)
        )
        for example in field.examples:
            try:
                adapter.validate_python(example)
            except ValidationError as exc:
                wrong.append(f"{model.__name__}.{name}: {example!r}: {exc.errors()[0]['msg']}")
    assert wrong == []


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


@pytest.mark.parametrize("spec", [*SPECS, *STARTERS], ids=lambda p: p.name)
def test_every_example_spec_and_starter_validates(spec: Path):
    data = yaml.safe_load(spec.read_text("utf-8"))
    errors = [e.message for e in _validator().iter_errors(data)]
    assert errors == []


def test_an_unknown_key_is_rejected():
    data = yaml.safe_load(LAB_SPEC.read_text("utf-8"))
    data["azure"]["locaton"] = "eastus"
    errors = list(_validator().iter_errors(data))
    assert errors and "Additional properties are not allowed ('locaton' was unexpected)" in errors[0].message
    data = yaml.safe_load(LAB_SPEC.read_text("utf-8"))
    data["identities"][0]["roles"][0]["scope"] = "x"
    assert list(_validator().iter_errors(data))


def test_wrong_types_and_missing_keys_are_rejected():
    data = yaml.safe_load(LAB_SPEC.read_text("utf-8"))
    del data["cluster"]
    data["serviceAccounts"][0]["tokenExpiration"] = "3600"
    messages = [e.message for e in _validator().iter_errors(data)]
    assert "'cluster' is a required property" in messages
    assert any("'3600' is not valid" in m or "is not of type 'integer'" in m for m in messages), messages


def test_wlid_schema_prints_and_writes_the_schema(tmp_path: Path):
    printed = CliRunner().invoke(main, ["schema"])
    assert printed.exit_code == 0 and printed.output == schema_text()
    target = tmp_path / "nested" / "wlid-v1.schema.json"
    written = CliRunner().invoke(main, ["schema", "-o", str(target)])
    assert written.exit_code == 0, written.output
    assert target.read_text("utf-8") == schema_text()


def test_the_example_specs_point_editors_at_the_committed_schema():
    for spec in SPECS:
        first = spec.read_text("utf-8").splitlines()[0]
        assert first == "# yaml-language-server: $schema=../schema/wlid-v1.schema.json", spec.name
    assert (ROOT / "specs" / "../schema/wlid-v1.schema.json").resolve() == COMMITTED
