"""The base of the spec models and the types of single values: names, GUIDs, tags, environment lists.

Each named type carries the naming rule Azure or Kubernetes has for it, checked by the models that use
it (and by `wlid import`, which writes only values that pass).
"""

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from wlid_render.formats import CLUSTER_NAME_PATTERN, FIC_NAME_PATTERN, GUID_PATTERN, IDENTITY_NAME_PATTERN

# The defaults of list and mapping fields: a new empty one for each object (a literal `[]` default is
# deep-copied for every object validated; the builtins are called without a Python frame).
empty_list = list
empty_map = dict


class SpecModel(BaseModel):
    """Every model of the spec: unknown keys refused, values never coerced, objects frozen."""

    # defer_build: the validator of Spec is built once, on the first validation, with every nested
    # model in it; built at class creation, each model would build its own validator (and its nested
    # models' again) while `wlid render` only ever needs Spec's. A model used on its own (a
    # model_dump of an override, the JSON Schema) builds its own on first use.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, defer_build=True)


def rule(pattern: str, what: str, max_len: int | None = None) -> AfterValidator:
    """A validator that checks a string against `pattern` (whole) and `max_len`, in the user's words."""
    regex: re.Pattern[str] | None = None  # compiled on first use: a spec uses some of the rules

    def check(value: str) -> str:
        nonlocal regex
        if max_len is not None and len(value) > max_len:
            raise ValueError(f"{what}: at most {max_len} characters, got {len(value)}")
        if regex is None:
            regex = re.compile(pattern)
        if not regex.fullmatch(value):
            shown = repr(value) if len(value) <= 80 else f"{value[:60]!r}... ({len(value)} characters)"
            raise ValueError(f"{shown} is not a valid {what}")
        return value

    return AfterValidator(check)


UUID_RE = GUID_PATTERN

SpecName = Annotated[
    str,
    rule(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?", "spec name (lower-case letters, digits and '-')", 40),
]
Uuid = Annotated[str, rule(UUID_RE, "GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)")]
ResourceGroupName = Annotated[
    str,
    rule(r"[-\w.()]*[-\w()]", "resource group name (letters, digits, '-', '_', '.', '(', ')')", 90),
]
Location = Annotated[str, rule(r"[a-z][a-z0-9]*", "location (the short form, e.g. eastus)", 40)]
ClusterName = Annotated[
    str,
    rule(
        CLUSTER_NAME_PATTERN,
        "AKS cluster name (1-63 letters, digits, '-', '_'; starts and ends alphanumeric)",
    ),
]
IssuerUrl = Annotated[
    str,
    rule(r"https://[^\s/]+/(\S*/)?", "OIDC issuer URL (https://..., ending with '/')", 600),
]
IdentityName = Annotated[
    str,
    rule(
        IDENTITY_NAME_PATTERN,
        "managed identity name (3-128 letters, digits, '-', '_'; starts alphanumeric)",
    ),
]
FicName = Annotated[
    str,
    rule(
        FIC_NAME_PATTERN,
        "federated credential name (3-120 letters, digits, '-', '_'; starts alphanumeric)",
    ),
]
DnsLabel = Annotated[
    str,
    rule(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", "Kubernetes name (DNS-1123 label: a-z, 0-9, '-')", 63),
]
DnsSubdomain = Annotated[
    str,
    rule(
        r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*",
        "Kubernetes name (DNS-1123 subdomain: a-z, 0-9, '-', '.')",
        253,
    ),
]
AzureName = Annotated[
    str,
    rule(r"[a-zA-Z0-9][-\w.]*", "Azure resource name (letters, digits, '-', '_', '.')", 260),
]
LabelKey = Annotated[
    str,
    rule(
        r"([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?",
        "Kubernetes label or annotation key",
        316,
    ),
]
LabelValue = Annotated[
    str,
    rule(
        r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?",
        "Kubernetes label value (at most 63 letters, digits, '-', '_', '.'; alphanumeric at both ends)",
        63,
    ),
]
EnvName = Annotated[
    str,
    rule(r"[A-Za-z_][A-Za-z0-9_]*", "environment variable name (letters, digits, '_')", 256),
]
EnvironmentName = Annotated[
    str,
    rule(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?", "environment name (lower-case letters, digits, '-')", 30),
]

VarName = Annotated[str, rule(r"[A-Za-z_][A-Za-z0-9_]*", "variable name (letters, digits, '_')", 64)]

GitRef = Annotated[
    str, rule(r"[A-Za-z0-9._/-]+", "Git branch name (letters, digits, '.', '_', '-', '/')", 255)
]

OnlyIn = list[Annotated[str, Field(min_length=1, max_length=30)]] | None

ONLY_IN_DESCRIPTION = "Only in these environments (names under environments). Default: every environment."


# Azure's limits on tags (Microsoft Learn, "Use tags to organize your Azure resources", Limitations):
# names at most 512 characters without < > % & \ ? /, values at most 256 characters, at most 50 tags
# per resource (counted in plan, after the spec-wide and the identity's tags are merged).
TAG_NAME_FORBIDDEN = "<>%&\\?/"
MAX_TAG_NAME, MAX_TAG_VALUE = 512, 256


def _tag_name(value: str) -> str:
    if not value:
        raise ValueError("a tag name cannot be empty")
    if len(value) > MAX_TAG_NAME:
        raise ValueError(f"a tag name has at most {MAX_TAG_NAME} characters, got {len(value)}")
    bad = sorted({c for c in value if c in TAG_NAME_FORBIDDEN})
    if bad:
        raise ValueError(
            f"tag name {value[:80]!r} contains {' '.join(bad)}; Azure refuses < > % & \\ ? / in tag names"
        )
    return value


def _tag_value(value: str) -> str:
    if len(value) > MAX_TAG_VALUE:
        raise ValueError(f"a tag value has at most {MAX_TAG_VALUE} characters, got {len(value)}")
    return value


TagName = Annotated[str, AfterValidator(_tag_name)]
TagValue = Annotated[str, AfterValidator(_tag_value)]
Tags = dict[TagName, TagValue]

TAGS_DESCRIPTION = (
    "Tags written on the managed identities (Azure's limits: at most 50 per identity, names up to 512 "
    "characters without < > % & \\ ? /, values up to 256). Values may use ${env} and ${vars.NAME}. "
    "A deployment replaces the identity's tags with these: tags added by hand are removed, tags that "
    "an Azure Policy modify or append effect adds are added again in the same request."
)
