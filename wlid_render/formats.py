"""Facts about formats that several stages use: GUIDs, Azure's naming rules, the managedClusters API
version, the default environment, the regions without federated credentials, the broad built-in
roles, unique generated names. Imports nothing of ours."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any, Literal

GUID_PATTERN = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
GUID = re.compile(GUID_PATTERN)

# The one environment of a spec without `environments`.
DEFAULT_ENVIRONMENT = "default"

# Azure's naming rules (facts: "Limits and rules"); patterns for a full match.
IDENTITY_NAME_PATTERN = r"[a-zA-Z0-9][a-zA-Z0-9_-]{2,127}"  # user-assigned identity: 3-128 characters
FIC_NAME_PATTERN = r"[a-zA-Z0-9][a-zA-Z0-9_-]{2,119}"  # federated identity credential: 3-120 characters
CLUSTER_NAME_PATTERN = r"[a-zA-Z0-9]|[a-zA-Z0-9][-_a-zA-Z0-9]{0,61}[a-zA-Z0-9]"  # AKS cluster

# Newest stable managedClusters API in the bundled schemas: what the opt-in cluster step reads and
# writes back (an older version drops properties it does not know on the round trip), and what the
# template reads the issuer with; `wlid validate` reports a cluster written with an older one (ARM008).
CLUSTER_API = "2026-05-01"

# How identities are deployed (azure.deployMode) and trusted by their clusters (federation): the values
# the spec accepts and the plan carries.
DeployMode = Literal["group", "stack"]
Federation = Literal["credentials", "identityBinding"]

# The package's data files, found as importlib.resources finds them in a package on disk, without
# importing its readers (and zipfile) at every start.
DATA = Path(__file__).parent / "data"


def parse_regions(text: str) -> frozenset[str]:
    """Region names of a regions file: one per line, `#` starts a comment, any case."""
    return frozenset(
        line.split("#", 1)[0].strip().lower() for line in text.splitlines() if line.split("#", 1)[0].strip()
    )


@cache
def regions_without_fic() -> frozenset[str]:
    """Regions where user-assigned identities do not support federated credentials: the editable list
    data/regions_without_fic.txt (the published versions disagree; see docs/azure-resources.md)."""
    text = (DATA / "regions_without_fic.txt").read_text("utf-8")
    return parse_regions(text)


# The Kubernetes versions whose schemas are bundled (data/k8s_schemas), and the one a render checks
# Kubernetes fields against, as `wlid validate` does unless told another.
KUBERNETES_VERSIONS = ("1.30", "1.31", "1.32", "1.33", "1.34")
DEFAULT_KUBERNETES_VERSION = "1.32"


def check_kubernetes_version(version: str) -> None:
    if version not in KUBERNETES_VERSIONS:
        raise ValueError(
            f"unsupported Kubernetes version {version!r}; supported: {', '.join(KUBERNETES_VERSIONS)}"
        )


@cache
def kubernetes_schema(version: str) -> dict[str, Any]:
    """The bundled schema file of a Kubernetes version, read once."""
    check_kubernetes_version(version)
    return json.loads((DATA / "k8s_schemas" / f"v{version}.json").read_text("utf-8"))


@cache
def builtin_roles() -> dict[str, str]:
    """Display name -> GUID for every built-in role (the bundled copy; see data/README.md)."""
    return json.loads((DATA / "builtin_roles.json").read_text("utf-8"))


@cache
def privileged_roles() -> dict[str, dict[str, str]]:
    """Role-definition GUID (lower case) -> {name, why} of the built-in roles that are broad: they allow
    every action (`*`) or can grant roles to others (data/privileged_roles.json). One table for both
    stages: `wlid render` warns about a grant of one at the spec's line (W004), `wlid validate` in the
    template (LP001)."""
    text = (DATA / "privileged_roles.json").read_text("utf-8")
    return json.loads(text)


class UniqueNames:
    """Names made unique by a numeric suffix (`base`, `base_2`, `base_3`, ...), compared ignoring case
    (ARM parameters and Bicep symbols are case-insensitive)."""

    def __init__(self, reserved: tuple[str, ...] = ()) -> None:
        self._taken = {name.lower() for name in reserved}

    def new(self, base: str) -> str:
        name, index = base, 1
        while name.lower() in self._taken:
            index += 1
            name = f"{base}_{index}"
        self._taken.add(name.lower())
        return name
