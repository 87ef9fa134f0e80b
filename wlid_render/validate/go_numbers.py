"""K8S006: strings written plain that Go's YAML readers take for numbers, booleans or null.

PyYAML (YAML 1.1) reads `0X1F`, `+0o17`, `1e3_0` or `1_000.5` as strings; the Go readers of kubectl,
kustomize, Flux and Argo CD read them as numbers (and a field that wants a string fails to decode, or
the string silently changes). wlid quotes such strings; this finds them in older or hand-edited trees.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from wlid_render.validate.finding import Finding
from wlid_render.validate.tree import RenderedTree, TreeError
from wlid_render.yaml_scalars import NOT_A_STRING, reads_as_non_string

YAML_FOLDERS = ("k8s/", "gitops/")
_STR = "tag:yaml.org,2002:str"
try:  # pragma: no cover - depends on how PyYAML was built
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]


def _plain_scalars(node: yaml.Node) -> list[yaml.ScalarNode]:
    """Every plain (unquoted) scalar of a document that PyYAML resolved to a string, keys included."""
    found: list[yaml.ScalarNode] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, yaml.ScalarNode):
            if not current.style and current.tag == _STR:  # plain: None (PyYAML) or "" (libyaml)
                found.append(current)
        elif isinstance(current, yaml.MappingNode):
            for key, value in current.value:
                stack += (key, value)
        elif isinstance(current, yaml.SequenceNode):
            stack += current.value
    return found


def _candidate_strings(node: Any, found: set[str]) -> set[str]:
    """The strings (keys and values) of a parsed document that would need quotes."""
    if isinstance(node, str):
        if NOT_A_STRING.fullmatch(node):
            found.add(node)
    elif isinstance(node, dict):
        for key, value in node.items():
            _candidate_strings(key, found)
            _candidate_strings(value, found)
    elif isinstance(node, list):
        for item in node:
            _candidate_strings(item, found)
    return found


def _may_hold_plain_candidates(tree: RenderedTree, rel: str) -> bool:
    """Whether a file may write one of its suspicious strings plain; False when the file holds none, or
    every occurrence of each stands right after a quote (the way wlid writes them).

    The parsed documents are those the other checks read anyway; only a file that passes this test is
    composed again to look at the style of each scalar, which is what the rule needs.
    """
    found: set[str] = set()
    for document in tree.yaml_documents(rel):
        _candidate_strings(document, found)
    text = tree.text(rel)
    return any(
        re.search(rf"(?<![\w.+\-'\"]){re.escape(value)}(?![\w.])", text) for value in sorted(found)
    )


def go_number_findings(tree: RenderedTree) -> list[Finding]:
    """K8S006 for every YAML file under k8s/ and gitops/."""
    findings = []
    for rel in tree.files:
        if not rel.startswith(YAML_FOLDERS) or not rel.endswith((".yaml", ".yml")):
            continue
        try:
            if not _may_hold_plain_candidates(tree, rel):
                continue
            documents = list(yaml.compose_all(tree.text(rel), Loader=_Loader))
        except (TreeError, yaml.YAMLError):
            continue  # reported by the readers of the file
        for document in documents:
            if document is None:
                continue
            for scalar in _plain_scalars(document):
                if reads_as_non_string(scalar.value):
                    message = (
                        f"{scalar.value!r} is written plain: Go YAML readers (kubectl, kustomize, Flux, "
                        "Argo CD) may read it as a number, boolean or null, not as this string; quote it"
                    )
                    line = scalar.start_mark.line + 1
                    findings.append(Finding(tree.display(rel), line, "K8S006", "error", message))
    return findings
