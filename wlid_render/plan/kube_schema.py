"""The bundled Kubernetes schema, for the pod-spec fields a spec takes in Kubernetes' own spelling.

wlid_render/data/k8s_schemas holds the strict schema of the Kubernetes version `wlid validate`
checks by default. One schema covers every field a spec may hold (DEFINITIONS); it is compiled once
per process, into a fast validator that answers valid or not and, only for an invalid value, a
detailed one whose errors name the field. Its errors are told in the spec's words, at spec paths.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

from wlid_render.errors import Path, Problem
from wlid_render.formats import DEFAULT_KUBERNETES_VERSION, kubernetes_schema
from wlid_render.suggest import did_you_mean

MESSAGE_LIMIT = 200

# What each field is, by its name in the Kubernetes schema ($defs); PodSpec fields of podTemplate are
# checked against PodSpec without its required `containers`.
CORE = "io.k8s.api.core.v1."
DEFINITIONS = {
    "valueFrom": CORE + "EnvVarSource",
    "envFrom": CORE + "EnvFromSource",
    "volumeMount": CORE + "VolumeMount",
    "probe": CORE + "Probe",
    "lifecycle": CORE + "Lifecycle",
    "securityContext": CORE + "SecurityContext",
    "volume": CORE + "Volume",
    "podSecurityContext": CORE + "PodSecurityContext",
    "imagePullSecret": CORE + "LocalObjectReference",
    "toleration": CORE + "Toleration",
    "affinity": CORE + "Affinity",
    "podTemplate": CORE + "PodSpec",
}


@cache
def _document() -> dict[str, Any]:
    """The bundled schema of the Kubernetes version `wlid validate` checks by default (read once, for
    both)."""
    return kubernetes_schema(DEFAULT_KUBERNETES_VERSION)


@cache
def _schema() -> dict[str, Any]:
    """One schema for every field: an object whose property `<key>` holds a value of DEFINITIONS[key]."""
    document = _document()
    definitions = document["$defs"]
    properties: dict[str, Any] = {key: {"$ref": f"#/$defs/{name}"} for key, name in DEFINITIONS.items()}
    pod_spec = dict(definitions[DEFINITIONS["podTemplate"]])
    pod_spec.pop("required", None)  # containers come from wlid
    properties["podTemplate"] = pod_spec
    return {"$schema": document["$schema"], "$defs": definitions, "type": "object", "properties": properties}


@cache
def _fast() -> Any:
    """A compiled jsonschema-rs validator of `_schema`: it answers valid or not, quickly."""
    import jsonschema_rs

    return jsonschema_rs.validator_for(_schema())


@cache
def _detailed() -> Any:
    """A jsonschema validator of `_schema`: slower, but its errors name the field (for invalid values)."""
    import jsonschema

    schema = _schema()
    return jsonschema.validators.validator_for(schema)(schema)


@cache
def known_keys(key: str) -> frozenset[str]:
    """The keys the schema knows in a value of DEFINITIONS[key] (or of a lifecycle hook)."""
    name = CORE + "LifecycleHandler" if key == "hook" else DEFINITIONS[key]
    return frozenset(_document()["$defs"][name]["properties"])


@cache
def volume_sources() -> tuple[str, ...]:
    """A volume's sources, the common ones first (for messages), as the schema names them."""
    common = ("emptyDir", "configMap", "secret", "persistentVolumeClaim", "projected", "csi")
    rest = sorted(known_keys("volume") - {"name", *common})
    return (*common, *rest)


def schema_problems(values: list[tuple[str, Any, Path]]) -> list[Problem]:
    if not values:
        return []
    problems = []
    fast = _fast()
    for key, value, path in values:
        if fast.is_valid({key: value}):
            continue
        for error in sorted(_detailed().iter_errors({key: value}), key=lambda e: [str(p) for p in e.path]):
            problems += _problems_of(error, path)
    return problems


def _problems_of(error: Any, base: Path) -> Iterator[Problem]:
    """The problems a person should see for one schema error, at spec paths."""
    where: Path = (*base, *list(error.absolute_path)[1:])  # the first step is the definition key
    instance = error.instance
    validator = error.validator
    known = sorted(error.schema.get("properties", {})) if isinstance(error.schema, dict) else []
    if validator == "additionalProperties" and isinstance(instance, dict):
        for key in instance:
            if key not in known and not key.startswith("$"):  # `$` keys: see plan/directives.py
                guess = did_you_mean(key, known)
                hint = f"did you mean {guess}?" if guess else _allowed(known)
                yield Problem(f"unknown key {key!r}", (*where, key), hint=hint)
        return
    if validator == "required" and isinstance(instance, dict):
        # A misspelt key is reported once, as unknown with its did-you-mean, not also as missing.
        unknown = [key for key in instance if key not in known]
        for key in error.validator_value:
            if key not in instance and not any(did_you_mean(u, [key]) for u in unknown):
                yield Problem(f"required key {key!r} is missing", where)
        return
    if validator == "type":
        wanted = _types(error.validator_value)
        yield Problem(f"expected {wanted}, got {_kind_of(instance)}", where)
        return
    if validator in ("oneOf", "anyOf") and all(
        isinstance(branch, dict) and set(branch) == {"type"} for branch in error.validator_value
    ):
        wanted = " or ".join(_types(branch["type"]) for branch in error.validator_value)
        yield Problem(f"expected {wanted}, got {_kind_of(instance)}", where)
        return
    if validator == "enum":
        choices = ", ".join(repr(c) for c in error.validator_value if c is not None)
        yield Problem(f"must be one of {choices}, got {_shown(instance)}", where)
        return
    message = error.message
    if len(message) > MESSAGE_LIMIT:
        message = message[: MESSAGE_LIMIT - 3] + "..."
    yield Problem(message, where)


_TYPE_NAMES = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
}


def _types(value: Any) -> str:
    names = value if isinstance(value, list) else [value]
    return " or ".join(_TYPE_NAMES.get(n, n) for n in names if n != "null")


def _kind_of(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, int):
        return f"an integer ({value})"
    if isinstance(value, float):
        return f"a number ({value})"
    if isinstance(value, str):
        return f"a string ({_shown(value)})"
    if isinstance(value, list):
        return "a list"
    return "a mapping"


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:55]}... ({len(str(value))} characters)"


def _allowed(keys: list[str]) -> str:
    return f"allowed keys: {', '.join(keys)}" if len(keys) <= 12 else ""
