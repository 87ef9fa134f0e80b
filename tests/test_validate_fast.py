"""The compiled jsonschema-rs checks agree with the jsonschema validators they stand in for."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

from wlid_render.formats import KUBERNETES_VERSIONS as SUPPORTED_VERSIONS
from wlid_render.validate.arm_schema import (
    PARAMETERS,
    TEMPLATE,
    fast_document_check,
    fast_resource_check,
    resource_validator,
    validator,
)
from wlid_render.validate.arm_template import nested_template_paths
from wlid_render.validate.k8s import CHECKED_ELSEWHERE, fast_check, validator_for


def _k8s_objects() -> list[dict]:
    objects = []
    for path in sorted((ROOT / "out").glob("*/k8s/base/*/*.yaml")):
        if path.name != "kustomization.yaml":
            objects.extend(yaml.safe_load_all(path.read_text("utf-8")))
    return objects


def _broken(obj: dict) -> list[dict]:
    variants = []
    extra = copy.deepcopy(obj)
    extra["spec"] = {**(extra.get("spec") or {}), "unknownField": 1}
    variants.append(extra)
    wrong = copy.deepcopy(obj)
    wrong["metadata"]["name"] = 5
    variants.append(wrong)
    if obj["kind"] in ("Deployment", "StatefulSet"):
        replicas = copy.deepcopy(obj)
        replicas["spec"]["replicas"] = "3"
        variants.append(replicas)
        missing = copy.deepcopy(obj)
        del missing["spec"]["selector"]
        variants.append(missing)
    return variants


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_kubernetes_fast_check_agrees(version: str):
    checked = 0
    for obj in _k8s_objects():
        if (obj["apiVersion"], obj["kind"]) in CHECKED_ELSEWHERE:
            continue  # a custom resource: its CRD schema is another rule's (KV001)
        fast = fast_check(version, obj["apiVersion"], obj["kind"])
        slow = validator_for(version, obj["apiVersion"], obj["kind"])
        assert fast is not None and slow is not None
        for candidate in [obj, *_broken(obj)]:
            assert fast.is_valid(candidate) == (not list(slow.iter_errors(candidate))), candidate
            checked += 1
    assert checked > 30


def _arm_resources() -> list[dict]:
    found = []
    for path in sorted((ROOT / "out").glob("*/azure/main.json")):
        for _, template in nested_template_paths(json.loads(path.read_text("utf-8"))):
            found.extend(template["resources"])
    return found


def test_arm_fast_check_agrees():
    checked = 0
    for resource in _arm_resources():
        fast = fast_resource_check(resource["type"], resource["apiVersion"])
        slow = resource_validator(resource["type"], resource["apiVersion"])
        assert fast is not None and slow is not None, resource["type"]
        variants = [resource, {**resource, "properties": "x"}, {**resource, "unknown": 1}]
        variants.append({k: v for k, v in resource.items() if k != "name"})
        for candidate in variants:
            assert fast.is_valid(candidate) == (not list(slow.iter_errors(candidate))), candidate
            checked += 1
    assert checked > 20


def test_every_vendored_version_has_a_fast_check():
    for version in SUPPORTED_VERSIONS:
        assert Path(ROOT / "wlid_render/data/k8s_schemas" / f"v{version}.json").is_file()
        assert fast_check(version, "v1", "ServiceAccount") is not None


def _documents() -> list[tuple[str, dict]]:
    """(schema URL, document) of every committed template (without its resources, as `wlid validate`
    checks a template's own structure) and parameters file, with broken variants of each."""
    found = []
    for path in sorted((ROOT / "out").glob("*/azure/main.json")):
        for _, template in nested_template_paths(json.loads(path.read_text("utf-8"))):
            skeleton = {**template, "resources": []}
            found += [
                (TEMPLATE, skeleton),
                (TEMPLATE, {**skeleton, "contentVersion": 5}),
                (TEMPLATE, {**skeleton, "unknown": 1}),
                (TEMPLATE, {**skeleton, "parameters": {"p": {"type": "strin"}}}),
                (TEMPLATE, {**skeleton, "outputs": {"o": {"value": 1}}}),
                (TEMPLATE, {k: v for k, v in skeleton.items() if k != "$schema"}),
            ]
    for path in sorted((ROOT / "out").glob("*/azure/params/*.parameters.json")):
        doc = json.loads(path.read_text("utf-8"))
        found += [
            (PARAMETERS, doc),
            (PARAMETERS, {**doc, "contentVersion": 5}),
            (PARAMETERS, {**doc, "parameters": {"p": 1}}),
            (PARAMETERS, {k: v for k, v in doc.items() if k != "parameters"}),
        ]
    return found


def test_document_fast_check_agrees():
    checked = 0
    for url, doc in _documents():
        fast = fast_document_check(url)
        assert fast is not None
        assert fast.is_valid(doc) == (not list(validator(url).iter_errors(doc))), doc
        checked += 1
    assert fast_document_check(TEMPLATE) is fast_document_check(TEMPLATE)
    assert checked > 40
