"""Role targets: the resource kinds a role can be granted on, their ARM types and naming rules."""

from __future__ import annotations

import re
from typing import NamedTuple

from wlid_render.plan.model import Target
from wlid_render.spec.models import UUID_RE, ResourceRef, RoleGrant


class Kind(NamedTuple):
    key: str  # the spec key
    resource_type: str
    api_version: str
    label: str
    pattern: str
    rule: str


KINDS = (
    Kind(
        "keyVault",
        "Microsoft.KeyVault/vaults",
        "2023-07-01",
        "key vault",
        r"[a-zA-Z](?!.*--)[a-zA-Z0-9-]{1,22}[a-zA-Z0-9]",
        "3-24 letters, digits and '-', starting with a letter, no '--'",
    ),
    Kind(
        "storageAccount",
        "Microsoft.Storage/storageAccounts",
        "2023-05-01",
        "storage account",
        r"[a-z0-9]{3,24}",
        "3-24 lower-case letters and digits",
    ),
    Kind(
        "containerRegistry",
        "Microsoft.ContainerRegistry/registries",
        "2023-07-01",
        "container registry",
        r"[a-zA-Z0-9]{5,50}",
        "5-50 letters and digits",
    ),
    Kind(
        "serviceBusNamespace",
        "Microsoft.ServiceBus/namespaces",
        "2021-11-01",
        "Service Bus namespace",
        r"[a-zA-Z][a-zA-Z0-9-]{4,48}[a-zA-Z0-9]",
        "6-50 letters, digits and '-', starting with a letter",
    ),
    Kind(
        "eventHubNamespace",
        "Microsoft.EventHub/namespaces",
        "2024-01-01",
        "Event Hubs namespace",
        r"[a-zA-Z][a-zA-Z0-9-]{4,48}[a-zA-Z0-9]",
        "6-50 letters, digits and '-', starting with a letter",
    ),
    Kind(
        "appConfiguration",
        "Microsoft.AppConfiguration/configurationStores",
        "2023-03-01",
        "App Configuration store",
        r"[a-zA-Z0-9_-]{5,50}",
        "5-50 letters, digits, '-' and '_'",
    ),
)
KIND_BY_KEY = {k.key: k for k in KINDS}
KIND_BY_TYPE = {k.resource_type.lower(): k for k in KINDS}
TARGET_KEYS = (*KIND_BY_KEY, "resourceGroup", "subscription", "resourceId")

# API versions for `existing` declarations in Bicep of resource types reached through `resourceId`.
# Only `.id` of such a declaration is used, which compiles to resourceId() and reads nothing.
FALLBACK_API_VERSION = "2022-09-01"

_RESOURCE_ID = re.compile(
    rf"/subscriptions/(?P<sub>{UUID_RE})"
    r"(?:/resourceGroups/(?P<rg>[-\w.()]+)"
    r"(?:/providers/(?P<ns>[A-Za-z][\w.]*)/(?P<rest>[^/]+/[^/]+(?:/[^/]+/[^/]+)*))?)?",
)


class TargetError(ValueError):
    """A target that cannot be used; the message says why."""


def target_of(grant: RoleGrant) -> Target:
    """The Target of a grant with exactly one target key. Raises TargetError."""
    used = [key for key in TARGET_KEYS if getattr(grant, key) is not None]
    if len(used) != 1:
        raise TargetError(
            "a role needs exactly one target: "
            + ("none given" if not used else f"got {', '.join(used)}")
            + f" (one of {', '.join(TARGET_KEYS)})"
        )
    key = used[0]
    value = getattr(grant, key)
    if key in KIND_BY_KEY:
        return resource_target(KIND_BY_KEY[key], value)
    if key == "resourceGroup":
        return Target("resourceGroup", None, value, label=f"resource group {value}")
    if key == "subscription":
        return Target("subscription", None, None, label="the subscription")
    return parse_resource_id(value)


def resource_target(kind: Kind, value: str | ResourceRef) -> Target:
    """The Target of a resource of a known kind, named or referred to in full. Raises TargetError."""
    ref = value if isinstance(value, ResourceRef) else ResourceRef(name=value)
    if ref.subscriptionId and not ref.resourceGroup:
        raise TargetError(
            f"{kind.label} {ref.name!r}: a subscriptionId needs a resourceGroup too "
            "(a resource in another subscription cannot be in the deployment's resource group)"
        )
    if not re.fullmatch(kind.pattern, ref.name):
        raise TargetError(f"{ref.name!r} is not a valid {kind.label} name ({kind.rule})")
    return Target(
        kind="resource",
        subscription_id=ref.subscriptionId,
        resource_group=ref.resourceGroup,
        resource_type=kind.resource_type,
        resource_name=ref.name,
        api_version=kind.api_version,
        label=f"{kind.label} {ref.name}",
    )


def parse_resource_id(value: str) -> Target:
    match = _RESOURCE_ID.fullmatch(value)
    if not match:
        raise TargetError(
            f"{value!r} is not an Azure resource ID "
            "(/subscriptions/<guid>[/resourceGroups/<name>[/providers/<namespace>/<type>/<name>...]])"
        )
    sub, rg, ns, rest = match["sub"], match["rg"], match["ns"], match["rest"]
    if rg is None:
        return Target("subscription", sub, None, label=f"subscription {sub}")
    if ns is None:
        return Target("resourceGroup", sub, rg, label=f"resource group {rg}")
    parts = rest.split("/")
    types = "/".join([ns, *parts[0::2]])
    names = "/".join(parts[1::2])
    known = KIND_BY_TYPE.get(types.lower())
    return Target(
        "resource",
        sub,
        rg,
        resource_type=known.resource_type if known else types,
        resource_name=names,
        api_version=known.api_version if known else FALLBACK_API_VERSION,
        label=f"{known.label if known else types} {names}",
    )


def assignment_key(target: Target, guid: str) -> tuple[str, str]:
    """What makes two role assignments of one identity the same one: the role and its scope (names
    compared as Azure compares them, ignoring case)."""
    return (
        f"{target.kind}:{target.subscription_id}:{target.resource_group}:"
        f"{target.resource_type.lower()}:{str(target.resource_name).lower()}",
        guid,
    )
