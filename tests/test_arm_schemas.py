"""The bundled ARM schemas know every resource type and API version wlid emits or may emit."""

from __future__ import annotations

import pytest

from wlid_render.validate.arm_schema import resource_validator

BINDING = "Microsoft.ContainerService/managedClusters/identityBindings"
IDENTITY_ID = (
    "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/"
    "Microsoft.ManagedIdentity/userAssignedIdentities/app"
)


def _errors(resource: dict) -> list[str]:
    validator = resource_validator(resource["type"], resource["apiVersion"])
    assert validator is not None, f"{resource['type']}@{resource['apiVersion']} is not in the bundled schemas"
    return [e.message for e in validator.iter_errors(resource)]


@pytest.mark.parametrize(
    ("resource_type", "api_version"),
    [
        ("Microsoft.ContainerService/managedClusters", "2026-05-01"),
        ("Microsoft.ContainerService/managedClusters", "2024-09-01"),
        (BINDING, "2026-05-01"),
        ("Microsoft.Resources/deployments", "2025-04-01"),
        ("Microsoft.ManagedIdentity/userAssignedIdentities", "2024-11-30"),
    ],
)
def test_the_schemas_know_the_type(resource_type: str, api_version: str) -> None:
    assert resource_validator(resource_type, api_version) is not None


def test_an_identity_binding_is_checked_against_its_own_schema() -> None:
    good = {
        "type": BINDING,
        "apiVersion": "2026-05-01",
        "name": "[format('{0}/{1}', 'aks', 'app')]",
        "properties": {"managedIdentity": {"resourceId": IDENTITY_ID}},
    }
    assert _errors(good) == []
    assert _errors({**good, "properties": {}}), "managedIdentity is required"
    assert _errors({**good, "properties": {"managedIdentity": {}}}), "resourceId is required"
    assert resource_validator(BINDING, "2024-09-01") is None, "identity bindings are new in 2026-04-01"


def test_a_cluster_of_2026_05_01_may_carry_extended_location() -> None:
    cluster = {
        "type": "Microsoft.ContainerService/managedClusters",
        "apiVersion": "2026-05-01",
        "name": "aks",
        "location": "westeurope",
        "extendedLocation": {"name": "losangeles", "type": "EdgeZone"},
        "properties": {"oidcIssuerProfile": {"enabled": True}},
    }
    assert _errors(cluster) == []
    assert _errors({**cluster, "extendedLocation": {"name": "x", "type": "Elsewhere"}})


@pytest.mark.parametrize("name", ["app", "shopapi1", "a" * 63])
def test_a_literal_binding_name_of_the_schema_pattern_is_valid(name: str) -> None:
    binding = {
        "type": BINDING,
        "apiVersion": "2026-05-01",
        "name": name,
        "properties": {"managedIdentity": {"resourceId": IDENTITY_ID}},
    }
    assert _errors(binding) == []


@pytest.mark.parametrize("name", ["Shop-Api", "1app", "shop_api", "a" * 64, ""])
def test_a_literal_binding_name_outside_the_pattern_is_invalid(name: str) -> None:
    binding = {
        "type": BINDING,
        "apiVersion": "2026-05-01",
        "name": name,
        "properties": {"managedIdentity": {"resourceId": IDENTITY_ID}},
    }
    assert _errors(binding), f"{name!r} must not match ^[a-z][a-z0-9]{{0,63}}$ with maxLength 63"


def test_an_identity_binding_of_an_unknown_api_version_is_not_in_the_schemas() -> None:
    assert resource_validator(BINDING, "2026-04-01") is None
