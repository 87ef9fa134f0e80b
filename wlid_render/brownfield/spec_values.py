"""Values read from Azure as a spec holds them: whether a value passes the spec's own rule for its
kind (`valid`, the same check `wlid render` makes), and the YAML scalar that writes it on one line
(`scalar`).
"""

from __future__ import annotations

from typing import Any

import yaml
from pydantic import TypeAdapter, ValidationError

from wlid_render.spec.models import (
    DnsLabel,
    DnsSubdomain,
    FicName,
    IdentityName,
    Location,
    ResourceGroupName,
    SpecName,
    Uuid,
)
from wlid_render.yaml_scalars import NOT_A_STRING

_ADAPTERS: dict[str, TypeAdapter[Any]] = {}


def valid(kind: str, value: str) -> bool:
    """Whether `value` passes the spec's own rule for `kind` (the same check `wlid render` makes)."""
    if kind not in _ADAPTERS:
        types = {
            "dns_label": DnsLabel,
            "dns_subdomain": DnsSubdomain,
            "fic": FicName,
            "identity": IdentityName,
            "location": Location,
            "resource_group": ResourceGroupName,
            "spec": SpecName,
            "uuid": Uuid,
        }
        _ADAPTERS[kind] = TypeAdapter(types[kind])
    try:
        _ADAPTERS[kind].validate_python(value)
    except ValidationError:
        return False
    return True


def scalar(value: str) -> str:
    """`value` as a YAML scalar on one line (quoted when a YAML 1.1 or 1.2 reader would not read a string).

    Used for comments too: a value from Azure can never break out of its line.
    """
    style = "'" if NOT_A_STRING.fullmatch(value) else None
    for attempt in (style, '"'):
        dumped = yaml.safe_dump(
            {"v": value}, default_style=attempt, width=1_000_000, allow_unicode=False, sort_keys=False
        )
        scalar = dumped.partition(": ")[2].removesuffix("\n")
        if "\n" not in scalar and "\r" not in scalar:
            return scalar
    raise AssertionError(f"a double-quoted scalar spans lines: {value!r}")  # pragma: no cover
