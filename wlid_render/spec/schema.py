"""The JSON Schema of spec v1, generated from the pydantic models in `spec`.

Editors use it for completion, hover help and validation while a spec is written (the
`# yaml-language-server: $schema=...` line). It describes the spec as written, before `${env}` and
`${vars.*}` are resolved, so it checks keys, types and required fields but not naming rules (a value
such as `rg-${env}` becomes a valid name only per environment); `wlid render` checks those.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema

from wlid_render.spec.models import Spec, empty_list, empty_map

DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_PATH = "schema/wlid-v1.schema.json"  # the committed copy, relative to the repository root
UPDATE_COMMAND = f"wlid schema -o {SCHEMA_PATH}"


class _Generator(GenerateJsonSchema):
    def field_title_should_be_set(self, schema: Any) -> bool:
        return False  # property names are their own titles; descriptions carry the meaning

    def get_default_value(self, schema: Any) -> Any:
        # Empty lists, maps and models are defaults made by a factory (pydantic would deep-copy a
        # literal list or map for every object it validates, and a model instance would build its
        # model at import); the schema shows them as the values they stand for.
        factory = schema.get("default_factory")
        if factory in (empty_list, empty_map) or (
            isinstance(factory, type) and issubclass(factory, BaseModel)
        ):
            return factory()
        return super().get_default_value(schema)


def spec_schema() -> dict[str, Any]:
    """The schema as a dict: draft 2020-12, every property with a description and examples."""
    body = Spec.model_json_schema(mode="validation", schema_generator=_Generator)
    body.pop("title", None)
    return {"$schema": DIALECT, "title": "wlid spec v1 (WorkloadIdentitySpec)", **body}


def schema_text() -> str:
    """The schema as written by `wlid schema`: two-space indented JSON, one final newline."""
    return json.dumps(spec_schema(), indent=2, ensure_ascii=False) + "\n"
