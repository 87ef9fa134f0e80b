"""Artifacts and the canonical serialisers every emitter uses.

An Artifact is a relative POSIX path and its full text. Text is always LF-terminated with exactly one
final newline, so that equal inputs give equal bytes.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

import yaml

from wlid_render.emit import json_text, yaml_text
from wlid_render.yaml_scalars import STR_TAG, reads_as_non_string

try:  # pragma: no cover - depends on how PyYAML was built
    from yaml import CSafeDumper as _Dumper

    _LIBYAML = True  # yaml_text writes what libyaml's emitter writes
except ImportError:  # pragma: no cover
    from yaml import SafeDumper as _Dumper  # type: ignore[assignment]

    _LIBYAML = False


class _CanonicalDumper(_Dumper):  # type: ignore[misc, valid-type]
    pass


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if reads_as_non_string(value):
        return dumper.represent_scalar(STR_TAG, value, style="'")
    return dumper.represent_scalar(STR_TAG, value)


_CanonicalDumper.add_representer(str, _represent_str)


class Artifact(NamedTuple):
    path: str  # relative, POSIX separators
    text: str

    @property
    def data(self) -> bytes:
        return self.text.encode("utf-8")


def to_json(value: Any) -> str:
    """JSON with 2-space indent, keys in insertion order, non-ASCII kept, final newline.

    The text of `json.dumps(value, indent=2, ensure_ascii=False)`, written by `json_text`.
    """
    try:
        return json_text.dump(value)
    except json_text.Unsupported:
        return _to_json_reference(value)


def _to_json_reference(value: Any) -> str:
    """The canonical JSON text as `json.dumps` writes it: what `to_json` must equal."""
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def to_yaml(value: Any) -> str:
    """One YAML document, keys in insertion order, block style, final newline.

    Written by `yaml_text`; what it does not reproduce byte for byte goes through PyYAML.
    """
    if _LIBYAML:
        try:
            return yaml_text.dump(value)
        except yaml_text.Unsupported:
            pass
    return _to_yaml_reference(value)


def _to_yaml_reference(value: Any) -> str:
    """The canonical YAML text as PyYAML writes it: what `to_yaml` must equal."""
    return yaml.dump(
        value,
        Dumper=_CanonicalDumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=1_000_000,
    )


def to_yaml_documents(values: list[Any]) -> str:
    return "---\n".join(to_yaml(v) for v in values)
