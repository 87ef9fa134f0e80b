"""The strict Kubernetes JSON schemas bundled with kubernetes-validate, as compiled validators."""

from __future__ import annotations

import functools
import importlib.util
import json
from importlib import resources
from typing import Any

import jsonschema
from referencing import Registry, Resource

K8S_SCHEMA_VERSION = "1.32.0"


def _schema_dir() -> Any:
    assert importlib.util.find_spec("kubernetes_validate"), (
        "the schemas need: pip install kubernetes-validate"
    )
    folder = (
        resources.files("kubernetes_validate")
        / "kubernetes-json-schema"
        / f"v{K8S_SCHEMA_VERSION}-local-strict"
    )
    assert folder.is_dir(), f"kubernetes-validate has no schemas for Kubernetes {K8S_SCHEMA_VERSION}"
    return folder


@functools.cache
def _definitions() -> Resource:
    return Resource.from_contents(json.loads((_schema_dir() / "_definitions.json").read_text("utf-8")))


@functools.cache
def validator_for(api_version: str, kind: str) -> jsonschema.protocols.Validator:
    """A compiled validator per (apiVersion, kind), built once from the bundled offline schemas."""
    group, _, version = api_version.rpartition("/")  # "apps/v1" -> apps, v1; "v1" -> core
    stem = "-".join(part for part in (kind.lower(), group.split(".", 1)[0], version) if part)
    schema = json.loads((_schema_dir() / f"{stem}.json").read_text("utf-8"))
    registry = Registry().with_resources(
        [(schema["$id"], Resource.from_contents(schema)), (_definitions().id(), _definitions())]
    )
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, registry=registry)


def schema_errors(obj: dict[str, Any]) -> list[str]:
    validator = validator_for(obj["apiVersion"], obj["kind"])
    return [f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(obj)]
