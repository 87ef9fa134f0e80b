"""Artifacts and the canonical serialisers every emitter uses.

An Artifact is a relative POSIX path and its full text. Text is always LF-terminated with exactly one
final newline, so that equal inputs give equal bytes.

The canonical text of a value is what `canonical_yaml` (PyYAML, with libyaml's emitter when PyYAML
has it) and `canonical_json` (`json.dumps`) write. `to_yaml` and `to_json` give exactly that text
(the writers of `wlid_render.fast` produce most of it directly, proven to match).
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

import yaml

from wlid_render.fast import json_text, yaml_text
from wlid_render.yaml_scalars import STR_TAG, reads_as_non_string

try:  # pragma: no cover - depends on how PyYAML was built
    from yaml import CSafeDumper as _Dumper
except ImportError:  # pragma: no cover
    from yaml import SafeDumper as _Dumper  # type: ignore[assignment]


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


def canonical_json(value: Any) -> str:
    """The canonical JSON text: `json.dumps` with a 2-space indent, non-ASCII kept, final newline."""
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def canonical_yaml(value: Any) -> str:
    """The canonical YAML text: one block-style document, keys in insertion order, strings that some
    YAML reader takes for another type single-quoted, no folding, final newline."""
    return yaml.dump(
        value,
        Dumper=_CanonicalDumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=1_000_000,
    )


def to_json(value: Any) -> str:
    """JSON with 2-space indent, keys in insertion order, non-ASCII kept, final newline: the text of
    `canonical_json`."""
    return json_text.dump_or(value, canonical_json)


def to_yaml(value: Any) -> str:
    """One YAML document, keys in insertion order, block style, final newline: the text of
    `canonical_yaml`."""
    return yaml_text.dump_or(value, canonical_yaml)


def to_yaml_documents(values: list[Any]) -> str:
    return "---\n".join(to_yaml(v) for v in values)
