"""Artifacts and the canonical serialisers every emitter uses.

An Artifact is a relative POSIX path and its full text. Text is always LF-terminated with exactly one
final newline, so that equal inputs give equal bytes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import yaml

try:  # pragma: no cover - depends on how PyYAML was built
    from yaml import CSafeDumper as _Dumper
except ImportError:  # pragma: no cover
    from yaml import SafeDumper as _Dumper  # type: ignore[assignment]


# Plain scalars that some YAML reader (1.1 like PyYAML, or 1.2 like the Go yaml used by kustomize and
# Flux) would read as something other than a string. Such strings are always written quoted.
_NOT_A_STRING = re.compile(
    r"""(?x)
    ~ | null | Null | NULL | true | True | TRUE | false | False | FALSE
    | y | Y | yes | Yes | YES | n | N | no | No | NO | on | On | ON | off | Off | OFF
    | [-+]?(0|[1-9][0-9_]*)                        # decimal
    | [-+]?0[0-7_]+ | 0o[0-7]+                      # octal, both spellings
    | [-+]?0x[0-9a-fA-F_]+ | [-+]?0b[01_]+         # hex, binary
    | [-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?  # sexagesimal (YAML 1.1)
    | [-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?  # floats, 1e3 included
    | [-+]?\.(inf|Inf|INF) | \.(nan|NaN|NAN)
    | [0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ].*)?      # timestamps
    | =  | <<
    """
)


class _CanonicalDumper(_Dumper):  # type: ignore[misc, valid-type]
    pass


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if _NOT_A_STRING.fullmatch(value):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="'")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_CanonicalDumper.add_representer(str, _represent_str)


@dataclass(frozen=True, order=True)
class Artifact:
    path: str  # relative, POSIX separators
    text: str

    @property
    def data(self) -> bytes:
        return self.text.encode("utf-8")


def to_json(value: Any) -> str:
    """JSON with 2-space indent, keys in insertion order, non-ASCII kept, final newline."""
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def to_yaml(value: Any) -> str:
    """One YAML document, keys in insertion order, block style, final newline."""
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
