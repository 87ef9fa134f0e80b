"""Built-in Azure role names -> role-definition GUIDs, and the broad ones, from the bundled tables."""

from __future__ import annotations

from functools import lru_cache

from wlid_render.formats import GUID, builtin_roles


@lru_cache(maxsize=1)
def _by_folded_name() -> dict[str, tuple[str, str]]:
    return {name.lower(): (name, guid) for name, guid in builtin_roles().items()}


@lru_cache(maxsize=1)
def _by_guid() -> dict[str, str]:
    return {guid.lower(): name for name, guid in builtin_roles().items()}


def resolve_role(role: str) -> tuple[str, str] | None:
    """(display name, GUID) for a built-in role name (any case) or a GUID; None when unknown.

    A GUID that is not a built-in role is accepted as is (a custom role definition).
    """
    if GUID.fullmatch(role):
        guid = role.lower()
        return (_by_guid().get(guid, role), guid)
    return _by_folded_name().get(" ".join(role.split()).lower())


def is_builtin(guid: str) -> bool:
    """Whether a role-definition GUID is a built-in role's."""
    return guid.lower() in _by_guid()
